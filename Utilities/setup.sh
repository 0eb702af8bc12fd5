#!/usr/bin/env bash
# Sets up Tessera on Debian 12 and runs one job; idempotent, and quick when already done.
#   Utilities/setup.sh demo   install, build, run the main job on bundled real images
#   Utilities/setup.sh test   install, build, run the whole test suite (what CI runs)
#   Utilities/setup.sh build  install and build only
# Environment: TESSERA_BUILD_DIR (default build/), TESSERA_DEMO_DIR (default demo-output/).
set -euo pipefail
mode=${1:-test}
case "$mode" in demo|test|build) ;; *) echo "usage: $0 demo|test|build" >&2; exit 2 ;; esac
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TESSERA_BUILD_DIR:-$root/build}

# libopenblas0-openmp: LibTorch's matrix products (and numpy's) go through the system BLAS, which is otherwise
# Debian's single-threaded reference one; this OpenBLAS shares LibTorch's OpenMP threads.
packages=(
  g++ cmake ninja-build ccache pkg-config libopenblas0-openmp
  libinsighttoolkit5-dev libfftw3-dev libgdcm-tools
  libopencv-dev libopencv-contrib-dev libboost-graph-dev
  libcli11-dev nlohmann-json3-dev zlib1g-dev libgtest-dev libbenchmark-dev libtorch-dev python3-torch
  insighttoolkit5-examples python3-skimage python3-sklearn python3-nibabel python3-numpy python3-pil
  elastix python3-matplotlib time libgdal-dev gdal-bin r-cran-stars snakemake
)
installed=$(dpkg-query -W -f='${db:Status-Abbrev}\n' "${packages[@]}" 2>/dev/null | grep -c '^ii' || true)
if [ "$installed" -ne "${#packages[@]}" ]; then
  echo "== installing Debian packages"
  as_root=()
  [ "$(id -u)" -eq 0 ] || as_root=(sudo)
  "${as_root[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -q --no-install-recommends "${packages[@]}"
fi

echo "== building in $build"
export CCACHE_BASEDIR="$root" CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}" CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"
mkdir -p "$build"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release > "$build/configure.log" 2>&1 ||
  { cat "$build/configure.log"; exit 1; }
cmake --build "$build" -j "$(nproc)"

examples=/usr/share/doc/insighttoolkit5-examples/examples/Data
case "$mode" in
  demo)
    out=${TESSERA_DEMO_DIR:-$root/demo-output}
    mkdir -p "$out"
    tessera="$build/Applications/tessera"
    echo "== tessera segment: brain MRI slice (2D grey, background + CSF, GM, WM)"
    "$tessera" segment -i "$examples/BrainT1Slice.png" --classes 4 -o "$out/BrainT1Slice_labels.png" \
      --overlay "$out/BrainT1Slice_overlay.png"
    echo "== tessera segment: T1 volume (3D, 2x2x3 mm; background, CSF, GM, WM)"
    "$tessera" segment -i "$examples/KmeansTest_T1UCharRaw.nii.gz" --classes 4 --smoothness 0.3 \
      -o "$out/KmeansTest_T1_labels.nii.gz" --probabilities "$out/KmeansTest_T1_posteriors.nii.gz" \
      --overlay "$out/KmeansTest_T1_overlay.png"
    echo "== tessera segment: coins (2D grey)"
    "$tessera" segment -i /usr/lib/python3/dist-packages/skimage/data/coins.png --classes 2 \
      -o "$out/coins_labels.png" --overlay "$out/coins_overlay.png"
    dubai="$root/../shared/data/dubai-aerial/tile1/images/image_part_001.jpg"
    if [ -f "$dubai" ]; then
      echo "== tessera segment: Dubai aerial tile (2D colour)"
      "$tessera" segment -i "$dubai" --classes 5 -o "$out/dubai_tile1_001_labels.png" \
        --overlay "$out/dubai_tile1_001_overlay.png"
    fi
    landsat=/usr/lib/R/site-library/stars/tif/L7_ETMs.tif
    echo "== tessera segment: Landsat-7 scene (6-band GeoTIFF, UTM), classes as a GeoTIFF and GeoPackage polygons"
    "$tessera" segment -i "$landsat" --classes 4 -o "$out/landsat_classes.tif" --overlay "$out/landsat_overlay.png"
    "$tessera" polygonize -i "$out/landsat_classes.tif" -o "$out/landsat_polygons.gpkg"
    echo "Results (label images, PNG overlays, a GeoTIFF and its polygons for QGIS) are in $out"
    ;;
  test)
    cd "$build"
    # The tests' scratch files go into build/Testing/scratch (TMPDIR, set by ctest: CMakeLists.txt).
    ctest --output-on-failure -j "$(nproc)" --timeout 1200
    ;;
esac
