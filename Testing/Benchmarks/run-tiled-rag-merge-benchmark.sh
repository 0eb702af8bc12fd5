#!/bin/bash
# Region adjacency graph merging in a tiled run (--ram): the graph is gathered tile by tile, merged once,
# and each tile relabelled. On the 4000 x 4000 crop of the Dubai mosaic (make_dubai_mosaic.py), with
# 8000 SLIC superpixels as regions: `tessera rag-merge` whole and under three budgets, against the whole
# run (pixels whose label differs, merges identical or not), seconds and peak memory (GNU time); merging
# of small regions against OTB's tiled LSMSSmallRegionsMerging on the same regions and budget; then the
# whole 20000 x 20000 mosaic (its superpixels made tiled first) under 2 GB.
# Writes Documentation/Benchmarks/TiledRagMerge.{md,csv}. About 12 minutes on 2 cores, 1.5 GB of disk.
#   Testing/Benchmarks/run-tiled-rag-merge-benchmark.sh [build-folder]
set -euo pipefail
command -v otbcli_LSMSSmallRegionsMerging > /dev/null || { echo "needs OTB's applications: apt-get install otb-bin" >&2; exit 1; }
source "$(dirname "$0")/large-images-common.sh"

make_mosaic
crop="$scratch/mosaic-4000.tif"
gdal_translate -q -co TILED=YES -co COMPRESS=DEFLATE -srcwin 0 0 4000 4000 "$scratch/mosaic-20000.tif" "$crop"
"$tessera" superpixels -q -i "$crop" -n 8000 -o "$scratch/sp.tif"

csv="$docs/TiledRagMerge.csv"
echo "image,merging,budget_mb,run,result,seconds,peak_mib,regions,differing_fraction,same_merges" > "$csv"
timed() { # command...: runs it, keeps seconds, peak MiB, its tiles (or "whole") and its result line
  /usr/bin/time -f "%e %M" -o "$scratch/time.txt" "$@" > "$scratch/stdout.txt" 2> /dev/null
  read -r seconds kib < "$scratch/time.txt"
  run=$( (grep -o "^[0-9]* tiles of [0-9]* x [0-9]* pixels" "$scratch/stdout.txt" || echo whole) | tr ',' ';')
  result=$(grep "regions after" "$scratch/stdout.txt" | tr ',' ';' || true)
}
compare() { # whole tiled [whole.csv tiled.csv]: regions of tiled, fraction of pixels whose label differs, same merges
  /usr/bin/python3 - "$@" <<'PY'
import sys
import numpy as np
from osgeo import gdal
whole, tiled = (gdal.Open(p).ReadAsArray().astype(np.int64) for p in sys.argv[1:3])
same = "" if len(sys.argv) < 5 else ("yes" if open(sys.argv[3]).read() == open(sys.argv[4]).read() else "no")
print(f"{len(np.unique(tiled[tiled > 0]))},{(whole != tiled).mean():.6f},{same}")
PY
}

# Hierarchical merging, mean-colour weights, as the whole run and under budgets down to small tiles.
merge=(rag-merge -i "$crop" --regions "$scratch/sp.tif" -t 12 --connectivity 2)
for budget in "" 400 150 100; do
  timed "$tessera" "${merge[@]}" -o "$scratch/tiled.tif" --hierarchy "$scratch/tiled.csv" ${budget:+--ram $budget}
  row="crop,hierarchical -t 12,$budget,$run,$result,$seconds,$((kib / 1024))"
  if [ -z "$budget" ]; then
    mv "$scratch/tiled.tif" "$scratch/whole.tif"
    mv "$scratch/tiled.csv" "$scratch/whole.csv"
    echo "$row,$(compare "$scratch/whole.tif" "$scratch/whole.tif" "$scratch/whole.csv" "$scratch/whole.csv")" >> "$csv"
  else
    echo "$row,$(compare "$scratch/whole.tif" "$scratch/tiled.tif" "$scratch/whole.csv" "$scratch/tiled.csv")" >> "$csv"
  fi
done
# Small regions absorbed by their most similar neighbour; OTB's tiled small-region merging of LSMS as the peer.
small=(rag-merge -i "$crop" --regions "$scratch/sp.tif" --method none --min-size 300)
timed "$tessera" "${small[@]}" -o "$scratch/small-whole.tif"
echo "crop,small regions < 300,,$run,$result,$seconds,$((kib / 1024)),$(compare "$scratch/small-whole.tif" "$scratch/small-whole.tif")" >> "$csv"
timed "$tessera" "${small[@]}" -o "$scratch/small-tiled.tif" --ram 150
echo "crop,small regions < 300,150,$run,$result,$seconds,$((kib / 1024)),$(compare "$scratch/small-whole.tif" "$scratch/small-tiled.tif")" >> "$csv"
timed otbcli_LSMSSmallRegionsMerging -in "$crop" -inseg "$scratch/sp.tif" -out "$scratch/otb.tif" uint32 -minsize 300 \
  -tilesizex 500 -tilesizey 500 -ram 250
echo "crop,OTB LSMSSmallRegionsMerging < 300,250,tiles of 500 x 500 pixels,,$seconds,$((kib / 1024)),$(compare "$scratch/small-whole.tif" "$scratch/otb.tif" | cut -d, -f1),," >> "$csv"
# The whole mosaic, 400 Mpx, under 2 GB: its 65535 superpixels made tiled, then merged tiled.
"$tessera" superpixels -q -i "$scratch/mosaic-20000.tif" -o "$scratch/mosaic-sp.tif" -n 65535 --ram 2048
timed "$tessera" rag-merge -i "$scratch/mosaic-20000.tif" --regions "$scratch/mosaic-sp.tif" -t 12 --connectivity 2 \
  -o "$scratch/mosaic-merged.tif" --ram 2048
echo "mosaic,hierarchical -t 12,2048,$run,$result,$seconds,$((kib / 1024)),$(echo "$result" | sed -E 's/.*-> ([0-9]+) regions.*/\1/'),," >> "$csv"

/usr/bin/python3 - "$csv" "$docs" "$load" "$(cut -d' ' -f1-3 /proc/loadavg)" "$(git -C "$root" rev-parse --short HEAD)" <<'PY'
import csv, sys
table, docs, before, after, commit = sys.argv[1:6]
rows = list(csv.DictReader(open(table)))
lines = ["# Region merging in tiled runs", "",
         "`tessera rag-merge --ram MB` on a 4000 × 4000 crop of the 20000 × 20000 RGB mosaic of the Dubai aerial",
         "images (`Testing/Benchmarks/make_dubai_mosaic.py`), its 8000 SLIC superpixels (`tessera superpixels -n 8000`)",
         "as the regions, whole and under budgets. A tiled run gathers the region adjacency graph tile by tile: every",
         "region's statistics and every boundary's are running sums, and a 1-pixel halo holds the neighbour pairs",
         "across tile borders, each counted by the tile holding its first pixel. The graph is merged once, then each",
         "tile's regions are relabelled. *Differing* is the fraction of pixels whose label differs from the whole",
         "run's; *same merges* compares the merge lists (`--hierarchy`) line by line. Peak memory is the whole",
         "process's (GNU time).",
         "OTB's `LSMSSmallRegionsMerging` (the small-region step of its large-scale mean-shift, tiled with `-ram`)",
         "merges the same regions below the same size: the peer for time and memory (OTB merges into the closest",
         "neighbour by spectral distance too, but in its own order, so its regions are not ours); it makes one pass",
         "over the tiles per region size below the threshold, so its time grows with the threshold.", "",
         f"Machine: 2 cores; load average {before} at the start, {after} at the end; commit {commit}.",
         "Reproduce: `Testing/Benchmarks/run-tiled-rag-merge-benchmark.sh` (writes this page and `TiledRagMerge.csv`).", "",
         "| image | merging | --ram (MB) | how it ran | result | seconds | peak MiB | regions | differing | same merges |",
         "|---|---|---|---|---|---|---|---|---|---|"]
for r in rows:
    image = "4000² crop" if r["image"] == "crop" else "20000² mosaic"
    differing = f"{float(r['differing_fraction']) * 100:.4f} %" if r["differing_fraction"] else "–"
    lines.append(f"| {image} | {r['merging']} | {r['budget_mb'] or 'none'} | {r['run']} | {r['result'] or '–'} | {r['seconds']} | "
                 f"{r['peak_mib']} | {r['regions']} | {differing} | {r['same_merges'] or '–'} |")
lines += ["", "On 8-bit images with mean-colour weights the sums are exact in double precision, so the tiled graph",
          "is the whole run's and so are the merges; boundary weights (`--weight boundary`) sum square roots, whose",
          "rounding depends on the order of the tiles.", "",
          "`rag-merge --ram` needs `--regions`: superpixels made on the fly would be made per tile; make them first",
          "with `tessera superpixels --ram` (see [TiledRegions.md](TiledRegions.md)).", ""]
open(f"{docs}/TiledRagMerge.md", "w").write("\n".join(lines))
PY
echo "wrote $docs/TiledRagMerge.md"
