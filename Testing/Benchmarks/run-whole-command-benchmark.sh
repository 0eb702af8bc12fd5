#!/bin/sh
# Whole commands against their peers (scikit-learn, scikit-image, elastix; OTB and MIA when Debian's
# otb-bin and mia-tools are installed: apt-get install otb-bin mia-tools) and at 1 vs 2 threads,
# interleaved, into Documentation/Benchmarks/WholeCommand.md (and .csv).
#   Testing/Benchmarks/run-whole-command-benchmark.sh [build-folder] [repeats]
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
repeats=${2:-5}
/usr/bin/python3 "$root/Testing/Benchmarks/whole_command_benchmark.py" --tessera "$build/Applications/tessera" \
  --data "${TESSERA_DATA_DIR:-$root/../shared/data}" --repeats "$repeats" \
  --output "$root/Documentation/Benchmarks/WholeCommand.md"
