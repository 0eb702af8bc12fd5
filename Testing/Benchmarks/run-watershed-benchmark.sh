#!/bin/sh
# Watershed from markers: Tessera's flooding against OpenCV's cv::watershed (2D, a 1.2 Mpx Dubai
# aerial tile) and ITK's MorphologicalWatershedFromMarkersImageFilter (2D, and a 3D MICCAI T1),
# same relief and markers, interleaved rounds; then `tessera watershed` against a minimal OpenCV
# program (watershed_opencv_peer.cxx, compiled here against OpenCV alone) as whole commands.
# Writes Documentation/Benchmarks/Watershed.md (and .csv).
#   Testing/Benchmarks/run-watershed-benchmark.sh [build-folder] [repeats (default 7)]
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
repeats=${2:-7}
data=$(cd "${TESSERA_DATA_DIR:-$root/../shared/data}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bench=$build/Testing/Benchmarks/tesseraWatershedBenchmark
tessera=$build/Applications/tessera
[ -x "$bench" ] && [ -x "$tessera" ] || {
  echo "build tesseraWatershedBenchmark and tessera first (cmake --build $build --target tesseraWatershedBenchmark tessera)" >&2
  exit 1
}
c++ -O2 -o "$work/watershed-opencv" "$root/Testing/Benchmarks/watershed_opencv_peer.cxx" \
  $(pkg-config --cflags opencv4) -Wl,--as-needed -lopencv_imgcodecs -lopencv_imgproc -lopencv_core
"$bench" --image "$data/dubai-aerial/tile5/images/image_part_001.jpg" \
  --volume "$data/miccai2012-multiatlas/1000_SS.nii.gz" --repeats "$repeats" --tessera "$tessera" \
  --opencv-program "$work/watershed-opencv" --work "$work" \
  --output "$root/Documentation/Benchmarks/Watershed.md" --csv "$root/Documentation/Benchmarks/Watershed.csv"
