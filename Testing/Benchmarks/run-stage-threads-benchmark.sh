#!/bin/sh
# Every parallel stage at 2 threads against 1, in process, interleaved, into
# Documentation/Benchmarks/Threads.md (and .csv). TESSERA_PREDICT_MODEL (a model trained on the
# ISBI 2012 membranes, e.g. by run-isbi2012-unet.sh) adds the tiled-inference row.
#   Testing/Benchmarks/run-stage-threads-benchmark.sh [build-folder] [rounds]
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
rounds=${2:-5}
ninja -C "$build" tessera tesseraStageThreadsBenchmark >/dev/null
cd "$root"
/usr/bin/python3 Testing/Benchmarks/stage_threads_benchmark.py --build "$build" \
  --data "${TESSERA_DATA_DIR:-$root/../shared/data}" --rounds "$rounds" \
  ${TESSERA_PREDICT_MODEL:+--model "$TESSERA_PREDICT_MODEL"} --output Documentation/Benchmarks
