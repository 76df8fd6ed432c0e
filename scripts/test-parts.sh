#!/usr/bin/env bash
# test-parts.sh: runs the parts of `make test` one after the other (make
# TARGET for each argument), stops at the first that fails, and prints how
# long each took, as it ends and again in a summary at the end.
set -uo pipefail
declare -a lines
start=$(date +%s)
for part in "$@"; do
  t=$(date +%s)
  "${MAKE:-make}" --no-print-directory "$part"
  rc=$?
  took=$(( $(date +%s) - t ))
  lines+=("$(printf '  %-18s %5ds  %s' "$part" "$took" "$([ $rc -eq 0 ] && echo ok || echo FAILED)")")
  echo "make test: $part took ${took}s"
  [ $rc -eq 0 ] || break
done
echo "make test: the time of each part"
printf '%s\n' "${lines[@]}"
printf '  %-18s %5ds\n' total "$(( $(date +%s) - start ))"
exit "${rc:-0}"
