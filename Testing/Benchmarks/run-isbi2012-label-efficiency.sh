#!/usr/bin/env bash
# ISBI 2012 with fewer and weaker labels, at an equal wall-clock training budget per run (2 CPU cores): the U-Net of
# Documentation/Learning/isbi2012-unet.json trained
#   sup-2         on images 0-1 with their labels,
#   semi-2+20     on the same 2 plus images 2-21 unlabelled (FixMatch-style pseudo-labels, semi_supervised),
#   full-22       on images 0-21 with their labels,
#   scribbles     on images 0-21 with simulated scribbles (≤ 3 % of pixels; make_isbi_scribbles.py), partial CE,
#   scribbles+potts  the same with hidden labels by Potts graph cuts (weak_supervision),
#   gmm           no training: the classical pipeline Documentation/Pipelines/isbi2012-gmm.json (a 2-class GMM),
#   gmm-potts     no training: the classical pipeline Documentation/Pipelines/isbi2012-gmm-potts.json (GMM -> Potts),
#   gmm-pseudo    no manual labels at all: images 0-21 pseudo-labelled by the GMM where its posterior is >= 0.99,
#   gmm-potts-pseudo  no manual labels at all: images 0-21 pseudo-labelled by GMM -> Potts,
#                 both with cross-entropy alone and no validation set (best.pt = lowest training loss); each is also
#                 scored with the teacher's Potts step (tessera mrf --smoothness 1) on its probabilities,
# validated on images 22-24 (full labels, checkpoint selection; not the pseudo-label runs) and tested on images 25-29.
# Writes Documentation/Results/ISBI2012LabelEfficiency.md (its tables; the paragraph saying what the runs show is
# written by hand).
# Usage: run-isbi2012-label-efficiency.sh [build-dir] [runs...]   (default: all)
# Environment: TESSERA_MINUTES (budget per run, default 8), TESSERA_SEED (default 1), TESSERA_POTTS_BETA (default 0.5).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd); shift || true
runs=("$@")
[ ${#runs[@]} -eq 0 ] && runs=(sup-2 semi-2+20 full-22 scribbles scribbles+potts gmm gmm-potts gmm-pseudo gmm-potts-pseudo)
tessera="$build/Applications/tessera"
data=$(cd "$root/../shared/data/isbi2012-membrane" && pwd)
work="$build/isbi2012-label-efficiency"
minutes=${TESSERA_MINUTES:-8}
seed=${TESSERA_SEED:-1}
beta=${TESSERA_POTTS_BETA:-0.5}
mkdir -p "$work"
/usr/bin/python3 "$root/Testing/Benchmarks/Learning/make_isbi_scribbles.py" "$data"/label/{0..21}.png --out "$work/scribbles" \
  > "$work/scribbles.txt"

# Scores a folder of test predictions (membrane 0, cell 255).
evaluate() {
  for i in 25 26 27 28 29; do
    "$tessera" evaluate -q --no-hausdorff --classes 0,255 -r "$data/label/$i.png" -s "$1/$i.png" --json "$1/$i.json"
  done
}

for run in "${runs[@]}"; do
  if [ "$run" = gmm ] || [ "$run" = gmm-potts ]; then
    mkdir -p "$work/$run/predictions"
    for i in 25 26 27 28 29; do
      if [ "$run" = gmm ]; then
        "$tessera" pipeline -q "$root/Documentation/Pipelines/isbi2012-gmm.json" -i "$data/image/$i.png" \
          -o "$work/$run/predictions/$i-gmm.nrrd"
        "$tessera" argmax -q -i "$work/$run/predictions/$i-gmm.nrrd" -o "$work/$run/predictions/$i-gmm.png"
      else
        "$tessera" pipeline -q "$root/Documentation/Pipelines/isbi2012-gmm-potts.json" -i "$data/image/$i.png" \
          -o "$work/$run/predictions/$i-gmm.png"
      fi
      # The pipeline's labels 1 (dark) and 2 (bright) as membrane 0 and cell 255.
      /usr/bin/python3 -c "import sys, numpy as np; from PIL import Image; l = np.array(Image.open(sys.argv[1])); \
Image.fromarray(np.where(l == 1, 0, 255).astype(np.uint8)).save(sys.argv[2])" "$work/$run/predictions/$i-gmm.png" "$work/$run/predictions/$i.png"
    done
    evaluate "$work/$run/predictions"
    echo "$run done"
    continue
  fi
  /usr/bin/python3 - "$root" "$data" "$work" "$run" "$minutes" "$beta" <<'PY'
import json, sys
root, data, work, run, minutes, beta = sys.argv[1:]
c = json.load(open(f"{root}/Documentation/Learning/isbi2012-unet.json"))
image = lambda i: f"{data}/image/{i}.png"
label = lambda i: f"{data}/label/{i}.png"
scribble = lambda i: f"{work}/scribbles/{i}.png"
labelled = [0, 1] if run in ("sup-2", "semi-2+20") else list(range(22))
c["output"] = f"{work}/{run}"
c["data"]["train"] = {"images": [image(i) for i in labelled],
                      "labels": [(scribble if run.startswith("scribbles") else label)(i) for i in labelled]}
c["data"]["val"] = {"images": [image(i) for i in (22, 23, 24)], "labels": [label(i) for i in (22, 23, 24)]}
c["data"]["label_table"] = f"{root}/Documentation/Learning/isbi2012-labels.json"
if run.startswith("scribbles"):
    c["data"]["ignore_values"] = [128]
if run == "semi-2+20":
    c["data"]["unlabelled"] = [image(i) for i in range(2, 22)]
    c["semi_supervised"] = {"weight": 1.0, "threshold": 0.95, "teacher": "weak"}
if run in ("gmm-pseudo", "gmm-potts-pseudo"):
    # Cross-entropy alone: with the Dice term the network marks more membrane than its noisy labels hold.
    del c["data"]["train"], c["data"]["val"]
    c["loss"] = "cross_entropy"
    c["pseudo_labels"] = {"pipeline": f"{root}/Documentation/Pipelines/isbi2012-{run[:-7]}.json",
                          "images": [image(i) for i in range(22)], "label_values": {"1": 0, "2": 255}}
    if run == "gmm-pseudo":
        c["pseudo_labels"]["threshold"] = 0.99
if run == "scribbles+potts":
    c["weak_supervision"] = {"potts_beta": float(beta), "warmup_epochs": 3, "update_every": 2}
c["max_minutes"] = float(minutes)
c["comment"] = f"run-isbi2012-label-efficiency.sh: {run}"
json.dump(c, open(f"{work}/{run}.json", "w"), indent=2)
PY
  mkdir -p "$work/$run/predictions"
  "$tessera" train "$work/$run.json" --seed "$seed" 2>&1 | grep -v "[0-9]%$" > "$work/$run/train.log"
  for i in 25 26 27 28 29; do
    "$tessera" predict -q -m "$work/$run/best.pt" -i "$data/image/$i.png" -o "$work/$run/predictions/$i.png" \
      --overlay "$work/$run/predictions/$i-overlay.png" --probabilities "$work/$run/predictions/$i-probabilities.nrrd"
  done
  evaluate "$work/$run/predictions"
  if [[ "$run" == *-pseudo ]]; then
    # The teacher's Potts step on the network's probabilities.
    mkdir -p "$work/$run/predictions-potts"
    for i in 25 26 27 28 29; do
      "$tessera" mrf -q -i "$work/$run/predictions/$i-probabilities.nrrd" --smoothness 1 -o "$work/$run/predictions-potts/$i.png"
    done
    evaluate "$work/$run/predictions-potts"
  fi
  echo "$run done"
done

/usr/bin/python3 - "$root" "$work" "$minutes" "$seed" "$beta" <<'PY'
import csv, datetime, json, os, subprocess, sys
root, work, minutes, seed, beta = sys.argv[1:]
order = ["sup-2", "semi-2+20", "full-22", "scribbles", "scribbles+potts", "gmm", "gmm-pseudo", "gmm-pseudo+potts",
         "gmm-potts", "gmm-potts-pseudo", "gmm-potts-pseudo+potts"]
what = {"sup-2": "images 0-1 labelled", "semi-2+20": "images 0-1 labelled + 2-21 unlabelled (FixMatch, weak teacher, threshold 0.95)",
        "full-22": "images 0-21 labelled", "scribbles": "images 0-21, scribbles only (partial cross-entropy + Dice)",
        "scribbles+potts": f"images 0-21, scribbles + hidden labels by Potts graph cuts (β {beta})",
        "gmm": "none: the classical pipeline GMM (2 classes) itself, no network",
        "gmm-pseudo": "images 0-21, no manual labels: GMM pseudo-labels where its posterior ≥ 0.99 (cross-entropy, no validation)",
        "gmm-pseudo+potts": "gmm-pseudo's probabilities → Potts (β 1)",
        "gmm-potts": "none: the classical pipeline GMM (2 classes) → Potts (β 1) itself, no network",
        "gmm-potts-pseudo": "images 0-21, no manual labels: GMM → Potts pseudo-labels (cross-entropy, no validation)",
        "gmm-potts-pseudo+potts": "gmm-potts-pseudo's probabilities → Potts (β 1)"}
score = {}
rows = []
for run in order:
    potts = run.endswith("-pseudo+potts")  # a network's probabilities through the teacher's Potts step
    folder = os.path.join(work, run.removesuffix("+potts") if potts else run)
    predictions = os.path.join(folder, "predictions-potts" if potts else "predictions")
    if not os.path.exists(os.path.join(predictions, "29.json")):
        continue
    tp = ref = seg = correct = compared = 0
    for i in range(25, 30):
        j = json.load(open(os.path.join(predictions, f"{i}.json")))
        m = next(c for c in j["classes"] if c["label"] == 0)
        tp += m["true_positives"]; ref += m["reference_voxels"]; seg += m["segmentation_voxels"]
        correct += j["summary"]["correct_voxels"]; compared += j["summary"]["compared_voxels"]
    score[run] = 2 * tp / (ref + seg)
    if run in ("gmm", "gmm-potts"):
        rows.append((run, correct / compared, score[run], "", "", ""))
        continue
    history = list(csv.DictReader(open(os.path.join(folder, "training.csv"))))
    best = max(history, key=lambda r: float(r["val_miou"] or 0)) if history[0]["val_miou"] else min(history, key=lambda r: float(r["train_loss"]))
    rows.append((run, correct / compared, score[run], len(history), f'{sum(float(r["seconds"]) for r in history) / 60:.1f}', best["epoch"]))
labelled = open(os.path.join(work, "scribbles.txt")).read().split()
fractions = [float(labelled[i + 1]) for i in range(0, len(labelled)) if labelled[i].endswith(".png:")]
full = score.get("full-22")
cpu = subprocess.run("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2", shell=True, capture_output=True, text=True).stdout.strip()
lines = ["| run | training data | pixel accuracy | membrane Dice | of full-22 | epochs | minutes | best epoch |", "|---|---|---|---|---|---|---|---|"]
for run, acc, dice, epochs, mins, best in rows:
    ratio = f"{dice / full:.1%}" if full else ""
    lines.append(f"| {run} | {what[run]} | {acc:.4f} | {dice:.4f} | {ratio} | {epochs} | {mins} | {best} |")
beats = lambda student, teacher: (f"{student} not run" if student not in score or teacher not in score else
                                  f"{student} {score[student]:.4f} against {teacher} {score[teacher]:.4f}: "
                                  f"**{'beats' if score[student] > score[teacher] else 'does NOT beat'} it**")
goal = lambda run: "" if not full or run not in score else (f"{score[run] / full:.1%} of full: **goal {'met' if score[run] >= 0.9 * full else 'NOT met'}**")
with open(os.path.join(root, "Documentation/Results/ISBI2012LabelEfficiency.md"), "w") as f:
    f.write(f"""# ISBI 2012 with fewer and weaker labels

The U-Net of `Documentation/Learning/isbi2012-unet.json` (base width 16, depth 4; 256² crops, flips, quarter turns,
zoom, brightness/contrast; cross-entropy + Dice; Adam), trained by `tessera train` for **{minutes} minutes of wall clock
each** on this machine's 2 CPU cores, from different labels; validation on images 22-24 (full labels, for checkpoint
selection only, the same in every run), test on images 25-29 (`tessera predict`, `tessera evaluate`; membrane Dice
pooled over the five images).

Scribbles are simulated from the labels by `Testing/Benchmarks/Learning/make_isbi_scribbles.py` (seed 1): one
1-pixel stroke along the medial line of each cell, pieces of the membranes' skeleton, at most 3 % of the pixels
({min(fractions):.2%}–{max(fractions):.2%} per image); all other pixels are ignored.

{chr(10).join(lines)}

Goals (issue): semi-supervised with 2 labelled images ≥ 90 % of the fully supervised membrane Dice: {goal("semi-2+20")};
scribbles + Potts ≥ 90 % of full: {goal("scribbles+potts")}; a network trained on a classical pipeline's
pseudo-labels against that pipeline, on the same test images: {beats("gmm-pseudo", "gmm")}; {beats("gmm-potts-pseudo+potts", "gmm-potts")}
(the same Potts step on the network's probabilities as on the GMM's); without that step {beats("gmm-potts-pseudo", "gmm-potts")}.

Machine: {os.cpu_count()} cores, {cpu}; {datetime.date.today().isoformat()}; seed {seed}.

Reproduce:
```
TESSERA_MINUTES={minutes} Testing/Benchmarks/run-isbi2012-label-efficiency.sh build
# per run (configs written to build/isbi2012-label-efficiency/<run>.json):
tessera train build/isbi2012-label-efficiency/semi-2+20.json --seed {seed}
tessera predict -m build/isbi2012-label-efficiency/semi-2+20/best.pt -i ../shared/data/isbi2012-membrane/image/25.png -o 25.png
tessera evaluate --no-hausdorff --classes 0,255 -r ../shared/data/isbi2012-membrane/label/25.png -s 25.png --json 25.json
```
""")
for r in rows:
    print(*r)
PY
