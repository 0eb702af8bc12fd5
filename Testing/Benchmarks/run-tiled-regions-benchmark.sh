#!/bin/bash
# Superpixels in a tiled run (--ram): the regions crossing tile borders are joined (TileRegionStitcher).
# On the 4000 x 4000 crop of the Dubai mosaic (make_dubai_mosaic.py): `tessera superpixels` (SLIC and
# Felzenszwalb) whole and under three budgets, against the whole run: regions, achievable segmentation
# accuracy both ways, seconds and peak memory (GNU time); OTB's tiled LargeScaleMeanShift on the same crop
# as the peer that stitches tiles; then SLIC on the whole 20000 x 20000 mosaic under 2 GB.
# Writes Documentation/Benchmarks/TiledRegions.{md,csv,png}. About 15 minutes on 2 cores, 1.5 GB of disk.
#   Testing/Benchmarks/run-tiled-regions-benchmark.sh [build-folder]
set -euo pipefail
source "$(dirname "$0")/large-images-common.sh"

make_mosaic
crop="$scratch/mosaic-4000.tif"
gdal_translate -q -co TILED=YES -co COMPRESS=DEFLATE -srcwin 0 0 4000 4000 "$scratch/mosaic-20000.tif" "$crop"

csv="$docs/TiledRegions.csv"
echo "image,method,budget_mb,run,seconds,peak_mib,regions,asa_tiled_to_whole,asa_whole_to_tiled" > "$csv"
timed() { # image method budget output, then -- command...: runs it, keeps seconds, peak MiB and its last line
  local image=$1 method=$2 budget=$3 output=$4
  shift 5
  /usr/bin/time -f "%e %M" -o "$scratch/time.txt" "$@" > "$scratch/stdout.txt" 2> /dev/null
  read -r seconds kib < "$scratch/time.txt"
  run=$(tail -n 1 "$scratch/stdout.txt" | tr ',' ';')
  echo "$image,$method,$budget,$run,$seconds,$((kib / 1024))" > "$scratch/row.txt"
}
compare() { # whole tiled: appends the row with regions and ASA both ways
  /usr/bin/python3 - "$1" "$2" "$(cat "$scratch/row.txt")" >> "$csv" <<'PY'
import sys
import numpy as np
from osgeo import gdal
whole, tiled = (gdal.Open(p).ReadAsArray().astype(np.int64).ravel() for p in sys.argv[1:3])
def asa(x, y):
    """Achievable segmentation accuracy of x's regions on y's: each region of x takes its best match."""
    pairs, counts = np.unique(x * 65536 + y, return_counts=True)
    best = np.zeros(pairs.max() // 65536 + 1, np.int64)
    np.maximum.at(best, pairs // 65536, counts)
    return best.sum() / x.size
print(f"{sys.argv[3]},{len(np.unique(tiled))},{asa(tiled, whole):.5f},{asa(whole, tiled):.5f}")
PY
}

# Budgets down to about the smallest tile each method takes (twice the halo a side).
declare -A budgets=([slic]="1024 400 250" [felzenszwalb]="1024 600 400")
for method in slic felzenszwalb; do
  options=(-n 8000 --method "$method")
  timed crop "$method" "" "$scratch/whole.tif" -- "$tessera" superpixels -i "$crop" -o "$scratch/whole.tif" "${options[@]}"
  compare "$scratch/whole.tif" "$scratch/whole.tif"
  for budget in ${budgets[$method]}; do
    timed crop "$method" $budget "$scratch/tiled.tif" -- "$tessera" superpixels -i "$crop" -o "$scratch/tiled.tif" \
      "${options[@]}" --ram $budget
    compare "$scratch/whole.tif" "$scratch/tiled.tif"
    [ "$method" = slic ] && [ $budget = 250 ] && cp "$scratch/tiled.tif" "$scratch/slic-250.tif"
  done
  [ "$method" = slic ] && cp "$scratch/whole.tif" "$scratch/slic-whole.tif"
done
# OTB's large-scale mean-shift segments tiles of 500 pixels with margins and stitches them, under the same budget.
timed crop "OTB LargeScaleMeanShift" 400 "$scratch/otb.tif" -- otbcli_LargeScaleMeanShift -in "$crop" -spatialr 5 \
  -ranger 15 -minsize 50 -tilesizex 500 -tilesizey 500 -mode raster -mode.raster.out "$scratch/otb.tif" uint32 -ram 400
echo "$(cut -d, -f1-3 "$scratch/row.txt"),tiles of 500 x 500 pixels,$(cut -d, -f5- "$scratch/row.txt"),$(/usr/bin/python3 -c "
import sys, numpy as np
from osgeo import gdal
print(len(np.unique(gdal.Open(sys.argv[1]).ReadAsArray())))" "$scratch/otb.tif"),," >> "$csv"
# The whole mosaic, 400 Mpx, under 2 GB; as many superpixels as a label image holds.
timed mosaic slic 2048 "$scratch/mosaic-sp.tif" -- "$tessera" superpixels -i "$scratch/mosaic-20000.tif" \
  -o "$scratch/mosaic-sp.tif" -n 65535 --ram 2048
echo "$(cat "$scratch/row.txt"),$(tail -n 1 "$scratch/stdout.txt" | sed -E 's/.*, ([0-9]+) regions joined.*/\1/'),," >> "$csv"

/usr/bin/python3 - "$csv" "$docs" "$load" "$(cut -d' ' -f1-3 /proc/loadavg)" "$(git -C "$root" rev-parse --short HEAD)" \
  "$crop" "$scratch/slic-whole.tif" "$scratch/slic-250.tif" <<'PY'
import csv, sys
import numpy as np
from osgeo import gdal
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
table, docs, before, after, commit, crop, whole, tiled = sys.argv[1:9]
rows = list(csv.DictReader(open(table)))
lines = ["# Superpixels in tiled runs", "",
         "`tessera superpixels --ram MB` on a 4000 × 4000 crop of the 20000 × 20000 RGB mosaic of the Dubai aerial",
         "images (`Testing/Benchmarks/make_dubai_mosaic.py`), 8000 superpixels, whole and under three budgets. Each tile",
         "is segmented with a halo; SLIC takes the whole image's grid step and crops each tile so that its seeds fall",
         "where the whole run's do, with a halo of 6 grid steps; the regions that cross tile borders are joined where",
         "both tiles see them cross and numbered 1..N in raster order, as a whole run numbers them",
         "(`TileRegionStitcher`). *ASA* is the achievable segmentation accuracy (Stutz et al. 2018) of one run's",
         "regions on the other's: the fraction of pixels left in the best-matching region; 1 − ASA is the fraction",
         "of pixels whose region differs. Peak memory is the whole process's (GNU time).",
         "OTB's `LargeScaleMeanShift` (Michel et al. 2015), which segments tiles with margins and stitches them, runs",
         "on the same crop under the same kind of budget: another algorithm, the peer for time and memory.", "",
         f"Machine: 2 cores; load average {before} at the start, {after} at the end; commit {commit}.",
         "Reproduce: `Testing/Benchmarks/run-tiled-regions-benchmark.sh` (writes this page, `TiledRegions.csv` and "
         "`TiledRegions.png`).", "",
         "| image | method | --ram (MB) | how it ran | seconds | peak MiB | regions | ASA tiled → whole | ASA whole → tiled |",
         "|---|---|---|---|---|---|---|---|---|"]
for r in rows:
    image = "4000² crop" if r["image"] == "crop" else "20000² mosaic"
    lines.append(f"| {image} | {r['method']} | {r['budget_mb'] or 'none'} | {r['run']} | {r['seconds']} | "
                 f"{r['peak_mib']} | {r['regions']} | {r['asa_tiled_to_whole'] or '–'} | {r['asa_whole_to_tiled'] or '–'} |")
lines += ["", "Other methods (opencv-slic, slico, mslic, seeds, lsc) are refused with `--ram`: OpenCV fits their seed",
          "grid to each image's size, so neighbouring tiles would not agree at their borders.", "",
          "![SLIC whole against tiled](TiledRegions.png)", ""]
open(f"{docs}/TiledRegions.md", "w").write("\n".join(lines))
# The crop's top-left 1500 x 1500: the tiled run's region borders, red where a pixel's region differs from
# the whole run's; the tile borders of the --ram 250 run dashed.
n = 1500
image = gdal.Open(crop).ReadAsArray(0, 0, n, n)[:3].transpose(1, 2, 0)
w = gdal.Open(whole).ReadAsArray(0, 0, 4000, 4000).astype(np.int64)
t = gdal.Open(tiled).ReadAsArray(0, 0, 4000, 4000).astype(np.int64)
pairs, counts = np.unique(t.ravel() * 65536 + w.ravel(), return_counts=True)
order = np.lexsort((-counts, pairs // 65536))
best = {}
for i in order:
    best.setdefault(pairs[i] // 65536, pairs[i] % 65536)
lookup = np.zeros(t.max() + 1, np.int64)
for k, v in best.items():
    lookup[k] = v
differs = (lookup[t] != w)[:n, :n]
t = t[:n, :n]
edges = (np.diff(t, axis=0, append=t[-1:]) != 0) | (np.diff(t, axis=1, append=t[:, -1:]) != 0)
shown = image.copy()
shown[edges] = (255, 255, 0)
shown[differs] = (0.5 * shown[differs] + (127, 0, 0)).astype(np.uint8)
figure, axis = plt.subplots(figsize=(9, 9))
axis.imshow(shown)
tile = int(next(r["run"] for r in rows if r["method"] == "slic" and r["budget_mb"] == "250").split(" tiles of ")[1].split(" ")[0])
for x in range(tile, n, tile):
    axis.axvline(x, color="cyan", linestyle="--", linewidth=1)
    axis.axhline(x, color="cyan", linestyle="--", linewidth=1)
axis.set_title(f"SLIC, 8000 superpixels, --ram 250: region borders (yellow), tile borders (cyan),\n"
               f"pixels whose region differs from the whole run's (red): {differs.mean() * 100:.2f} % of this view")
axis.axis("off")
figure.tight_layout()
figure.savefig(f"{docs}/TiledRegions.png", dpi=110)
PY
echo "wrote $docs/TiledRegions.md"
