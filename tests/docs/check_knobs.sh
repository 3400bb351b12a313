#!/usr/bin/env bash
# Every RONDE_* environment variable that the library reads must be documented in docs/KNOBS.md.
set -euo pipefail
root=${1:?usage: check_knobs.sh SOURCE_DIR}
used=$(grep -rhoE '"RONDE_[A-Z0-9_]+"' "$root"/core "$root"/allreduce "$root"/optim "$root"/checkpoint "$root"/training "$root"/paramserver "$root"/tools 2>/dev/null | tr -d '"' | sort -u)
missing=0
for knob in $used; do
  if ! grep -q "\`$knob\`" "$root/docs/KNOBS.md"; then
    echo "undocumented knob: $knob (add it to docs/KNOBS.md)"
    missing=1
  fi
done
[ "$missing" -eq 0 ] && echo "$(echo "$used" | wc -w) knobs, all documented in docs/KNOBS.md"
exit "$missing"
