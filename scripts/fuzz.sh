#!/usr/bin/env bash
# make fuzz-short / make fuzz: run each fuzz target (pkg:Name ...) for
# FUZZTIME. Go's fuzzing engine sometimes ends a run with a bare "context
# deadline exceeded" when a worker is slow to answer at the deadline on a
# loaded machine (no failing input is written: it is not a finding). Such
# a run is tried once more; a real finding, which writes its input under
# testdata/fuzz, fails at once.
set -uo pipefail
fuzztime=${FUZZTIME:-10s}
for t in "$@"; do
  pkg=${t%%:*} name=${t##*:}
  for try in 1 2; do
    again=""
    ((try == 2)) && again=", once more"
    echo "fuzz $name ($pkg) for $fuzztime$again"
    out=$(go test -run '^$' -fuzz "^$name\$" -fuzztime "$fuzztime" -fuzzminimizetime 5s "$pkg" 2>&1)
    status=$?
    echo "$out"
    ((status == 0)) && break
    if ((try == 1)) && grep -q 'context deadline exceeded' <<<"$out" && ! grep -q 'Failing input written' <<<"$out"; then
      echo "fuzz $name: the engine timed out without a finding; trying once more"
      continue
    fi
    exit 1
  done
done
