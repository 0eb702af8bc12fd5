#!/bin/bash
# Learning benchmark: our LibTorch U-Net (tessera::MakeNetwork, architecture "unet") against the
# identical network in PyTorch (learning_benchmark.py, /usr/bin/python3), same input, same intra-op
# thread count, same CPU backend, in one run: training step (forward + cross-entropy + backward +
# Adam step) and inference (eval, no grad) at 512×512 (2D) and 128³ (3D, batch 1, width 8).
# C++ and Python alternate for --rounds rounds (the machine is shared: alternating spreads the
# load noise over both); each round times --repeats steps after --warmup; best over all is kept.
# Not a test (not in ctest). Writes
#   Documentation/Benchmarks/Learning.md     the table, machine, date, command
#   Documentation/Benchmarks/learning.csv    all rows of all rounds
#
# usage: Testing/Benchmarks/run-learning-benchmark.sh [--build DIR] [--threads N] [--repeats R]
#          [--warmup W] [--rounds K] [--only 2D|3D] [--jobs J]
#   --build    build folder (default build/; configured with Ninja if it has no build system yet)
#   --threads  intra-op threads for both (default 2 = this machine's cores)
#   --repeats  timed steps per round (default 3); --warmup untimed steps first (default 1)
#   --rounds   alternations C++ / Python (default 2)
#   --only     run the 2D or the 3D case only
#   --jobs     build parallelism (default 2)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=build
THREADS=2
REPEATS=3
WARMUP=1
ROUNDS=2
ONLY=""
JOBS=2
ARGS=("$@")
while [ $# -gt 0 ]; do
  case "$1" in
    --build) BUILD=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --repeats) REPEATS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    --jobs) JOBS=$2; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run-learning-benchmark.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
PY=/usr/bin/python3
OUTDIR="$ROOT/Documentation/Benchmarks"
mkdir -p "$OUTDIR"

if [ ! -f "$BUILD/build.ninja" ] && [ ! -f "$BUILD/Makefile" ]; then
  CCACHE_BASEDIR="$ROOT" cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
CCACHE_BASEDIR="$ROOT" cmake --build "$BUILD" --target tesseraLearningBenchmark -j"$JOBS"
BENCH="$BUILD/Testing/Benchmarks/tesseraLearningBenchmark"
BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD/CMakeCache.txt")

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
COMMON=(--threads "$THREADS" --repeats "$REPEATS" --warmup "$WARMUP")
[ -n "$ONLY" ] && COMMON+=(--only "$ONLY")
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq 1 "$ROUNDS"); do
  echo "== round $round: tessera (C++)" >&2
  "$BENCH" "${COMMON[@]}" --csv "$TMP/cxx-$round.csv"
  echo "== round $round: PyTorch (Python)" >&2
  "$PY" "$ROOT/Testing/Benchmarks/learning_benchmark.py" "${COMMON[@]}" > "$TMP/py-$round.csv"
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

export ROOT TMP OUTDIR THREADS REPEATS WARMUP ROUNDS BUILD_TYPE LOAD_BEFORE LOAD_AFTER
export COMMAND="Testing/Benchmarks/run-learning-benchmark.sh${ARGS[*]:+ ${ARGS[*]}}"
"$PY" - <<'PYEOF'
import csv, datetime, glob, io, os, platform, subprocess
import torch

env = os.environ
tmp, out = env["TMP"], env["OUTDIR"]
fields = ["impl", "case", "step", "threads", "batch", "size", "best_s", "median_s", "throughput", "checksum", "parameters",
          "cpu_best_s"]
rows = []
for f in sorted(glob.glob(f"{tmp}/*.csv")):
    rnd = f.rsplit("-", 1)[1].split(".")[0]
    for r in csv.reader(open(f)):
        if r:
            d = dict(zip(fields, r))
            d["round"] = rnd
            rows.append(d)
with open(f"{out}/learning.csv", "w", newline="") as fh:
    w = csv.writer(fh)
    w.writerow(["round"] + fields)
    for r in rows:
        w.writerow([r["round"]] + [r[k] for k in fields])

def best(impl, case, step):
    rs = [r for r in rows if r["impl"] == impl and r["case"] == case and r["step"] == step]
    if not rs:
        return None
    b = min(rs, key=lambda r: float(r["best_s"]))
    med = sorted(float(r["median_s"]) for r in rs)[len(rs) // 2]
    cpu_best = min(float(r["cpu_best_s"]) for r in rs)
    return b, med, cpu_best

keys = []
for r in rows:
    k = (r["case"], r["step"])
    if k not in keys:
        keys.append(k)
table = ("| case | step | batch | ours wall s | Python wall s | **wall ratio** ours/Python | ours CPU s | Python CPU s | "
         "**CPU ratio** ours/Python | ours images/s | Python images/s | ours median wall s | Python median wall s | "
         "same input |\n|" + "---|" * 14 + "\n")
verdicts = []
for case, step in keys:
    o, p = best("tessera (C++)", case, step), best("PyTorch (Python)", case, step)
    if not o or not p:
        continue
    (ob, om, oc), (pb, pm, pc) = o, p
    ratio = float(ob["best_s"]) / float(pb["best_s"])
    cratio = oc / pc
    same = abs(float(ob["checksum"]) - float(pb["checksum"])) <= 1e-3 * max(1.0, abs(float(pb["checksum"])))
    verdicts.append((case, step, ratio, cratio))
    table += (f"| {case} | {step} | {ob['batch']} | {float(ob['best_s']):.3f} | {float(pb['best_s']):.3f} | "
              f"**{ratio:.2f}** | {oc:.3f} | {pc:.3f} | **{cratio:.2f}** | {float(ob['throughput']):.3f} | "
              f"{float(pb['throughput']):.3f} | {om:.3f} | {pm:.3f} | {'yes' if same else 'NO'} |\n")

def cpu():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()
def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, cwd=env["ROOT"]).stdout.strip()
    except OSError:
        return "?"
params = {r["case"]: r["parameters"] for r in rows}
commit = sh("git rev-parse --short HEAD") + (" (with uncommitted changes)" if sh("git status --porcelain") else "")
md = io.StringIO()
md.write("# Learning benchmark: our LibTorch U-Net against the same U-Net in PyTorch\n\n")
md.write("Generated by `Testing/Benchmarks/run-learning-benchmark.sh`; do not edit by hand.\n\n")
md.write("**Target** (issue 4): ours no slower than Python PyTorch on the same backend. Both call the same "
         "shared library (`python3-torch`'s `torch/lib/libtorch_cpu.so` is a link to `libtorch-dev`'s), so only "
         "the code around the kernels can differ; on this shared 2-core machine the wall-clock times vary by up "
         "to 2× between rounds with the other users' load, which is why the process CPU time of the step (all "
         "threads) is reported beside it. Verdict per row: met when the CPU-time ratio is ≤ 1.05 (5 % = the "
         "noise we see between rounds of the same program).\n\n")
for case, step, ratio, cratio in verdicts:
    md.write(f"- {case}, {step}: ours takes {cratio:.2f}× Python's CPU time ({ratio:.2f}× its wall time) → "
             f"**{'met' if cratio <= 1.05 else 'not met'}**\n")
md.write(f"\n## Results (best of {env['ROUNDS']} rounds × {env['REPEATS']} timed steps, {env['THREADS']} threads)\n\n")
md.write(table)
md.write(f"""
## What is measured

- Network: `tessera::MakeNetwork` with architecture `unet` (`Modules/Learning/src/tesseraUNet.cxx`):
  1 input channel, 4 classes, batch normalisation, no dropout; 2D: baseWidth 16, depth 4
  ({params.get('2D 512x512', '?')} parameters); 3D: baseWidth 8, depth 3 ({params.get('3D 128^3', '?')} parameters).
  `learning_benchmark.py` defines the same network in PyTorch layer for layer (same parameter count,
  same operators: conv 3×3 (no bias before batch norm), BatchNorm, in-place ReLU, max-pool 2, transposed
  conv 2 stride 2, concatenation, 1×1 head).
- Input: seed 0, `randn([1, 1, size...])` and `randint(0, 4, [1, size...])` targets (ATen's CPU generator in
  both: the “same input” column compares the checksums); inference on `randn` with seed 1.
- Training step: `zero_grad`, forward, cross-entropy, backward, Adam (lr 1e-3) step, batch 1, train mode.
  Inference: eval mode, no gradients (`torch::NoGradGuard` / `torch.no_grad()`), forward only, batch 1;
  images/s = batch / best time.
- Threads: `at::set_num_threads({env['THREADS']})` / `torch.set_num_threads({env['THREADS']})`, one inter-op
  thread each. Both link the same Debian LibTorch build (`libtorch-dev` and `python3-torch`, {torch.__version__}),
  so the kernels are the same (oneDNN/MKL-DNN convolutions on the CPU); the ratio measures the framework around them.
- C++ and Python alternate ({env['ROUNDS']} rounds); each round builds its network afresh, runs
  {env['WARMUP']} untimed warm-up step(s) then {env['REPEATS']} timed ones; the table keeps the best time over all
  rounds and shows the median of the per-round medians. Wall clock: steady clock / `time.perf_counter`;
  CPU: process CPU time of the step, `std::clock` / `time.process_time` (least over all timed steps).
- FPN, LinkNet and GridNet are not in this table: PyTorch has no identical reference for them here
  (`segmentation_models.pytorch` is not installed); `tesseraLearningBenchmark --architecture fpn|linknet|gridnet`
  times ours alone.
""")
md.write("\n## Machine and run\n\n")
md.write(f"- Date: {datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}\n")
md.write(f"- CPU: {cpu()}, nproc = {len(os.sched_getaffinity(0))}\n")
md.write(f"- Load average (1/5/15 min) before: {env['LOAD_BEFORE']}, after: {env['LOAD_AFTER']} "
         "(the machine is shared: timings carry that noise)\n")
md.write(f"- OS: {sh('. /etc/os-release && echo $PRETTY_NAME')}; compiler: {sh('c++ --version | head -1')}; "
         f"build type {env['BUILD_TYPE']}; LibTorch/PyTorch {torch.__version__}\n")
md.write(f"- Tessera commit: {commit}\n")
md.write(f"- Reproduce (from the repository root):\n\n  ```\n  {env['COMMAND']}\n  ```\n")
open(f"{out}/Learning.md", "w").write(md.getvalue())
print(md.getvalue())
PYEOF
