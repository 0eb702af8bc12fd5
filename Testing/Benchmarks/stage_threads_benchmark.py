#!/usr/bin/python3
"""Thread scaling of every parallel stage, in process: each stage's run at 1 and 2 threads,
interleaved round by round in one process (tesseraStageThreadsBenchmark), on real images.
Writes Documentation/Benchmarks/Threads.md and Threads.csv.

Usage (from the source tree, after building):
  /usr/bin/python3 Testing/Benchmarks/stage_threads_benchmark.py --build build --data ../shared/data \
      [--rounds 5] [--model best.pt] [--output Documentation/Benchmarks]
--model: a network written by `tessera train` for the ISBI 2012 membrane images (e.g. the one
run-isbi2012-unet.sh trains) adds the tiled-inference row; without it the row is left out.
"""
import argparse
import csv
import datetime
import os
import platform
import statistics
import subprocess
import sys
import tempfile

import whole_command_benchmark

PARALLEL_GOAL = 1.7
# Stages that take seconds run --rounds rounds; the others three times as many (they cost little, and their
# ratios are the noisiest).
LONG_STAGES = {"hmrf", "hmc", "n4", "predict"}
HISTORY_FIELDS = ["date", "commit", "stage", "speedup", "fastest_speedup", "ceiling"]


def prepare(tessera, data, scratch):
    """Inputs made once: the whole-command benchmark's (a MICCAI brain, an aerial tile, a 1 Mpx grey crop with
    markers, astronaut.png), GMM posteriors of the brain (for mrf) and a kNN model of an ISBI image."""
    f = whole_command_benchmark.prepare(data, scratch)
    f["isbi25"] = os.path.join(data, "isbi2012-membrane/image/25.png")
    f["posteriors"] = os.path.join(scratch, "posteriors.nii.gz")
    subprocess.run([tessera, "gmm", "-i", f["t1"], "--mask", f["mask"], "-o", os.path.join(scratch, "gmm.nii.gz"),
                    "--probabilities", f["posteriors"], "-q"], check=True)
    f["knn"] = os.path.join(scratch, "knn.json")
    subprocess.run([tessera, "knn", "train", "-i", os.path.join(data, "isbi2012-membrane/image/0.png"),
                    "-l", os.path.join(data, "isbi2012-membrane/label/0.png"), "-m", f["knn"],
                    "--local-mean-radius", "2", "-q"], check=True)
    return f


# (row, input, stage and options, what runs on all threads, what stays on one and why)
def cases(f, model):
    brain = ["--input", f["t1"], "--mask", f["mask"]]
    rows = [
        ("k-means", "MICCAI T1 1000, 1.6 M voxels in the mask", ["kmeans", *brain, "--classes", "3"],
         "histogram of the integer values, labelling by value",
         "Lloyd on the few thousand distinct values; starting the threads is a visible share of 5-8 ms"),
        ("Gaussian mixture", "MICCAI T1 1000", ["gmm", *brain, "--classes", "3"],
         "k-means, E- and M-steps over the distinct values, labelling", "as k-means"),
        ("HMRF-EM", "MICCAI T1 1000", ["hmrf", *brain, "--classes", "3"],
         "class densities, mean-field sweeps (checkerboard), free energy, M-step",
         "the face-neighbour table and the samples; the rest is memory-bound (each sweep reads 6 neighbours' "
         "posteriors per voxel), so its times vary by up to 50 % with the host's memory traffic"),
        ("hidden Markov chain", "MICCAI T1 1000", ["hmc", *brain, "--classes", "3"],
         "emission densities, M-step",
         "forward-backward along the Hilbert-Peano scan: each position needs the one before"),
        ("Potts ICM", "GMM posteriors of MICCAI T1 1000", ["mrf", "--input", f["posteriors"], "--mask", f["mask"],
                                                         "--method", "icm"],
         "checkerboard sweeps (red then black voxels)", "-"),
        ("Potts alpha-expansion", "GMM posteriors of MICCAI T1 1000",
         ["mrf", "--input", f["posteriors"], "--mask", f["mask"]],
         "unary table, fixing decided voxels, graph building, energy change",
         "Boykov-Kolmogorov max-flow of each move: one pair of search trees grown and adopted in order"),
        ("segment (GMM + Potts)", "MICCAI T1 1000", ["segment", *brain, "--classes", "3"],
         "GMM as above, alpha-expansion's per-voxel passes", "alpha-expansion's max-flow"),
        ("kNN apply", "ISBI 2012 image 25 (512²), k 5, local means", ["knn apply", "--input", f["isbi25"],
                                                                     "--model", f["knn"]],
         "features, exact searches in blocks of queries",
         "reading the model and building its k-d tree (FLANN)"),
        ("SLIC superpixels", "Dubai tile 1 (797×644 RGB), 1000", ["superpixels", "--input", f["aerial"],
                                                                  "--superpixels", "1000"],
         "L*a*b* conversion, assignment and update per iteration (ITK)",
         "connectivity enforcement (racy in ITK 5.2, run on one thread)"),
        ("Felzenszwalb", "Dubai tile 1", ["superpixels", "--input", f["aerial"], "--method", "felzenszwalb"],
         "-", "OpenCV's graph segmentation: one sorted pass of edge merges"),
        ("watershed from markers", "1024² grey aerial crop, 1024 markers",
         ["watershed", "--input", f["grey"], "--markers", f["markers"], "--sigma", "1"],
         "Gaussian gradient (ITK), radix sort of the relief",
         "the priority flood: a pixel's label depends on the floods before it"),
        ("RAG merging", "astronaut.png, 2000 SLIC regions", ["rag-merge", "--input", f["astronaut"],
                                                             "--superpixels", "2000", "--threshold", "25"],
         "SLIC's iterations, region statistics and graph edges (slabs of the image)",
         "SLIC's connectivity pass and relabelling; the greedy merge order: each merge changes the weights of the next"),
        ("N4 bias correction", "MICCAI T1 1000", ["n4", *brain], "ITK's N4 (B-spline fitting, histogram sharpening)",
         "ITK's per-level B-spline lattice and sharpening steps"),
    ]
    if model:
        rows.append(("tiled inference (U-Net)", "ISBI 2012 image 25", ["predict", "--input", f["isbi25"],
                                                                      "--model", model],
                     "LibTorch's intra-op threads (convolutions)", "window extraction and blending"))
    return rows


def loadavg():
    with open("/proc/loadavg") as handle:
        return " ".join(handle.read().split()[:3])


def run_case(program, rounds, stage_args):
    out = subprocess.run([program, str(rounds), *stage_args], check=True, capture_output=True, text=True).stdout
    runs = list(csv.DictReader(out.splitlines()))
    by = {t: [r for r in runs if r["threads"] == t] for t in ("1", "2")}
    wall = {t: [float(r["wall_seconds"]) for r in by[t]] for t in by}
    cpu = {t: statistics.median(float(r["cpu_seconds"]) for r in by[t]) for t in by}
    same = len({r["checksum"] for r in runs}) == 1
    return wall, cpu, same


def side_by_side(program, rounds, stage_args):
    """Median 1-thread time of two processes running the stage at once, each on its own core."""
    pair = [subprocess.Popen([program, "--one-thread", str(rounds), *stage_args], stdout=subprocess.PIPE, text=True)
            for _ in range(2)]
    medians = []
    for process in pair:
        out, _ = process.communicate()
        if process.returncode:
            raise subprocess.CalledProcessError(process.returncode, process.args)
        medians.append(statistics.median(float(r["wall_seconds"]) for r in csv.DictReader(out.splitlines())))
    return statistics.mean(medians)


def seconds(x):
    return f"{x:.4f}" if x < 0.1 else f"{x:.3f}" if x < 10 else f"{x:.1f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--model")
    parser.add_argument("--output", default="Documentation/Benchmarks")
    args = parser.parse_args()
    tessera = os.path.join(args.build, "Applications/tessera")
    program = os.path.join(args.build, "Testing/Benchmarks/tesseraStageThreadsBenchmark")

    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        f = prepare(tessera, args.data, scratch)
        for name, what, stage_args, parallel, serial in cases(f, args.model):
            before = loadavg()
            rounds = args.rounds if stage_args[0] in LONG_STAGES else 3 * args.rounds
            wall, cpu, same = run_case(program, rounds, stage_args)
            pair = side_by_side(program, rounds, stage_args)
            after = loadavg()
            m1, m2 = statistics.median(wall["1"]), statistics.median(wall["2"])
            # Two independent 1-thread jobs at once get this much more done than one: the most two threads can.
            ceiling = 2 * m1 / pair
            speedup = m1 / m2
            fastest = min(wall["1"]) / min(wall["2"])
            # Amdahl: t1 = s + p, t2 = s + p/2 -> the share s/t1 that ran on one thread.
            serial_share = max(0.0, min(1.0, (2 * m2 - m1) / m1))
            rows.append(dict(stage=name, input=what, command="tessera " + " ".join(stage_args[:1]),
                             t1=m1, t1_min=min(wall["1"]), t1_max=max(wall["1"]),
                             t2=m2, t2_min=min(wall["2"]), t2_max=max(wall["2"]),
                             speedup=speedup, fastest_speedup=fastest, cpu2_over_wall2=cpu["2"] / m2, serial_share=serial_share,
                             side_by_side=pair, ceiling=ceiling, rounds=rounds,
                             same=same, parallel=parallel, serial=serial, load=f"{before} → {after}"))
            print(f"{name}: {m1:.4f} s / {m2:.4f} s = {speedup:.2f}x (two at once {pair:.4f} s: ceiling {ceiling:.2f}x), "
                  f"same result {same}", file=sys.stderr)

    with open(os.path.join(args.output, "Threads.csv"), "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    date = f"{datetime.datetime.utcnow():%Y-%m-%d %H:%M}"
    # Changes to the pages this script writes (an earlier run's) do not make the measured code uncommitted.
    if subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!" + args.output],
                      capture_output=True, text=True).stdout:
        commit += " (with uncommitted changes)"
    # Every run's ratios are kept (Threads-history.csv): on a shared machine they move from run to run.
    history_path = os.path.join(args.output, "Threads-history.csv")
    history = list(csv.DictReader(open(history_path))) if os.path.exists(history_path) else []
    history += [dict(date=date, commit=commit, stage=r["stage"], speedup=f"{r['speedup']:.3f}",
                     fastest_speedup=f"{r['fastest_speedup']:.3f}", ceiling=f"{r['ceiling']:.3f}") for r in rows]
    with open(history_path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=HISTORY_FIELDS)
        writer.writeheader()
        writer.writerows(history)
    runs = sorted({h["date"] for h in history})
    lines = [
        "# Threads: each stage at 2 threads against 1, in process",
        "",
        "Generated by `Testing/Benchmarks/run-stage-threads-benchmark.sh`; do not edit by hand.",
        "",
        "Each row runs one registered stage (`tesseraStageThreadsBenchmark`: the stage's run as `tessera STAGE` "
        "does it, without reading or writing files; like the launcher, the process keeps the memory it frees for "
        "reuse, and LibTorch's matrix products go through the OpenBLAS the set-up installs) at 1 and at 2 threads, "
        "alternately in one process, "
        f"{args.rounds} rounds (seconds-long stages) or {3 * args.rounds} (the others) after an untimed run that "
        "reads the inputs. Times are wall seconds, median and "
        "[min–max]. *Speed-up* is the 1-thread median over the 2-thread median; *CPU/wall* is the 2-thread run's "
        "CPU time (all threads) over its wall time, i.e. how many cores it kept busy; *serial share* is what "
        "Amdahl's law puts on one thread given the two medians ((2·t₂ − t₁)/t₁). *Fastest runs*: the speed-up of the "
        "fastest 1-thread run over the fastest 2-thread run, the least disturbed by other jobs (memory-bound stages "
        "slow down by up to 50 % when the host's memory is busy, 2-thread runs more). *Machine ceiling*: two processes "
        "run the stage on 1 thread each at the same time (median t₁′ each); 2·t₁/t₁′ is how much more two "
        "independent jobs get done than one, so the most any 2-thread run of the stage could gain on this machine "
        "(below 2 when the cores share a memory bus, a cache or one physical core). *Same result*: the label "
        "output is bit-identical in every run at either thread count. Whole commands (reading, start-up and "
        "writing included) are in [WholeCommand.md](WholeCommand.md).",
        "",
        f"Goal (issue “Speed”): ≥ {PARALLEL_GOAL}× where the algorithm is parallel. The last two columns say "
        "which parts run on all threads and which stay on one, and why.",
        "",
        f"*All runs*: the speed-up (median-based) of each of the {len(runs)} recorded runs of this page "
        "(Threads-history.csv), oldest first, with the machine ceiling of that run in brackets.",
        "",
        "| stage | input | 1 thread (s) | 2 threads (s) | speed-up | fastest runs | machine ceiling | all runs | CPU/wall "
        "| serial share | same result | on all threads | on one thread (why) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        goal = "**" if r["speedup"] >= PARALLEL_GOAL else ""
        all_runs = ", ".join(f"{float(h['speedup']):.2f} ({float(h['ceiling']):.2f})" for h in history
                             if h["stage"] == r["stage"])
        lines.append(
            f"| {r['stage']} (`{r['command']}`) | {r['input']} | {seconds(r['t1'])} [{seconds(r['t1_min'])}–"
            f"{seconds(r['t1_max'])}] | {seconds(r['t2'])} [{seconds(r['t2_min'])}–{seconds(r['t2_max'])}] | "
            f"{goal}{r['speedup']:.2f}×{goal} | {r['fastest_speedup']:.2f}× | {r['ceiling']:.2f}× | {all_runs} | "
            f"{r['cpu2_over_wall2']:.2f} | {100 * r['serial_share']:.0f} % | {'yes' if r['same'] else 'no'} | "
            f"{r['parallel']} | {r['serial']} |")
    lines += [
        "",
        "Load average (1, 5, 15 min) before → after each row: " +
        "; ".join(f"{r['stage']} {r['load']}" for r in rows) + ".",
        "",
        "## Machine and run",
        "",
        f"- Date: {date} UTC; Tessera commit {commit}",
        f"- CPU: {platform.processor() or platform.machine()}, {os.cpu_count()} cores "
        "(shared with other jobs: a 2-thread run waits whenever the load takes the second core)",
        f"- Reproduce: `Testing/Benchmarks/run-stage-threads-benchmark.sh build`"
        + (" with `TESSERA_PREDICT_MODEL` set to a trained ISBI 2012 model for the inference row" if args.model else ""),
        "",
    ]
    with open(os.path.join(args.output, "Threads.md"), "w") as handle:
        handle.write("\n".join(lines))


if __name__ == "__main__":
    main()
