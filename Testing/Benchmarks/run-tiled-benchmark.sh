#!/bin/bash
# Tiled runs under a memory budget (--ram): `tessera segment --ram 2048` and `tessera predict --ram 2048`
# (a small U-Net trained here for 2 minutes on the Dubai tiles 1-6) on square crops of a 20000 x 20000 RGB
# GeoTIFF mosaic of the Dubai aerial images (make_dubai_mosaic.py), 1 to 400 Mpx, wall time and peak
# resident memory (GNU time), beside OTB's streaming BandMath (a threshold: reading and writing alone) under
# the same -ram on the same files; then, on the 4000 x 4000 crop, the tiled labels against the whole run's.
# Writes Documentation/Benchmarks/TiledImages.{md,csv,png} and TiledPredict.png. Needs about 2 GB of disk in
# the scratch folder and about 40 minutes on 2 cores.
#   Testing/Benchmarks/run-tiled-benchmark.sh [build-folder]
set -euo pipefail
source "$(dirname "$0")/large-images-common.sh"

make_mosaic
# The small U-Net: dubai-unet-cpu-short.json at full resolution (tiled runs take input_scale 1), 8 wide, 3 levels.
/usr/bin/python3 - "$root/Documentation/Learning" "$data/dubai-aerial" "$scratch" <<'PY'
import json, sys
learning, dubai, scratch = sys.argv[1:4]
c = json.load(open(f"{learning}/dubai-unet-cpu-short.json"))
for key in ("comment", "input_scale", "output"):
    c.pop(key)
c["data"]["train"] = {kind: [f"{dubai}/tile{i}/{folder}" for i in range(1, 7)]
                      for kind, folder in (("images", "images"), ("labels", "masks"))}
c["data"]["val"] = {"images": f"{dubai}/tile7/images", "labels": f"{dubai}/tile7/masks"}
c["data"]["label_table"] = f"{learning}/dubai-labels.json"
c["network"].update(base_width=8, depth=3)
c["max_minutes"] = 2
json.dump(c, open(f"{scratch}/unet.json", "w"), indent=1)
PY
"$tessera" train -q --seed 1 "$scratch/unet.json" -o "$scratch/unet"
model="$scratch/unet/best.pt"
for side in 1000 2000 4000 8000; do
  gdal_translate -q -co TILED=YES -co COMPRESS=DEFLATE -srcwin 0 0 $side $side "$scratch/mosaic-20000.tif" \
    "$scratch/mosaic-$side.tif"
done

timed() { # csv-fields..., then -- command...: appends "fields,seconds,peak MiB" to the CSV
  local fields=()
  while [ "$1" != "--" ]; do fields+=("$1"); shift; done
  shift
  /usr/bin/time -f "%e %M" -o "$scratch/time.txt" "$@" > "$scratch/stdout.txt" 2> "$scratch/stderr.txt"
  read -r seconds kib < "$scratch/time.txt"
  echo "$(IFS=,; echo "${fields[*]}"),$seconds,$((kib / 1024))" >> "$docs/TiledImages.csv"
}

echo "side,megapixels,contender,seconds,peak_mib" > "$docs/TiledImages.csv"
for side in 1000 2000 4000 8000 20000; do
  mpx=$(( side * side / 1000000 ))
  timed $side $mpx "tessera segment --ram 2048" -- "$tessera" segment -i "$scratch/mosaic-$side.tif" \
    -o "$scratch/labels-$side.tif" --ram 2048
  tail -n 1 "$scratch/stdout.txt" > "$scratch/tiles-segment-$side.txt"
  timed $side $mpx "tessera predict --ram 2048" -- "$tessera" predict -m "$model" -i "$scratch/mosaic-$side.tif" \
    -o "$scratch/labels-$side.tif" --ram 2048
  tail -n 1 "$scratch/stdout.txt" > "$scratch/tiles-predict-$side.txt"
  timed $side $mpx "OTB BandMath -ram 2048" -- otbcli_BandMath -il "$scratch/mosaic-$side.tif" \
    -out "$scratch/otb-$side.tif?&gdal:co:COMPRESS=DEFLATE&gdal:co:TILED=YES" uint8 -exp "im1b1 > 128" -ram 2048
  rm -f "$scratch"/labels-$side.* "$scratch"/otb-$side.tif
done

# The 4000 x 4000 crop whole (it fits in 2 GB) and tiled (--ram 300).
crop="$scratch/mosaic-4000.tif"
"$tessera" segment -q -i "$crop" -o "$scratch/segment-whole.tif"
"$tessera" segment -q -i "$crop" -o "$scratch/segment-tiled.tif" --ram 300
"$tessera" gmm -q -i "$crop" -o "$scratch/gmm-whole.tif"
"$tessera" gmm -q -i "$crop" -o "$scratch/gmm-tiled.tif" --ram 300
# kNN trained on the 1000 x 1000 corner's own gmm classes.
"$tessera" gmm -q -i "$scratch/mosaic-1000.tif" -o "$scratch/gmm-1000.tif"
"$tessera" knn train -q -i "$scratch/mosaic-1000.tif" -l "$scratch/gmm-1000.tif" -m "$scratch/knn.json" \
  --local-mean-radius 2 --max-samples 20000
"$tessera" knn apply -q -i "$crop" -m "$scratch/knn.json" -o "$scratch/knn-whole.tif"
"$tessera" knn apply -q -i "$crop" -m "$scratch/knn.json" -o "$scratch/knn-tiled.tif" --ram 300
# predict: whole, the crop takes about 2 GB; --ram 1024 runs it tile by tile. Its probabilities are compared too.
"$tessera" predict -q -m "$model" -i "$crop" -o "$scratch/predict-whole.tif" --probabilities "$scratch/predict-whole-p.tif"
"$tessera" predict -m "$model" -i "$crop" -o "$scratch/predict-tiled.tif" \
  --probabilities "$scratch/predict-tiled-p.tif" --ram 1024 2> /dev/null | tail -n 1 > "$scratch/tiles-predict-crop.txt"

/usr/bin/python3 - "$docs" "$scratch" "$load" "$(cut -d' ' -f1-3 /proc/loadavg)" \
  "$(git -C "$root" rev-parse --short HEAD)" "$(nproc)" <<'EOF'
import csv, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from osgeo import gdal

docs, scratch, before, after, commit, cores = sys.argv[1:7]
rows = list(csv.DictReader(open(f"{docs}/TiledImages.csv")))
contenders = list(dict.fromkeys(r["contender"] for r in rows))

def differing(name):
    a = gdal.Open(f"{scratch}/{name}-whole.tif").ReadAsArray()
    b = gdal.Open(f"{scratch}/{name}-tiled.tif").ReadAsArray()
    same_grid = gdal.Open(f"{scratch}/{name}-whole.tif").GetGeoTransform() == gdal.Open(f"{scratch}/{name}-tiled.tif").GetGeoTransform()
    return (a != b).mean(), same_grid

def tiles(contender, side):
    name = contender.split()[1] if contender.startswith("tessera") else ""
    return open(f"{scratch}/tiles-{name}-{side}.txt").read().strip() if name else ""
lines = [
    "# Tiled runs under a memory budget", "",
    "`tessera segment --ram 2048` (k-means → GMM-EM → Potts alpha-expansion, 3 classes) and `tessera predict",
    "--ram 2048` (a U-Net 8 wide with 3 levels, 256² windows overlapping by half, trained for 2 minutes on the",
    "Dubai tiles 1-6 by the benchmark) on square crops of a 20000 × 20000 RGB GeoTIFF mosaic of the 63 Dubai",
    "aerial images (each resized to 2000², cycled; `Testing/Benchmarks/make_dubai_mosaic.py`), tiled DEFLATE",
    "GeoTIFF in and out. Beside them, OTB 8.1's",
    "`otbcli_BandMath` (a threshold of band 1) under the same `-ram 2048` on the same file: OTB's streaming of",
    "reading and writing with almost no work, the floor a tiled method stands on. Peak memory is the whole",
    "process's (GNU time); *seconds per Mpx* is wall time over pixels.", "",
    f"Machine: {cores} cores; load average {before} at the start, {after} at the end; commit {commit}.",
    "Reproduce: `Testing/Benchmarks/run-tiled-benchmark.sh` (writes this page, `TiledImages.csv` and `TiledImages.png`).", "",
    "| side | Mpx | contender | seconds | seconds per Mpx | peak MiB | how Tessera ran it |",
    "|---|---|---|---|---|---|---|",
]
for r in rows:
    mpx = int(r["side"]) ** 2 / 1e6
    how = tiles(r["contender"], r["side"])
    how = how if "tiles of" in how else ("whole (it fits the budget)" if r["contender"].startswith("tessera") else "")
    lines.append(f"| {r['side']} | {mpx:g} | {r['contender']} | {float(r['seconds']):.2f} | "
                 f"{float(r['seconds']) / mpx:.3f} | {r['peak_mib']} | {how} |")
lines += ["", "## Tiled against whole, 4000 × 4000 crop", "",
          "The crop fits in 2 GB (predict: nearly), so it runs whole and also tiled: `--ram 300` for the classical",
          "stages, `--ram 1024` for predict.", "",
          "| stage | pixels whose label differs | same grid and georeference | why |", "|---|---|---|---|"]
why = {"segment": "the mixture is fitted on a sample of 2^20 pixels instead of all 16 M, and the Potts MRF "
                  "reaches past its 64-pixel halo",
       "gmm": "the mixture is fitted on a sample of 2^20 pixels instead of all 16 M; each pixel is then classified "
              "as the whole run would with that model",
       "knn": "pixelwise with a fixed model and a halo wider than its 5 × 5 local means: identical",
       "predict": "each tile runs the whole run's windows (the window is the halo), in batches of the same size: "
                  "identical, probabilities too (largest difference %g)"}
p_whole = gdal.Open(f"{scratch}/predict-whole-p.tif").ReadAsArray()
p_tiled = gdal.Open(f"{scratch}/predict-tiled-p.tif").ReadAsArray()
why["predict"] %= float(np.abs(p_whole - p_tiled).max())
for name, stage in [("segment", "segment"), ("gmm", "gmm"), ("knn", "knn apply"),
                    ("predict", "predict (" + open(f"{scratch}/tiles-predict-crop.txt").read().strip().split(" under")[0] + ")")]:
    fraction, same = differing(name)
    lines.append(f"| {stage} | {100 * fraction:.3f} % | {'yes' if same else 'NO'} | {why[name]} |")
open(f"{docs}/TiledImages.md", "w").write("\n".join(lines) + "\n")

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
for c in contenders:
    sub = [r for r in rows if r["contender"] == c]
    x = [int(r["side"]) ** 2 / 1e6 for r in sub]
    left.plot(x, [float(r["seconds"]) for r in sub], "o-", label=c)
    right.plot(x, [int(r["peak_mib"]) for r in sub], "o-", label=c)
for ax, title in [(left, "wall time (s)"), (right, "peak resident memory (MiB)")]:
    ax.set_xscale("log")
    ax.set_xlabel("megapixels")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
left.set_yscale("log")
right.axhline(2048, color="grey", linestyle="--", label="--ram 2048")
right.legend(fontsize=8)
fig.tight_layout()
fig.savefig(f"{docs}/TiledImages.png", dpi=100)

lines += ["", "Superpixels, whose regions a tiled run joins across tile borders: [TiledRegions](TiledRegions.md).",
          "", "![The tiled U-Net's labels](TiledPredict.png)"]
open(f"{docs}/TiledImages.md", "w").write("\n".join(lines) + "\n")

# What the tiled U-Net labelled: the crop's top-left 2000 x 2000 pixels (halved), image and labels in the
# label table's colours, side by side; tile borders (every 2048 pixels under --ram 1024) fall inside.
import json
table = json.load(open(f"{docs}/../Learning/dubai-labels.json"))["labels"]
colours = np.zeros((256, 3), np.uint8)
for entry in table:
    colours[entry["id"]] = entry["color"]
image = gdal.Open(f"{scratch}/mosaic-4000.tif").ReadAsArray(0, 0, 2000, 2000)[:3, ::2, ::2].transpose(1, 2, 0)
labels = gdal.Open(f"{scratch}/predict-tiled.tif").ReadAsArray(0, 0, 2000, 2000)[::2, ::2]
fig, axes = plt.subplots(1, 2, figsize=(10, 5.4))
axes[0].imshow(image)
axes[1].imshow(colours[labels])
for ax, title in zip(axes, ["mosaic, 2000 x 2000 corner", "predict --ram 1024 (2-minute U-Net)"]):
    ax.set_title(title)
    ax.axis("off")
fig.tight_layout()
fig.savefig(f"{docs}/TiledPredict.png", dpi=80)
print(open(f"{docs}/TiledImages.md").read())
EOF
