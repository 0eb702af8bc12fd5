# Sourced by the large-image benchmarks, with their arguments: the source root, the build folder (their
# first argument, default build/), the data folder, a scratch folder removed at exit, the launcher, the
# documentation folder, the machine's load at the start, and make_mosaic.
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
data=${TESSERA_DATA_DIR:-$root/../shared/data}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
tessera="$build/Applications/tessera"
docs="$root/Documentation/Benchmarks"
load=$(cut -d' ' -f1-3 /proc/loadavg)
# The 20000 x 20000 RGB GeoTIFF mosaic of the Dubai images, as $scratch/mosaic-20000.tif.
make_mosaic() {
  /usr/bin/python3 "$root/Testing/Benchmarks/make_dubai_mosaic.py" "$data" "$scratch/mosaic-20000.tif" 20000
}
