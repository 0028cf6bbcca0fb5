#!/usr/bin/env bash
# Prints a version's section of CHANGELOG.md, the release notes goreleaser
# publishes (make release-notes; goreleaser release --release-notes FILE).
#
#   scripts/release-notes.sh            the first section (the next release)
#   scripts/release-notes.sh 0.1.0      the "## 0.1.0 (...)" section
#
# Fails when the section is missing or has no entries, so a release never
# goes out with empty notes.
set -euo pipefail
cd "$(dirname "$0")/.."

want=${1:-}
want=${want#v}
if ! notes=$(awk -v want="$want" '
  /^## / {
    if (found) exit
    if (want == "" || $2 == want) { found = 1; next }
  }
  found { print }
  END { if (!found) exit 3 }
' CHANGELOG.md); then
  echo "release-notes: CHANGELOG.md has no section for ${want:-the next release}" >&2
  exit 1
fi
if ! grep -q '^\* ' <<<"$notes"; then
  echo "release-notes: CHANGELOG.md's section for ${want:-the next release} has no entries" >&2
  exit 1
fi
# Without the blank lines before the section's first line.
sed -e '/./,$!d' <<<"$notes"
