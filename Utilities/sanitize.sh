#!/usr/bin/env bash
# Builds Tessera with clang 14, AddressSanitizer and UndefinedBehaviorSanitizer in build-sanitize/
# (one build, about 40 minutes on 2 cores, serves both jobs), after Utilities/setup.sh has installed
# the Debian packages, and runs one job:
#   Utilities/sanitize.sh test          the whole test suite, sanitized (Documentation/Sanitizers.md)
#   Utilities/sanitize.sh fuzz SECONDS [THING...]
#                                       every fuzz target of Testing/Fuzzing (or those named) for
#                                       SECONDS, two at a time, then writes Documentation/Benchmarks/Fuzzing.md
# Environment: JOBS (default 2, at nice 10). Fuzz runs keep their corpora, logs and crash inputs in
# build-sanitize/fuzzing/; a crash input becomes Testing/Fuzzing/regressions/<Thing>/ by hand,
# with the fix.
set -euo pipefail
mode=${1:-}
seconds=${2:-}
case "$mode" in
  test) ;;
  fuzz) [[ "$seconds" =~ ^[0-9]+$ ]] || { echo "usage: $0 fuzz SECONDS [THING...]" >&2; exit 2; } ;;
  *) echo "usage: $0 test | fuzz SECONDS [THING...]" >&2; exit 2 ;;
esac
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-sanitize
jobs=${JOBS:-2}
things=(ImageReader LabelTable KNNModel TrainingConfig Pipeline)
[ "$mode" = fuzz ] && [ $# -gt 2 ] && things=("${@:3}")

if ! dpkg-query -W -f='${db:Status-Abbrev}\n' clang-14 libclang-rt-14-dev 2>/dev/null | grep -c '^ii' | grep -qx 2; then
  echo "== installing clang 14 and its sanitizer and libFuzzer runtimes"
  as_root=()
  [ "$(id -u)" -eq 0 ] || as_root=(sudo)
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -q --no-install-recommends clang-14 libclang-rt-14-dev
fi

echo "== building in $build"
export CCACHE_BASEDIR="$root" CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}" CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"
mkdir -p "$build"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=clang-14 \
  -DCMAKE_CXX_COMPILER=clang++-14 -DTESSERA_SANITIZE=ON -DTESSERA_FUZZ=ON > "$build/configure.log" 2>&1 ||
  { cat "$build/configure.log"; exit 1; }
if [ "$mode" = test ]; then
  nice -n 10 ninja -C "$build" -j "$jobs"
else
  nice -n 10 ninja -C "$build" -j "$jobs" $(printf 'tessera%sFuzzer ' "${things[@]}")
fi

# Any report stops the process with an error. LibTorch and the other Debian libraries are not
# instrumented: Utilities/lsan.supp lists the leaks from inside them, each with its reason.
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1
export LSAN_OPTIONS=suppressions=$root/Utilities/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

if [ "$mode" = test ]; then
  echo "== the test suite under ASan and UBSan"
  start=$(date +%s)
  status=0
  ctest --test-dir "$build" -j "$jobs" --output-on-failure --output-junit "$build/sanitized-tests.xml" \
    > "$build/sanitized-tests.log" 2>&1 || status=$?
  tail -n 40 "$build/sanitized-tests.log"
  echo "== $(( $(date +%s) - start )) s; full log $build/sanitized-tests.log"
  exit $status
fi

echo "== fuzzing each target for $seconds s, two at a time"
out=$build/fuzzing
mkdir -p "$out"
fuzz() {
  local thing=$1 regressions=$root/Testing/Fuzzing/regressions/$1
  rm -rf "$out/crashes/$thing"
  mkdir -p "$out/corpus/$thing" "$out/crashes/$thing"
  # New inputs go to the first folder (build-sanitize/), the seeds stay as committed.
  local folders=("$out/corpus/$thing" "$root/Testing/Fuzzing/corpus/$thing")
  [ -d "$regressions" ] && folders+=("$regressions")
  local status=0
  (cd "$out" && "$build/Testing/Fuzzing/tessera${thing}Fuzzer" -max_total_time="$seconds" -timeout=10 \
     -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$out/crashes/$thing/" "${folders[@]}" \
     < /dev/null > "$out/$thing.log" 2>&1) || status=$?
  echo "$status" > "$out/$thing.status"
  echo "$seconds" > "$out/$thing.seconds"
  echo "$thing: exit $status"
}
for thing in "${things[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge 2 ]; do wait -n || true; done
  fuzz "$thing" &
done
wait

# The page lists every target run so far in this build folder, each with its own run's figures.
python3 - "$out" "$root/Documentation/Benchmarks/Fuzzing.md" ImageReader LabelTable KNNModel TrainingConfig Pipeline <<'EOF'
import pathlib, re, subprocess, sys
out, page, known = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3:]
things = [t for t in known if (out / f"{t}.status").exists()]
seconds = sorted({(out / f"{t}.seconds").read_text().strip() for t in things})
seconds = seconds[0] if len(seconds) == 1 else " or ".join(seconds)
rows = []
for thing in things:
    log = (out / f"{thing}.log").read_text(errors="replace")
    stat = dict(re.findall(r"^stat::(\w+):\s*(\d+)", log, re.M))
    last = [l for l in log.splitlines() if " cov: " in l][-1:] or [""]
    field = lambda name: (re.search(rf"\b{name}: (\S+)", last[0]) or [None, "-"])[1]
    crashes = sorted(p.name for p in (out / "crashes" / thing).iterdir())
    status = (out / f"{thing}.status").read_text().strip()
    rows.append(f"| {thing} | {(out / f'{thing}.seconds').read_text().strip()} | {stat.get('number_of_executed_units', '-')} | "
                f"{stat.get('average_exec_per_sec', '-')} | {field('cov')} | {field('ft')} | "
                f"{len(list((out / 'corpus' / thing).iterdir()))} | {stat.get('peak_rss_mb', '-')} | "
                f"{len(crashes)}{' (' + ', '.join(crashes) + ')' if crashes else ''} | {status} |")
clang = subprocess.run(["clang++-14", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
page.write_text(f"""# Fuzzing the file readers

Generated by `Utilities/sanitize.sh fuzz {seconds}`; do not edit by hand.

libFuzzer runs of the fuzz targets in [Testing/Fuzzing](../../Testing/Fuzzing) on one machine (2 cores,
two targets at a time), built with {clang} and AddressSanitizer + UndefinedBehaviorSanitizer
(Utilities/sanitize.sh). Each run starts from the committed seeds (`Testing/Fuzzing/corpus/<Thing>/`) and
the crash reproducers (`regressions/<Thing>/`). `cov` and `ft` are libFuzzer's final coverage
(instrumented edges, of Tessera and of what it calls that is instrumented: not ITK, OpenCV or
LibTorch) and features; `corpus` is the number of inputs it kept; `exit` is libFuzzer's status
(0: no crash within the time).

| target | seconds | execs | exec/s | cov | ft | corpus | peak RSS (MB) | crashes | exit |
|---|---|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

Reproduce (about 40 minutes of build on 2 cores, then {len(things)} × {seconds} s / 2):

    bash Utilities/sanitize.sh fuzz {seconds}

Every build (GCC's too) replays the seeds and the reproducers as the tests `Fuzz.<Thing>`
(`ctest -R Fuzz`). A crash input left in `build-sanitize/fuzzing/crashes/<Thing>/` replays with
`build-sanitize/Testing/Fuzzing/tessera<Thing>Fuzzer <file>`.
""")
print(page.read_text())
EOF
