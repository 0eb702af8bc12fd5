#!/usr/bin/env bash
# The cohort workflow (Workflows/Snakefile) on 3 MICCAI subjects with --cores 2: every job runs,
# the report lists their seconds and memory, and the tissue Dice is what `segment` scores alone.
set -euo pipefail
tessera=$1 source=$2 data=$3
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
snakemake -q -s "$source/Workflows/Snakefile" --cores 2 --directory "$work" \
  --config tessera="$tessera" data="$data" "subjects=[1000,1001,1002]" targets="[tissue]" > "$work.log" 2>&1 ||
  { cat "$work.log"; rm -f "$work.log"; exit 1; }
rm -f "$work.log"
report=$work/report/report.md
cat "$report"
test "$(grep -c '^| tissue | 100[012] |' "$report")" -eq 3
for id in 1000 1001 1002; do test -s "$work/tissue/$id.nii.gz" && test -s "$work/tissue/$id.png"; done
# GM and WM Dice of the default segment are 0.80-0.92 on these subjects (Documentation/Results/BrainTissue.md).
awk -F'|' '/mean of the subjects/ { gsub(/[* ]/, "", $3); exit !($3 > 0.8) }' "$report"
