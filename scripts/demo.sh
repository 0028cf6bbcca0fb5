#!/usr/bin/env bash
# make demo: the provider end to end, with no Kaleyra account.
#
# Builds the provider and the Kaleyra sandbox (a strict fake of both Kaleyra
# APIs), starts the sandbox on a free loopback port with its embedded demo
# seed, points Terraform at the local provider build through dev_overrides
# in a temporary CLI configuration, applies examples/demo and prints its
# outputs, then shows the policy check stopping a plan. Needs only Go and a
# Terraform CLI on PATH.
#
# Everything it writes (binaries, CLI configuration, a copy of examples/,
# Terraform state, logs) goes to one temporary directory, removed on exit;
# the sandbox is stopped on exit too, on success, failure or Ctrl-C.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)

# The sandbox's default seed (internal/sandbox/default-seed.json).
demo_sid=HXDEMO00000000IN
demo_key=sandbox-demo-key

section() { printf '\n== %s\n' "$*"; }
die() { echo "demo: $*" >&2; exit 1; }

for tool in go terraform; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is not on PATH; the demo needs Go and a Terraform CLI"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/kaleyra-demo.XXXXXX")
sandbox_pid=
build_pid=

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -n $build_pid ]] && kill -0 "$build_pid" 2>/dev/null; then
    kill -TERM "$build_pid" 2>/dev/null || true
    wait "$build_pid" 2>/dev/null || true
  fi
  if [[ -n $sandbox_pid ]] && kill -0 "$sandbox_pid" 2>/dev/null; then
    kill -TERM "$sandbox_pid" 2>/dev/null || true
    # The sandbox exits on SIGTERM within its 5s shutdown bound.
    for _ in $(seq 1 100); do
      kill -0 "$sandbox_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$sandbox_pid" 2>/dev/null || true
    wait "$sandbox_pid" 2>/dev/null || true
  fi
  if [[ $status -ne 0 && -s $work/sandbox.log ]]; then
    echo "demo: failed (exit $status); the sandbox's last log lines:" >&2
    tail -n 20 "$work/sandbox.log" >&2
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$work/bin" "$work/plugins"
# Only this script's settings reach Terraform and the provider.
unset KALEYRA_POD KALEYRA_BASE_URL TF_CLI_ARGS TF_CLI_ARGS_plan TF_CLI_ARGS_apply TF_DATA_DIR TF_WORKSPACE TF_LOG
# Terraform reads this CLI configuration from its first command on, and
# warns when the file is missing: it starts empty (the caller's own
# configuration, or a TF_CLI_CONFIG_FILE naming a missing file, must not
# change the demo), and the build below fills in the dev_overrides.
export TF_CLI_CONFIG_FILE="$work/plugins/terraformrc"
: >"$TF_CLI_CONFIG_FILE"
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0
export KALEYRA_SID=$demo_sid KALEYRA_API_KEY=$demo_key

section "toolchain"
go version
terraform version | sed -n 1p

section "build the provider and the sandbox"
echo "This takes seconds with a warm Go build cache. The first time, it takes about 3 minutes on two"
echo "cores: Go downloads any missing modules and compiles the provider's dependencies."
(
  cd "$repo"
  # The provider, and a CLI configuration whose dev_overrides install it
  # (Terraform uses the local build instead of the registry: no terraform init).
  go run ./internal/testutil/cmd/dev-provider -dir "$work/plugins" -version demo >/dev/null
  go build -trimpath -o "$work/bin/kaleyra-sandbox" ./internal/sandbox/cmd/kaleyra-sandbox
) &
build_pid=$!
# Say every 30 seconds that the build goes on, so a cold build is never silent.
start=$SECONDS
next=30
while kill -0 "$build_pid" 2>/dev/null; do
  if ((SECONDS - start >= next)); then
    echo "still building ($((SECONDS - start))s)"
    next=$((next + 30))
  fi
  sleep 1
done
build_status=0
wait "$build_pid" || build_status=$?
build_pid=
((build_status == 0)) || die "the build failed (exit $build_status)"
echo "built into $work in $((SECONDS - start))s"

section "start the sandbox"
"$work/bin/kaleyra-sandbox" -addr 127.0.0.1:0 -url-file "$work/sandbox.url" \
  >"$work/sandbox.out" 2>"$work/sandbox.log" &
sandbox_pid=$!
for _ in $(seq 1 300); do
  [[ -s $work/sandbox.url ]] && break
  kill -0 "$sandbox_pid" 2>/dev/null || die "the sandbox exited before it listened"
  sleep 0.1
done
[[ -s $work/sandbox.url ]] || die "the sandbox did not listen within 30s"
base_url=$(<"$work/sandbox.url")
echo "sandbox (pid $sandbox_pid) listening on $base_url, account $demo_sid"
export KALEYRA_BASE_URL=$base_url

# A copy of the examples, so state and module links stay out of the repo.
cp -R "$repo/examples" "$work/examples"
demo="$work/examples/demo"

section "terraform apply (examples/demo)"
terraform -chdir="$demo" get -no-color >/dev/null
terraform -chdir="$demo" apply -auto-approve -no-color -compact-warnings >"$work/apply.log" 2>&1 ||
  { cat "$work/apply.log"; die "terraform apply failed"; }
grep -E '^Apply complete' "$work/apply.log" || true

out() { terraform -chdir="$demo" output -no-color "$@"; }

section "WhatsApp users who blocked each business number"
out whatsapp_blocked_counts
section "numbers on the contacts blocklist, per channel"
out counts_by_channel
out numbers_by_channel
section "SMS blocklist drift since the baseline"
out sms_drift
section "for_each: suppression entries, one per user who blocked the support line"
out suppression_count
section "policy verdict for the on-call numbers"
out -raw policy_verdict
echo
section "Markdown report"
out -raw report

section "policy check with a blocklisted critical number (expected to stop the plan)"
policy="$work/examples/use-cases/policy-check"
if terraform -chdir="$policy" plan -no-color -compact-warnings \
  -var 'critical_numbers=["+919812345678","+919876500001"]' \
  -var 'whatsapp_business_number=+919876543210' >"$work/policy.log" 2>&1; then
  cat "$work/policy.log"
  die "the policy check let a blocklisted critical number through"
fi
if ! grep -q 'Policy violation' "$work/policy.log"; then
  cat "$work/policy.log"
  die "the plan failed, but not on the policy check"
fi
sed -n '/^Error: /,$p' "$work/policy.log"
echo "=> the plan failed on the policy check, as it should"

section "done"
echo "the demo passed; stopping the sandbox and removing $work"
