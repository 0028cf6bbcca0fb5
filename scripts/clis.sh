#!/usr/bin/env bash
# The Terraform and OpenTofu CLIs the provider is tested under (make
# test-matrix). This file is the one place their versions are pinned.
#
#   scripts/clis.sh build   build every missing CLI into the cache
#   scripts/clis.sh list    print "<name>-<version> <path>" per CLI, in
#                           matrix order (run build first)
#
# No release downloads: the CLIs are built from source that the Go module
# proxy serves. Terraform 1.9 and later refuse `go install`, so the newest
# Terraform is the preinstalled one on PATH (checked to be the pinned
# version); the older ones are built.
#
# The cache lives outside the clone:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-kaleyra/clis/<name>-<version>/<binary>
# A CLI already there is not rebuilt. Each build goes to a temporary
# directory that is renamed into place only when the build succeeded, so an
# interrupted build never leaves a half-written binary behind.
set -euo pipefail

# name version how: "build" (from the module proxy) or "path" (on PATH).
CLIS=(
  "terraform 1.5.7   build"
  "terraform 1.8.5   build"
  "terraform 1.11.4  path"
  "tofu      1.10.10 build"
  "tofu      1.12.6  build"
)

cache=${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-kaleyra/clis

die() { echo "clis.sh: $*" >&2; exit 1; }

# cli_version BINARY: the version a Terraform or OpenTofu binary reports.
cli_version() {
  CHECKPOINT_DISABLE=1 "$1" version -json 2>/dev/null |
    sed -n 's/^ *"terraform_version": *"\([^"]*\)".*/\1/p'
}

# cli_path NAME VERSION HOW: where that CLI is (or will be).
cli_path() {
  local name=$1 version=$2 how=$3
  case $how in
    path) command -v "$name" || die "$name $version: no $name on PATH" ;;
    build) echo "$cache/$name-$version/$name" ;;
  esac
}

build_one() {
  local name=$1 version=$2 dest tmp dir start
  dest=$cache/$name-$version
  [[ -x $dest/$name ]] && return 0
  mkdir -p "$cache"
  # Leftovers of a killed build are safe to remove: nothing uses a .tmp dir.
  rm -rf "$dest".tmp.*
  tmp=$(mktemp -d "$dest.tmp.XXXXXX")
  chmod 755 "$tmp"
  start=$SECONDS
  echo "clis.sh: building $name $version (a few minutes)"
  case $name in
    terraform)
      GOBIN=$tmp CGO_ENABLED=0 go install -trimpath \
        -ldflags "-s -w -X 'github.com/hashicorp/terraform/version.dev=no'" \
        "github.com/hashicorp/terraform@v$version"
      ;;
    tofu)
      dir=$(go mod download -json "github.com/opentofu/opentofu@v$version" |
        sed -n 's/^[[:space:]]*"Dir": *"\([^"]*\)".*/\1/p')
      [[ -n $dir ]] || die "tofu $version: go mod download gave no module directory"
      # The module directory is read-only: only the output goes elsewhere.
      (cd "$dir" && CGO_ENABLED=0 go build -mod=readonly -trimpath \
        -ldflags "-s -w -X 'github.com/opentofu/opentofu/version.dev=no'" \
        -o "$tmp/tofu" ./cmd/tofu)
      ;;
    *) die "unknown CLI $name" ;;
  esac
  [[ $(cli_version "$tmp/$name") == "$version" ]] ||
    die "$name $version: the built binary reports version '$(cli_version "$tmp/$name")'"
  mv "$tmp" "$dest"
  echo "clis.sh: built $name $version in $((SECONDS - start))s: $dest/$name"
}

cmd_build() {
  local line name version how path got
  for line in "${CLIS[@]}"; do
    read -r name version how <<<"$line"
    case $how in
      build) build_one "$name" "$version" ;;
      path)
        path=$(cli_path "$name" "$version" "$how")
        got=$(cli_version "$path")
        [[ $got == "$version" ]] ||
          die "$name on PATH ($path) is $got; the matrix pins $version: install it there"
        ;;
    esac
  done
}

cmd_list() {
  local line name version how path
  for line in "${CLIS[@]}"; do
    read -r name version how <<<"$line"
    path=$(cli_path "$name" "$version" "$how")
    [[ -x $path ]] || die "$name $version is not built: run scripts/clis.sh build"
    echo "$name-$version $path"
  done
}

case ${1:-} in
  build) cmd_build ;;
  list) cmd_list ;;
  *) die "usage: scripts/clis.sh build|list" ;;
esac
