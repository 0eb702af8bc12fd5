#!/usr/bin/env bash
# ISBI 2012 EM membranes: train a U-Net with `tessera train` on images 0-24 (0-21 training, 22-24
# validation for checkpoint selection) within the config's wall-clock budget (max_minutes), predict
# the held-out images 25-29 with `tessera predict`, score them with `tessera evaluate`, and write
# Documentation/Results/ISBI2012.md.
# Usage: run-isbi2012-unet.sh [build-dir] [extra `tessera train` options, e.g. --seed 1]
# Environment: TESSERA_CONFIG (default Documentation/Learning/isbi2012-unet.json),
#              TESSERA_RUN (run folder, default <build>/isbi2012-unet), TESSERA_REPORT (report path),
#              TESSERA_SKIP_TRAINING=1 to score an existing <run>/best.pt.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}; shift || true
tessera="$build/Applications/tessera"
data="$root/../shared/data/isbi2012-membrane"
config=${TESSERA_CONFIG:-$root/Documentation/Learning/isbi2012-unet.json}
run=${TESSERA_RUN:-$build/isbi2012-unet}
out=${TESSERA_REPORT:-$root/Documentation/Results/ISBI2012.md}
seed_args=("$@")
[ ${#seed_args[@]} -eq 0 ] && seed_args=(--seed 1)
mkdir -p "$run/predictions"

train_start=$(date +%s)
if [ "${TESSERA_SKIP_TRAINING:-0}" != 1 ]; then
  "$tessera" train "$config" -o "$run" "${seed_args[@]}" | tee "$run/train.log"
fi
train_seconds=$(( $(date +%s) - train_start ))

rows=""
for i in 25 26 27 28 29; do
  start=$(date +%s%N)
  "$tessera" predict -q -m "$run/best.pt" -i "$data/image/$i.png" -o "$run/predictions/$i.png" \
    --overlay "$run/predictions/$i-overlay.png"
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  "$tessera" evaluate -q --no-hausdorff --classes 0,255 -r "$data/label/$i.png" -s "$run/predictions/$i.png" \
    --json "$run/predictions/$i.json"
  rows+="$i $ms $run/predictions/$i.json"$'\n'
done

python3 - "$out" "$config" "$run" "$train_seconds" "${seed_args[*]}" <<'PY' "$rows" "$root"
import json, sys, csv, os, subprocess, datetime
out, config, run, train_seconds, seed = sys.argv[1:6]
rows = [r.split() for r in sys.argv[6].strip().splitlines()]
root = sys.argv[7]
lines = []
tp0 = ref0 = seg0 = correct = compared = 0
for image, ms, path in rows:
    j = json.load(open(path))
    s = j["summary"]
    m = next(c for c in j["classes"] if c["label"] == 0)
    cell = next(c for c in j["classes"] if c["label"] == 255)
    lines.append(f"| {image} | {s['pixel_accuracy']:.4f} | {m['dice']:.4f} | {cell['dice']:.4f} | {s['mean_iou']:.4f} | {int(ms)/1000:.1f} |")
    tp0 += m["true_positives"]; ref0 += m["reference_voxels"]; seg0 += m["segmentation_voxels"]
    correct += s["correct_voxels"]; compared += s["compared_voxels"]
accuracy = correct / compared
dice0 = 2 * tp0 / (ref0 + seg0)
history = list(csv.DictReader(open(os.path.join(run, "training.csv"))))
best = max(history, key=lambda r: float(r["val_miou"] or 0))
steps = json.load(open(config)).get("steps_per_epoch", 0)
passed = accuracy >= 0.91 and dice0 >= 0.78
cpu = subprocess.run("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2", shell=True, capture_output=True, text=True).stdout.strip()
rel = lambda p: os.path.relpath(p, os.getcwd())
with open(out, "w") as f:
    f.write(f"""# ISBI 2012 EM membrane segmentation: U-Net trained by `tessera train`

A U-Net trained from scratch on this machine's CPU by `tessera train` with
`{os.path.relpath(config, root)}` (images 0-21 training, 22-24
validation for checkpoint selection; 256² crops, flips, quarter turns, zoom, brightness/contrast; cross-entropy + Dice;
Adam), then `tessera predict` (sliding 256² windows, Gaussian blending) on the held-out images 25-29, scored by
`tessera evaluate` against the released labels (255 = cell, 0 = membrane). The model maps classes 0/1 back to 0/255
(config `remap` {{"0": 0, "255": 1}}; output values are the remap's inverse).

Target (issue): pixel accuracy ≥ 0.91 and membrane (label 0) Dice ≥ 0.78 within 60 minutes of CPU training.

| image | pixel accuracy | Dice membrane (0) | Dice cell (255) | mean IoU | predict s |
|---|---|---|---|---|---|
""" + "\n".join(lines) + f"""
| **all 5 (pooled)** | **{accuracy:.4f}** | **{dice0:.4f}** | | | |

Result: {"**target met**" if passed else "**target NOT met**"}.

Training: {len(history)} epochs ({len(history)} × {steps} steps of batch {json.load(open(config))['batch_size']}) in {sum(float(r['seconds']) for r in history)/60:.1f} minutes
(sum of the epochs' wall clock; the whole `tessera train` command: {int(train_seconds)/60:.1f} minutes; budget `max_minutes` = {json.load(open(config)).get('max_minutes')});
best epoch {best['epoch']} (val mIoU {float(best['val_miou']):.4f}, val Dice {float(best['val_dice']):.4f});
per-epoch figures in `training.csv` of the run folder.

Machine: {os.cpu_count()} cores, {cpu}; {datetime.date.today().isoformat()}.

Reproduce:
```
Testing/Benchmarks/run-isbi2012-unet.sh build {seed}
# which runs:
tessera train Documentation/Learning/isbi2012-unet.json -o build/isbi2012-unet {seed}
tessera predict -m build/isbi2012-unet/best.pt -i ../shared/data/isbi2012-membrane/image/25.png -o 25.png   # … 25-29
tessera evaluate --no-hausdorff --classes 0,255 -r ../shared/data/isbi2012-membrane/label/25.png -s 25.png --json 25.json
```
""")
print(f"pixel accuracy {accuracy:.4f}, membrane Dice {dice0:.4f}: {'target met' if passed else 'target NOT met'} -> {out}")
PY
