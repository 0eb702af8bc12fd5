#!/usr/bin/env bash
# Dubai aerial: a p4m group-equivariant U-Net against the plain U-Net at about equal parameters and equal training
# minutes (2 CPU cores), and the plain U-Net with the equivariance loss; each trained on tiles 1-6 (validation on
# tile 7 for checkpoint selection) from Documentation/Learning/dubai-unet-cpu-short.json (input_scale 0.5), then
# tested on tile 7 upright, turned by 90° and mirrored (images and masks turned alike). Pooled confusion over tile 7,
# mIoU over the five classes (the Unlabeled colours ignored). Runs ce, ce+lovasz and ce+lovasz-gaussian train the plain
# U-Net with other losses (cross-entropy alone, plus Lovász-softmax, plus the transformed Lovász loss with a Gaussian
# threshold distribution) for the loss table.
# Writes Documentation/Results/DubaiEquivariance.md (its tables; the paragraph saying what the runs show is written by hand).
# Usage: run-dubai-equivariance.sh [build-dir] [runs...]
#        (default: plain p4m plain+equivariance-loss ce ce+lovasz ce+lovasz-gaussian)
# Environment: TESSERA_MINUTES (budget per run, default 8), TESSERA_SEED (default 1).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd); shift || true
runs=("$@")
[ ${#runs[@]} -eq 0 ] && runs=(plain p4m plain+equivariance-loss ce ce+lovasz ce+lovasz-gaussian)
tessera="$build/Applications/tessera"
data=$(cd "$root/../shared/data/dubai-aerial" && pwd)
work="$build/dubai-equivariance"
minutes=${TESSERA_MINUTES:-8}
seed=${TESSERA_SEED:-1}
mkdir -p "$work"

# Tile 7 upright, turned by 90° (counter-clockwise) and mirrored left-right.
/usr/bin/python3 - "$data/tile7" "$work/test" <<'PY'
import os, sys
from PIL import Image
tile, out = sys.argv[1:]
views = {"upright": lambda im: im, "turned": lambda im: im.transpose(Image.Transpose.ROTATE_90),
         "mirrored": lambda im: im.transpose(Image.Transpose.FLIP_LEFT_RIGHT)}
for view, f in views.items():
    for kind in ("images", "masks"):
        os.makedirs(os.path.join(out, view, kind), exist_ok=True)
        for name in sorted(os.listdir(os.path.join(tile, kind))):
            f(Image.open(os.path.join(tile, kind, name)).convert("RGB")).save(
                os.path.join(out, view, kind, os.path.splitext(name)[0] + ".png"))
PY

for run in "${runs[@]}"; do
  /usr/bin/python3 - "$root" "$data" "$work" "$run" "$minutes" <<'PY'
import json, sys
root, data, work, run, minutes = sys.argv[1:]
c = json.load(open(f"{root}/Documentation/Learning/dubai-unet-cpu-short.json"))
c["output"] = f"{work}/{run}"
c["data"]["train"] = {"images": [f"{data}/tile{t}/images" for t in range(1, 7)], "labels": [f"{data}/tile{t}/masks" for t in range(1, 7)]}
c["data"]["val"] = {"images": f"{data}/tile7/images", "labels": f"{data}/tile7/masks"}
c["data"]["label_table"] = f"{root}/Documentation/Learning/dubai-labels.json"
if run == "p4m":
    c["network"]["equivariance"] = "p4m"
if run == "plain+equivariance-loss":
    c["equivariance_loss"] = {"weight": 1.0, "group": "p4m"}
losses = {"ce": [{"name": "cross_entropy"}],
          "ce+lovasz": [{"name": "cross_entropy"}, {"name": "lovasz"}],
          "ce+lovasz-gaussian": [{"name": "cross_entropy"}, {"name": "lovasz", "distribution": "gaussian", "mean": 0.8, "sigma": 0.2}]}
if run in losses:
    c["loss"] = losses[run]
c["max_minutes"] = float(minutes)
c["comment"] = f"run-dubai-equivariance.sh: {run}"
json.dump(c, open(f"{work}/{run}.json", "w"), indent=2)
PY
  "$tessera" train "$work/$run.json" --seed "$seed" 2>&1 | grep -v "[0-9]%$" > "$work/$run.log"
  for view in upright turned mirrored; do
    "$tessera" predict -q -m "$work/$run/best.pt" -i "$work/test/$view/images" -o "$work/$run/$view"
  done
  echo "$run done"
done

/usr/bin/python3 - "$root" "$work" "$minutes" "$seed" <<'PY'
import csv, datetime, json, os, re, subprocess, sys
import numpy as np
from PIL import Image
root, work, minutes, seed = sys.argv[1:]
table = json.load(open(f"{root}/Documentation/Learning/dubai-labels.json"))["labels"]
classes = [l for l in table if not l.get("ignore")]
colour = {tuple(l["color"]): l["id"] for l in table}
K = len(classes)
def miou(run, view):
    confusion = np.zeros((K, K), np.int64)
    folder = os.path.join(work, "test", view, "masks")
    for name in sorted(os.listdir(folder)):
        rgb = np.array(Image.open(os.path.join(folder, name)).convert("RGB")).astype(np.int64)
        packed = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
        truth = np.full(packed.shape, -1)
        for c, i in colour.items():
            if i < K:
                truth[packed == ((c[0] << 16) | (c[1] << 8) | c[2])] = i
        seg = np.array(Image.open(os.path.join(work, run, view, name))).astype(np.int64)
        valid = truth >= 0
        confusion += np.bincount(truth[valid] * K + seg[valid], minlength=K * K).reshape(K, K)
    tp = np.diag(confusion); union = confusion.sum(0) + confusion.sum(1) - tp
    present = union > 0
    return float((tp[present] / union[present]).mean()), float(tp.sum() / confusion.sum())
def parameters(run):
    log = open(os.path.join(work, f"{run}.log")).read()
    m = re.search(r"\((\d+) tensors, (\d+) parameters\)", log)
    return int(m.group(2)) if m else 0
names = {"plain": "U-Net", "p4m": "p4m group U-Net (`network.equivariance`)",
         "plain+equivariance-loss": "U-Net + equivariance loss (p4m, weight 1)",
         "ce": "U-Net, cross-entropy", "ce+lovasz": "U-Net, cross-entropy + Lovász-softmax (uniform Δ)",
         "ce+lovasz-gaussian": "U-Net, cross-entropy + transformed Lovász (Gaussian Δ, mean 0.8, σ 0.2)"}
def row(run):
    history = list(csv.DictReader(open(os.path.join(work, run, "training.csv"))))
    best = max(history, key=lambda r: float(r["val_miou"] or 0))
    scores = {view: miou(run, view) for view in ("upright", "turned", "mirrored")}
    return (f"| {names[run]} | {parameters(run)} | {len(history)} | {best['epoch']} | "
            + " | ".join(f"{scores[v][0]:.4f}" for v in ("upright", "turned", "mirrored"))
            + f" | {scores['turned'][0] - scores['upright'][0]:+.4f} | {scores['upright'][1]:.4f} |")
header = ("| network | parameters | epochs | best epoch | mIoU upright | mIoU turned 90° | mIoU mirrored | turned − upright | pixel accuracy upright |\n"
          "|---|---|---|---|---|---|---|---|---|")
done = lambda run: os.path.exists(os.path.join(work, run, "mirrored"))
rows = [row(r) for r in ("plain", "p4m", "plain+equivariance-loss") if done(r)]
loss_rows = [row(r) for r in ("plain", "ce", "ce+lovasz", "ce+lovasz-gaussian") if done(r)]
losses = "" if len(loss_rows) < 2 else f"""
Losses, on the plain U-Net and the same budget (the first row is the config's cross-entropy + Dice, from the table above):

{header}
{chr(10).join(loss_rows)}
"""
cpu = subprocess.run("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2", shell=True, capture_output=True, text=True).stdout.strip()
with open(os.path.join(root, "Documentation/Results/DubaiEquivariance.md"), "w") as f:
    f.write(f"""# Dubai aerial: built-in equivariance (p4m) against the plain U-Net and equivariance by loss

Each network trained by `tessera train` for **{minutes} minutes of wall clock** on this machine's 2 CPU cores from
`Documentation/Learning/dubai-unet-cpu-short.json` (tiles 1-6, input_scale 0.5, 256² crops with flips and quarter
turns, cross-entropy + Dice), tile 7 for checkpoint selection; then `tessera predict` on tile 7 as it is, turned by
90° and mirrored (images and masks alike). mIoU over the 5 classes from the confusion pooled over tile 7's 9 images
(Unlabeled colours ignored). Short CPU runs: far from converged, so compare the rows, not the levels.

{header}
{chr(10).join(rows)}
{losses}
Machine: {os.cpu_count()} cores, {cpu}; {datetime.date.today().isoformat()}; seed {seed}.

Reproduce:
```
TESSERA_MINUTES={minutes} Testing/Benchmarks/run-dubai-equivariance.sh build
# per run (configs written to build/dubai-equivariance/<run>.json):
tessera train build/dubai-equivariance/p4m.json --seed {seed}
tessera predict -m build/dubai-equivariance/p4m/best.pt -i build/dubai-equivariance/test/turned/images -o turned/
```
""")
print("\n".join(rows + loss_rows))
PY
