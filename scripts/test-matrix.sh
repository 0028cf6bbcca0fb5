#!/usr/bin/env bash
# make test-matrix: the provider package's tests, the TestExamples* ones
# included, under every Terraform and OpenTofu CLI that scripts/clis.sh
# pins (building the missing ones first), one CLI after another; then a
# table of pass / fail / skip counts per CLI and package.
#
# Hermetic like make test: the GNUmakefile runs it without KALEYRA_*, with
# CHECKPOINT_DISABLE=1 and TF_ACC=1. No -race here (make test has it).
# Each CLI's `go test -json` stream is kept in .cache/test-matrix/.
#
#   MATRIX_PACKAGES  packages to test (default ./internal/provider/)
#   MATRIX_RUN       a go test -run pattern, to try a few tests
# Exits 1 when any test failed under any CLI.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=${MATRIX_PACKAGES:-./internal/provider/}
out=.cache/test-matrix
rm -rf "$out"
mkdir -p "$out"

scripts/clis.sh build
mapfile -t clis < <(scripts/clis.sh list)

# Build the test binaries and the summary tool once, up front, so the
# per-CLI times below are test time.
go test -count=1 -run '^$' $packages >/dev/null
go build -o "$out/testsummary" ./scripts/testsummary

# An empty CLI configuration: the caller's own (a plugin cache, provider
# installation rules, or a TF_CLI_CONFIG_FILE naming a missing file, whose
# warning OpenTofu 1.12 prints to stdout where terraform-plugin-testing
# reads the version) must not change what the tests see. The example
# tests set their own.
: >"$out/empty.tfrc"
export TF_CLI_CONFIG_FILE=$PWD/$out/empty.tfrc

streams=()
for line in "${clis[@]}"; do
  read -r name path <<<"$line"
  env=(TF_ACC_TERRAFORM_PATH="$path")
  if [[ $name == tofu-* ]]; then
    # terraform-plugin-testing names the provider registry.terraform.io/
    # hashicorp/kaleyra unless told otherwise; OpenTofu resolves it on its
    # own registry (opentofu/opentofu#977).
    env+=(TF_ACC_PROVIDER_HOST=registry.opentofu.org TF_ACC_PROVIDER_NAMESPACE=hashicorp)
  fi
  echo "== $name ($path)"
  start=$SECONDS
  # Failures are reported in the table, not here. An exit status that no
  # test explains (go test itself failed) ends the stream as a line that is
  # not JSON, which the summary counts as a failure.
  status=0
  env "${env[@]}" go test -json -count=1 -timeout 20m ${MATRIX_RUN:+-run "$MATRIX_RUN"} $packages \
    >"$out/$name.json" 2>"$out/$name.stderr" || status=$?
  if ((status != 0)); then
    echo "go test exit status $status" >>"$out/$name.json"
    cat "$out/$name.stderr" >&2
  fi
  echo "   $((SECONDS - start))s"
  streams+=("$name=$out/$name.json")
done

echo
"$out/testsummary" "${streams[@]}"
