# Sourced by run-large-images-benchmark.sh and run-tiled-benchmark.sh, with their arguments: the source
# root, the build folder (their first argument, default build/), the data folder, a scratch folder
# removed at exit, and the launcher.
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
data=${TESSERA_DATA_DIR:-$root/../shared/data}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
tessera="$build/Applications/tessera"
