#!/bin/sh
# Superpixel quality and speed on the Dubai aerial tiles: Tessera's SLIC (ITK) and OpenCV
# wrappers beside scikit-image's slic, scored with one metric code (boundary recall,
# undersegmentation error, achievable segmentation accuracy), written to
# Documentation/Benchmarks/Superpixels.md (and .csv).
#   Testing/Benchmarks/run-superpixel-benchmark.sh [build-folder] [images-per-tile (0 = all)]
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
per_tile=${2:-0}
data=${TESSERA_DATA_DIR:-$root/../shared/data}/dubai-aerial
segments=${SEGMENTS:-1000}
peer=$(mktemp -d)
trap 'rm -rf "$peer"' EXIT
bench=$(find "$build" -name tesseraSuperpixelBenchmark -type f -perm -u+x | head -n 1)
[ -n "$bench" ] || { echo "build tesseraSuperpixelBenchmark first (cmake --build $build --target tesseraSuperpixelBenchmark)" >&2; exit 1; }
/usr/bin/python3 "$root/Testing/Benchmarks/superpixel_skimage_peer.py" --data "$data" --out "$peer" \
  --segments "$segments" --images-per-tile "$per_tile"
"$bench" --data "$data" --peer "$peer" --segments "$segments" --images-per-tile "$per_tile" \
  --output "$root/Documentation/Benchmarks/Superpixels.md" --csv "$root/Documentation/Benchmarks/Superpixels.csv"
