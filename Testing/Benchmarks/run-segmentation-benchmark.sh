#!/bin/bash
# Segmentation benchmark: our k-means vs ITK's ScalarImageKmeansImageFilter vs scikit-learn's KMeans
# on the same masked MICCAI 2012 volume, and our Potts MRF alpha-expansion vs ICM on the same
# posteriors, in one run. Not a test (not in ctest). Writes
#   Documentation/Benchmarks/Segmentation.md     the tables, machine, date, data, command
#   Documentation/Benchmarks/segmentation.csv    all rows
#   Documentation/Benchmarks/segmentation-times.png  bar plot of the times (if python3-matplotlib)
#
# usage: Testing/Benchmarks/run-segmentation-benchmark.sh [--build DIR] [--repeats N] [--restarts R]
#          [--subjects "1000 1001 1002"] [--data DIR] [--jobs J] [--no-build]
#   --build     build folder (default build/; configured with Ninja if it has no build system yet)
#   --no-build  use the benchmark already built there
#   --repeats   timed repeats per method, best one kept (default 3)
#   --restarts  k-means restarts, ours and sklearn's n_init (default 3)
#   --subjects  MICCAI subject ids; the first one gives the main table (default "1000 1001 1002")
#   --data      folder with <id>_SS.nii.gz and <id>_mask.nii.gz (default ../shared/data/miccai2012-multiatlas)
#   --jobs      build parallelism (default 2)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$ROOT/Testing/Benchmarks/benchmark-common.sh"
REPEATS=3
RESTARTS=3
SUBJECTS="1000 1001 1002"
ARGS=("$@")
while [ $# -gt 0 ]; do
  case "$1" in
    --repeats) REPEATS=$2; shift 2 ;;
    --restarts) RESTARTS=$2; shift 2 ;;
    --subjects) SUBJECTS=$2; shift 2 ;;
    -h|--help) print_help 17; exit 0 ;;
    *) take_shared_option "$@"; shift "$TAKEN" ;;
  esac
done
PY=/usr/bin/python3

build_benchmark_targets tesseraSegmentationBenchmark
BENCH="$BUILD/Testing/Benchmarks/tesseraSegmentationBenchmark"
BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD/CMakeCache.txt")

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for id in $SUBJECTS; do
  image="$DATA/${id}_SS.nii.gz"
  mask="$DATA/${id}_mask.nii.gz"
  echo "== subject $id" >&2
  "$BENCH" --image "$image" --mask "$mask" --subject "$id" --repeats "$REPEATS" --restarts "$RESTARTS" \
    --csv "$TMP/tessera-$id.csv" > /dev/null
  # scikit-learn: its default thread count, OMP_NUM_THREADS=2 (= our ITK default here) and 1.
  env -u OMP_NUM_THREADS "$PY" "$ROOT/Testing/Benchmarks/sklearn_kmeans.py" --image "$image" --mask "$mask" \
    --subject "$id" --repeats "$REPEATS" --restarts "$RESTARTS" --label "default threads" --weighted \
    > "$TMP/sklearn-$id-default.csv"
  OMP_NUM_THREADS=2 "$PY" "$ROOT/Testing/Benchmarks/sklearn_kmeans.py" --image "$image" --mask "$mask" \
    --subject "$id" --repeats "$REPEATS" --restarts "$RESTARTS" --label "OMP_NUM_THREADS=2" \
    > "$TMP/sklearn-$id-2.csv"
  OMP_NUM_THREADS=1 "$PY" "$ROOT/Testing/Benchmarks/sklearn_kmeans.py" --image "$image" --mask "$mask" \
    --subject "$id" --repeats "$REPEATS" --restarts "$RESTARTS" --label "OMP_NUM_THREADS=1" \
    > "$TMP/sklearn-$id-1.csv"
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

PLOT=0
if dpkg-query -W -f='${Status}' python3-matplotlib 2>/dev/null | grep -q "ok installed"; then PLOT=1; fi

export ROOT TMP OUTDIR SUBJECTS REPEATS RESTARTS DATA BUILD BUILD_TYPE PLOT LOAD_BEFORE LOAD_AFTER
COMMAND=$(reproduce_command Testing/Benchmarks/run-segmentation-benchmark.sh ${ARGS[@]+"${ARGS[@]}"})
export COMMAND
"$PY" - <<'EOF'
import csv, datetime, glob, io, os, platform, re, subprocess
import sklearn

env = os.environ
subjects = env["SUBJECTS"].split()
tmp, out = env["TMP"], env["OUTDIR"]
# sklearn rows carry no header of their own: read them with the field names they share
rows = []
fields = ["subject", "group", "method", "threads", "seconds", "value", "iterations", "note"]
for s in subjects:
    for r in csv.DictReader(open(f"{tmp}/tessera-{s}.csv")):
        rows.append({k: r[k] for k in fields})
    for f in sorted(glob.glob(f"{tmp}/sklearn-{s}-*.csv")):
        for r in csv.reader(open(f)):
            rows.append(dict(zip(fields, r)))
order = {"tessera KMeans": 0, "ITK": 1, "scikit-learn KMeans (": 2, "scikit-learn KMeans on": 3}
def rank(r):
    for k, v in order.items():
        if r["method"].startswith(k):
            return (v, -int(r["threads"].split()[0]) if v == 2 else 0)
    return (9, 0)
for r in rows:
    r["seconds"], r["value"] = float(r["seconds"]), float(r["value"])
rows.sort(key=lambda r: (subjects.index(r["subject"]), r["group"] != "kmeans", rank(r) if r["group"] == "kmeans" else 0))
for r in rows:
    ref = next(q for q in rows if q["subject"] == r["subject"] and q["group"] == r["group"])
    r["time_ratio"] = r["seconds"] / ref["seconds"]
    r["value_ratio"] = r["value"] / ref["value"]

with open(f"{out}/segmentation.csv", "w", newline="") as f:
    w = csv.writer(f)
    cols = ["subject", "group", "method", "threads", "seconds", "value", "time_ratio", "value_ratio", "iterations", "note"]
    w.writerow(cols)
    for r in rows:
        w.writerow([r["subject"], r["group"], r["method"], r["threads"], f'{r["seconds"]:.6g}', f'{r["value"]:.12g}',
                    f'{r["time_ratio"]:.4g}', f'{r["value_ratio"]:.8f}', r["iterations"], r["note"]])

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
def table(rs, with_subject=False):
    head = (["subject"] if with_subject else []) + ["method", "threads", "seconds", "inertia or energy",
                                                    "time ratio to ours", "inertia/energy ratio to ours", "iterations"]
    t = "| " + " | ".join(head) + " |\n|" + "---|" * len(head) + "\n"
    for r in rs:
        cells = ([r["subject"]] if with_subject else []) + [
            r["method"], r["threads"], f'{r["seconds"]:.3f}', f'{r["value"]:.10g}', f'{r["time_ratio"]:.2f}',
            f'{r["value_ratio"]:.6f}', r["iterations"] or "–"]
        t += "| " + " | ".join(cells) + " |\n"
    return t

first = subjects[0]
main = [r for r in rows if r["subject"] == first]
commit = sh("git rev-parse --short HEAD") + (" (with uncommitted changes)" if sh("git status --porcelain") else "")
md = io.StringIO()
md.write("# Segmentation benchmark: k-means and Potts MRF\n\n")
md.write("Our k-means (`tessera::KMeansImageFilter<3>`) against ITK's `itk::ScalarImageKmeansImageFilter` and "
         "scikit-learn's `KMeans`, and our Potts MRF alpha-expansion against ICM, on the same masked T1 volume "
         "in one run. Generated by `Testing/Benchmarks/run-segmentation-benchmark.sh`; do not edit by hand.\n\n")
md.write("The k-means rows here are best-of-N from runs one after the other. For the comparison of our k-means with "
         "scikit-learn, contenders interleaved, median and min–max, load and 1 vs 2 threads, see [KMeans.md](KMeans.md) "
         "(`run-kmeans-benchmark.sh`); this page's ratios carry the noise of a shared machine.\n")
md.write(f"\n## Subject {first} (best of {env['REPEATS']} runs)\n\n")
md.write(table(main) + "\n")
if os.path.exists(f"{out}/segmentation-times.png") or env["PLOT"] == "1":
    md.write("![times](segmentation-times.png)\n\n")
md.write("Notes per row (means found, start energies):\n\n")
for r in main:
    md.write(f"- {r['method']}: {r['note']}\n")
if len(subjects) > 1:
    md.write(f"\n## Subjects {', '.join(subjects)}\n\n")
    md.write(table(rows, with_subject=True) + "\n")

md.write("""
## What is measured

- Data: MICCAI 2012 Multi-Atlas Labeling (OASIS T1, skull-stripped, 1 mm), `<id>_SS.nii.gz` with
  `<id>_mask.nii.gz` from `../shared/data/miccai2012-multiatlas/` (CC BY-NC 3.0). K = 3 classes.
- Wall clock, best of the repeats; file reading is not timed. **Inertia** is the sum over in-mask
  voxels of the squared distance to the mean of the voxel's cluster (the benchmark recomputes it
  for ours and ITK's from the final labels and means; scikit-learn's is its `inertia_`). The inertia
  ratio is the method's inertia over ours: above 1 means ours is lower (better).
- **Ours**: `KMeansImageFilter<3>`, image + mask → label image (no probability image, as `tessera kmeans`
  without `--probabilities`), grouping the voxels into weighted distinct intensities (`FeatureSamples`, a
  histogram of the integer values) included; k-means++ seeding, restarts = scikit-learn's `n_init`, Lloyd to
  convergence (no assignment changes). The passes over the voxels (histogram, labelling) are split among ITK's
  work units; Lloyd on the ~1600 distinct values runs on one.
- **ITK**: `ScalarImageKmeansImageFilter` has no mask, so it is given a 1D image of the in-mask voxels
  only; initial means are the (k + ½)/K quantiles of those intensities (ITK has no k-means++ and no
  restarts: one start); its k-d-tree estimator runs to convergence (at most 200 iterations). Timed:
  building the 1D image, the quantiles, the filter, and writing its labels back into a 3D label image.
  ITK's filter does not report its iteration count.
- **scikit-learn**: `KMeans(n_clusters=3, n_init=R, init='k-means++', algorithm='lloyd',
  random_state=0).fit(X)`, X the in-mask intensities as a float64 column (`sklearn_kmeans.py`,
  `/usr/bin/python3`), default `tol=1e-4`; only `fit` is timed. It is run with its default thread count,
  with `OMP_NUM_THREADS=2` (the peer row) and with `OMP_NUM_THREADS=1`. The row “on weighted distinct
  values” gives scikit-learn our reduction (`np.unique` + `sample_weight`, unique included in the
  time); it is not the peer row, it shows how much of the gap is the reduction and how much the code.
  Its inertia can be far worse: scikit-learn before 1.3 ignores `sample_weight` in the k-means++
  seeding (scikit-learn issue #25527, fixed by PR #25752 in 1.3), so seeds are drawn uniformly over
  the distinct values and can land in the sparse bright tail.
- Threads: the machine is shared with other jobs (see the load average below). When the load exceeds
  the cores, a 2-thread OpenMP run can be slower than a 1-thread one; the three scikit-learn thread
  settings are all listed so the reader can pick the most favourable to scikit-learn.
- **MRF**: `PottsMRFImageFilter<3>` on the `GaussianMixtureImageFilter<3>` posteriors (K = 3, EM
  tolerance 1e-3, at most 100 EM iterations, seed 0, as `tessera segment` computes them), β = 0.5,
  6-neighbourhood, at most 20 alpha-expansion cycles / ICM sweeps, both from the same start (the
  argmax of the posteriors). Value = final Potts energy in nats; ratios are to alpha-expansion.
  Both run on one thread.
""")
itk_version = sh("dpkg-query -W -f='${Version}' libinsighttoolkit5-dev 2>/dev/null") or "5.2"
md.write("\n## Machine and run\n\n")
md.write(f"- Date: {datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}\n")
md.write(f"- CPU: {cpu()}, nproc = {os.cpu_count() if not hasattr(os, 'sched_getaffinity') else len(os.sched_getaffinity(0))}\n")
md.write(f"- Load average (1/5/15 min) before: {env['LOAD_BEFORE']}, after: {env['LOAD_AFTER']} "
         "(the machine is shared with other jobs: absolute times carry that noise; ratios within one run are steadier)\n")
md.write(f"- OS: {sh('. /etc/os-release && echo $PRETTY_NAME')}; compiler: {sh('c++ --version | head -1')}; "
         f"build type {env['BUILD_TYPE']}; ITK {itk_version}; "
         f"scikit-learn {sklearn.__version__}\n")
md.write(f"- Tessera commit: {commit}\n")
md.write(f"- Reproduce (from the repository root):\n\n  ```\n  {env['COMMAND']}\n  ```\n")
open(f"{out}/Segmentation.md", "w").write(md.getvalue())

if env["PLOT"] == "1":
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(2, 1, figsize=(7.5, 4.2), gridspec_kw={"height_ratios": [5, 2]})
    for ax, group, title in zip(axes, ["kmeans", "mrf"], ["k-means, K = 3", "Potts MRF, β = 0.5"]):
        rs = [r for r in main if r["group"] == group]
        def short(m):
            m = m.replace("tessera ", "ours: ").replace("PottsMRF ", "").replace("OMP_NUM_THREADS", "OMP")
            m = m.replace("ScalarImageKmeansImageFilter", "ScalarImageKmeans").replace("scikit-learn", "sklearn")
            m = re.sub(r"\((k-means\+\+|sample_weight), [^)]*?(default threads|OMP=\d)\)", r"(\2)", m)
            return re.sub(r" \((k-means\+\+|quantile)[^)]*\)", "", m)
        labels = [short(r["method"]) + f" [{r['threads'].replace(' (of ', '/').rstrip(')')} thr]" for r in rs]
        ax.barh(range(len(rs)), [r["seconds"] for r in rs],
                color=["tab:blue" if r["method"].startswith("tessera") else "tab:gray" for r in rs])
        ax.set_yticks(range(len(rs)), labels, fontsize=7)
        ax.invert_yaxis()
        for i, r in enumerate(rs):
            ax.text(r["seconds"], i, f" {r['seconds']:.2f} s", va="center", fontsize=7)
        ax.set_title(f"{title} (subject {first})", fontsize=9)
        ax.set_xlabel("seconds (best of %s)" % env["REPEATS"], fontsize=8)
        ax.set_xlim(0, max(r["seconds"] for r in rs) * 1.25)
    fig.tight_layout()
    fig.savefig(f"{out}/segmentation-times.png", dpi=110)
print(open(f"{out}/Segmentation.md").read())
EOF
