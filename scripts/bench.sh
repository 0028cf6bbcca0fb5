#!/usr/bin/env bash
# make bench: Go benchmarks of reads through the client and the provider
# server against the sandbox, then the table driver (reads at a latency,
# end-to-end terraform apply runs, and the performance targets).
# Needs Go and a Terraform CLI on PATH. Runs in about 5 minutes.
#   BENCH_LATENCY   latency for the table (default 10ms)
#   BENCH_SIZES     list sizes for the table (default 1000,10000,100000)
set -euo pipefail
cd "$(dirname "$0")/.."
export CHECKPOINT_DISABLE=1

latency=${BENCH_LATENCY:-10ms}
sizes=${BENCH_SIZES:-1000,10000,100000}

echo "== Go benchmarks (zero latency: CPU and allocations per read)"
go test -run '^$' -bench . -benchmem -benchtime 3x ./internal/benchmark/

echo
echo "== Table"
go run ./internal/benchmark/cmd/kaleyra-bench -latency "$latency" -sizes "$sizes"
