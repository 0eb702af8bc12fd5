#!/usr/bin/env bash
# Brain tissue by statistical model on the 18 MICCAI 2012 subjects (or TESSERA_SUBJECTS): `tessera segment --classes 3`
# with --model gmm|hmrf|hmc, each with and without N4 (--bias-correction), with no priors, the ICBM152 tissue priors
# (--atlas Atlases/icbm152-2009a.json) or study priors: a tissue atlas that `tessera atlas build` makes from the
# manual classes of the other half of the subjects (two folds, 1000-1008 and 1009-1036; --classes 4, label 0 the
# unlabelled sulci). EM run to convergence (--em-tolerance 1e-6 --em-iterations 1000), one thread per run and
# TESSERA_JOBS runs side by side (default 2). Scored by `tessera evaluate` against the manual tissue classes (GM, WM).
# TESSERA_PRIORS (default "none icbm152 study") and TESSERA_MODELS (default "gmm hmrf hmc") choose the rows to run;
# the report's other rows are kept.
# TESSERA_STUDY_ATLASES: a folder to keep (or reuse) the two built atlases, study-{a,b}.json (about 7 minutes each).
# Writes Documentation/Results/TissueModels.{md,csv} (or TESSERA_REPORT.{md,csv}).
# Usage: [TESSERA_SUBJECTS="1000 ..."] [TESSERA_PRIORS=...] [TESSERA_MODELS=...] [TESSERA_JOBS=2]
#        [TESSERA_REPORT=path-without-extension]
#        run-tissue-models.sh [build-dir]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
tessera="$build/Applications/tessera"
data=$(cd "$root/../shared/data" && pwd)
report=${TESSERA_REPORT:-$root/Documentation/Results/TissueModels}
subjects=${TESSERA_SUBJECTS:-1000 1001 1002 1003 1004 1005 1006 1007 1008 1009 1010 1011 1012 1013 1014 1015 1017 1036}
priors_set=${TESSERA_PRIORS:-none icbm152 study}
models=${TESSERA_MODELS:-gmm hmrf hmc}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
study=${TESSERA_STUDY_ATLASES:-$work}
fold_a="1000 1001 1002 1003 1004 1005 1006 1007 1008"
fold_b="1009 1010 1011 1012 1013 1014 1015 1017 1036"
if [[ " $priors_set " == *" study "* ]]; then
  mkdir -p "$study"
  for fold in a b; do
    [ -f "$study/study-$fold.json" ] && continue
    ids=fold_$fold
    for id in ${!ids}; do
      echo "$data/miccai2012-multiatlas/${id}_SS.nii.gz,$data/miccai2012-multiatlas/${id}_classified.nii.gz"
    done > "$study/study-$fold.csv"
    echo "== building the study tissue atlas of fold $fold"
    "$tessera" atlas build -q -a "$study/study-$fold.csv" -o "$study/study-$fold-template.nii.gz" \
      --probabilities "$study/study-$fold-classes.nii.gz" --description "$study/study-$fold.json"
  done
fi

# One run: subject, model, n4 (yes/no), priors (none/icbm152/study) -> a CSV row.
run() {
  local id=$1 model=$2 n4=$3 priors=$4 out="$work/$1-$2-$3-$4"
  local args=(--model "$model" --em-tolerance 1e-6 --em-iterations 1000 --threads 1)
  [ "$n4" = yes ] && args+=(--bias-correction)
  local classes=3
  [ "$priors" = icbm152 ] && args+=(--atlas "$root/Atlases/icbm152-2009a.json" --data-root "$data")
  if [ "$priors" = study ]; then
    # The atlas of the fold the subject is not in.
    local fold=b; [[ " $fold_b " == *" $id "* ]] && fold=a
    args+=(--atlas "$study/study-$fold.json"); classes=4
  fi
  local start; start=$(date +%s%N)
  "$tessera" segment -q --classes $classes -i "$data/miccai2012-multiatlas/${id}_SS.nii.gz" \
    --mask "$data/miccai2012-multiatlas/${id}_mask.nii.gz" -o "$out.nii.gz" "${args[@]}"
  local ms=$(( ($(date +%s%N) - start) / 1000000 ))
  "$tessera" evaluate -q --classes 2,3 -r "$data/miccai2012-multiatlas/${id}_classified.nii.gz" -s "$out.nii.gz" --csv "$out.csv"
  awk -F, -v id="$id" -v m="$model" -v n="$n4" -v p="$priors" -v ms="$ms" '$1==2{gd=$4;gh=$7} $1==3{wd=$4;wh=$7}
    END{printf "%s,%s,%s,%s,%.4f,%.4f,%.2f,%.2f,%.1f\n", id, m, n, p, gd, wd, gh, wh, ms/1000}' "$out.csv" > "$out.row"
  rm -f "$out.nii.gz"
}
export -f run; export tessera data root work study fold_b
for id in $subjects; do for priors in $priors_set; do for n4 in no yes; do for model in $models; do
  echo "$id $model $n4 $priors"; done; done; done; done | xargs -P "${TESSERA_JOBS:-2}" -L 1 bash -c 'run "$@"' _

{
  echo "subject,model,n4,priors,dice_gm,dice_wm,hd95_gm_mm,hd95_wm_mm,seconds"
  { cat "$work"/*.row
    [ -f "$report.csv" ] && awk -F, -v run=" $priors_set " -v ranm=" $models " \
      'NR > 1 && (index(run, " " $4 " ") == 0 || index(ranm, " " $2 " ") == 0)' "$report.csv"
  } | sort
} > "$report.csv.tmp"
mv "$report.csv.tmp" "$report.csv"
/usr/bin/env python3 - "$report" "$(nproc)" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" "${TESSERA_JOBS:-2}" \
  "$priors_set" "$models" <<'PY'
import csv, sys, statistics, datetime
report, cores, cpu, jobs, ran, ran_models = sys.argv[1:7]
rows = list(csv.DictReader(open(report + ".csv")))
configs = []
for r in rows:
    key = (r["priors"], r["n4"], r["model"])
    if key not in configs:
        configs.append(key)
order = {"none": 0, "icbm152": 1, "study": 2, "no": 0, "yes": 1, "gmm": 0, "hmrf": 1, "hmc": 2}
configs.sort(key=lambda k: tuple(order[x] for x in k))
subjects = sorted({r["subject"] for r in rows})
mean = lambda k, c: statistics.mean(float(r[c]) for r in rows if (r["priors"], r["n4"], r["model"]) == k)
names = {"gmm": "Gaussian mixture", "hmrf": "HMRF-EM", "hmc": "hidden Markov chain"}
prior_names = {"none": "none", "icbm152": "ICBM152", "study": "study (2-fold)"}
out = [f"# Brain tissue by statistical model: MICCAI 2012, {len(subjects)} subjects", "",
       "`tessera segment --classes 3 --model M [--bias-correction] [--atlas Atlases/icbm152-2009a.json]",
       "--em-tolerance 1e-6 --em-iterations 1000 --threads 1` on each skull-stripped T1 within its brain mask: EM run to",
       "convergence (no early stopping), then the Potts alpha-expansion every `segment` ends with (smoothness 0.5).",
       "Study priors: `--classes 4 --atlas study-F.json`, a tissue atlas built by `tessera atlas build` from the manual",
       "classes of the 9 subjects of the other fold (1000–1008 | 1009–1036), so no subject is in its own priors (each",
       "build, 6–7 minutes on 2 threads, is not in the seconds below); `segment` registers its template with the",
       "registration the atlas was built with (the description's `registration`: local correlation radius 4, unsmoothed",
       "field, deformable iterations 100,50,20), ICBM152's with a quick deformable stage (50,25,0; radius 2).",
       "Scored by `tessera evaluate` against the manual labels collapsed to tissue classes (`<id>_classified`; the manual",
       "CSF is ventricles only, so GM and WM are scored). Means over subjects; HD95 in mm; seconds per volume: the whole",
       "`segment` command (read, N4, registration of the priors' template, EM, MRF, write) on one thread, "
       f"{jobs} runs side by side.", "",
       "| model | N4 | tissue priors | Dice GM | Dice WM | HD95 GM | HD95 WM | seconds |",
       "|---|---|---|---|---|---|---|---|"]
for k in configs:
    p, n, m = k
    out.append(f"| {names[m]} (`{m}`) | {n} | {prior_names[p]} | {mean(k, 'dice_gm'):.3f} | "
               f"{mean(k, 'dice_wm'):.3f} | {mean(k, 'hd95_gm_mm'):.2f} | {mean(k, 'hd95_wm_mm'):.2f} | {mean(k, 'seconds'):.1f} |")
best = max(configs, key=lambda k: mean(k, "dice_gm") + mean(k, "dice_wm"))
out += ["", f"Best mean of GM and WM Dice: `{best[2]}`, N4 {best[1]}, priors {best[0]}. FSL FAST's published figures on these "
        "subjects are 0.77 (GM) and 0.89 (WM); the goal is 0.86 (GM) and 0.93 (WM).", "",
        "Per subject (Dice GM / WM):", "",
        "| subject | " + " | ".join(f"{m} {'N4' if n == 'yes' else ''} {'' if p == 'none' else p}".replace("  ", " ").strip() for p, n, m in configs) + " |",
        "|---|" + "---|" * len(configs)]
for s in subjects:
    cells = []
    for k in configs:
        r = next(r for r in rows if r["subject"] == s and (r["priors"], r["n4"], r["model"]) == k)
        cells.append(f"{float(r['dice_gm']):.3f} / {float(r['dice_wm']):.3f}")
    out.append(f"| {s} | " + " | ".join(cells) + " |")
kept = any(p not in ran.split() or m not in ran_models.split() for p, _, m in configs)
out += ["", f"Machine: {cores} cores, {cpu}; models {', '.join(ran_models.split())} with priors {', '.join(ran.split())} "
        f"run {datetime.date.today().isoformat()}" + (" (the other rows kept from an earlier run)" if kept else "")
        + f". All figures: `{report.split('/')[-1]}.csv`.",
        "Reproduce: `Testing/Benchmarks/run-tissue-models.sh build`. What the figures say: the user guide, \"Statistical tissue models\"."]
open(report + ".md", "w").write("\n".join(out) + "\n")
print("\n".join(out))
PY
