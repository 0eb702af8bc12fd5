#!/usr/bin/python3
"""Registration benchmark: Tessera's `register`/`warp` against elastix 5 on MICCAI 2012 multi-atlas pairs.

For each pair MOVING:FIXED and each method (a named recipe of commands), the moving subject's
skull-stripped T1 is registered to the fixed subject's, the moving subject's manual labels are
warped into the fixed grid with label-preserving interpolation (Tessera: per-label Gaussian vote; elastix: nearest neighbour), and the result is scored
against the fixed subject's manual labels: Dice per label, averaged over the 126 scored labels of
scored-labels.csv (a label absent from both images is skipped and reported).

Measured per (pair, method): wall seconds of the registration command(s), wall seconds of the label
warp, and the peak resident memory of the registration process (its own maxrss, measured by GNU
time or a small wait4 wrapper around that one command; see run_measured). Also reported per pair: the Dice "before", i.e.
the moving labels resampled into the fixed grid by physical coordinates (identity transform).

Writes, only after every run has succeeded and each atomically (temporary file + os.replace):
a CSV of all rows, a Markdown report and a plot of mean Dice against seconds per pair.
A failing command prints its output and the script exits 1 without writing any of them.

Run with /usr/bin/python3 (numpy, nibabel, matplotlib); see README.md next to this file.
"""
import argparse
import csv
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import nibabel as nib

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]

# moving -> fixed; --pairs N takes the first N (default 4)
PAIR_LIST = [("1001", "1000"), ("1003", "1002"), ("1005", "1004"), ("1007", "1006"),
             ("1009", "1008"), ("1011", "1010"), ("1013", "1012"), ("1015", "1014"),
             ("1036", "1017")]
DEFAULT_PAIRS = 4

# Recipes, per toolkit (the plot joins each toolkit's accuracy-time front).
METHODS = {
    "tessera-affine": dict(
        toolkit="tessera", transform="rigid,affine", extra=[],
        about="`register --transform rigid,affine`"),
    "tessera-bspline-fast": dict(
        toolkit="tessera", transform="rigid,affine,bspline",
        extra=["--deformable-iterations", "50,25,0"],
        about="`register --transform rigid,affine,bspline --deformable-iterations 50,25,0` (10 mm grid)"),
    "tessera-bspline": dict(
        toolkit="tessera", transform="rigid,affine,bspline", extra=[],
        about="`register --transform rigid,affine,bspline` (10 mm grid)"),
    "tessera-deformable-fast": dict(
        toolkit="tessera", transform="rigid,affine,deformable",
        extra=["--deformable-iterations", "50,25,0"],
        about="`register --transform rigid,affine,deformable --deformable-iterations 50,25,0`"),
    "tessera-deformable": dict(
        toolkit="tessera", transform="rigid,affine,deformable", extra=[],
        about="`register --transform rigid,affine,deformable`"),
    "elastix-affine": dict(
        toolkit="elastix", maps=["elastix-affine.txt"],
        about="elastix-affine.txt: Mattes MI, ASGD, 4 levels x 250 iterations, 2048 samples"),
    "elastix-bspline-fast": dict(
        toolkit="elastix", maps=["elastix-affine.txt", "elastix-bspline-fast.txt"],
        about="elastix-affine.txt, then elastix-bspline-fast.txt: B-spline, 20 mm grid, "
              "4 levels x 200 iterations"),
    "elastix-bspline-medium": dict(
        toolkit="elastix", maps=["elastix-affine.txt", "elastix-bspline-medium.txt"],
        about="elastix-affine.txt, then elastix-bspline-medium.txt: B-spline, 10 mm grid, "
              "4 levels x 250 iterations"),
    "elastix-bspline": dict(
        toolkit="elastix", maps=["elastix-affine.txt", "elastix-bspline-accurate.txt"],
        about="elastix-affine.txt, then elastix-bspline-accurate.txt: B-spline, 10 mm grid, "
              "4 levels x 500 iterations"),
}
COLOURS = {"tessera": "tab:blue", "elastix": "tab:orange"}
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]

CSV_FIELDS = ["pair", "method", "seconds", "warp_seconds", "peak_mib", "mean_dice",
              "warp_peak_mib", "dice_before", "labels_scored", "fixed_voxels"]


class CommandFailed(Exception):
    pass


def log(msg):
    print(msg, flush=True)


def tail(path, lines=60):
    try:
        text = Path(path).read_text(errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(text[-lines:])


# Peak memory of one command. ru_maxrss of a child started straight from this script is useless here:
# Linux carries the forking process's high-water RSS (this script holds images) into the child's maxrss
# at exec. So each command runs under a small intermediary that forks it and reports its wait4 rusage:
# GNU time (/usr/bin/time -f %M) where installed, else a minimal Python wrapper (posix_spawn + os.wait4;
# its own few MiB are then the floor of the measurement).
GNU_TIME = "/usr/bin/time"
RSS_TAG = "TESSERA_BENCH_MAXRSS_KIB"
PY_WRAPPER = (
    "import os, sys\n"
    "pid = os.posix_spawnp(sys.argv[2], sys.argv[2:], os.environ)\n"
    "_, status, usage = os.wait4(pid, 0)\n"
    f"open(sys.argv[1], 'w').write('{RSS_TAG} %d\\n' % usage.ru_maxrss)\n"
    "code = os.waitstatus_to_exitcode(status)\n"
    "sys.exit(code if code >= 0 else 128 - code)\n")


def memory_probe():
    if os.access(GNU_TIME, os.X_OK) and "GNU" in (capture([GNU_TIME, "--version"]) or ""):
        return "GNU time"
    return "Python wait4 wrapper"


def run_measured(cmd, logdir, name, probe):
    """Run cmd; return (wall seconds, peak RSS MiB of the command's process).
    stdout/stderr go to logdir/name.{out,err}; on failure they are printed and CommandFailed raised."""
    logdir = Path(logdir)
    out_path, err_path, rss_path = logdir / f"{name}.out", logdir / f"{name}.err", logdir / f"{name}.maxrss"
    if probe == "GNU time":
        wrapped = [GNU_TIME, "-f", f"{RSS_TAG} %M", "-o", str(rss_path), "--"] + cmd
    else:
        wrapped = [sys.executable, "-c", PY_WRAPPER, str(rss_path)] + cmd
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        t0 = time.perf_counter()
        try:
            rc = subprocess.call(wrapped, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        except OSError as e:
            raise CommandFailed(f"cannot start {shlex.join(wrapped)}: {e}")
        seconds = time.perf_counter() - t0
    if rc != 0:
        msg = [f"command failed (exit status {rc}): {shlex.join(cmd)}"]
        for label, path in (("stdout", out_path), ("stderr", err_path)):
            t = tail(path)
            if t.strip():
                msg.append(f"--- {label} (last lines of {path}) ---\n{t}")
        raise CommandFailed("\n".join(msg))
    m = re.search(rf"^{RSS_TAG} (\d+)\s*$", rss_path.read_text() if rss_path.exists() else "", re.M)
    if not m:
        raise CommandFailed(f"no peak memory reported in {rss_path} for {shlex.join(cmd)}")
    return seconds, int(m.group(1)) / 1024.0  # KiB -> MiB


def capture(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        return (r.stdout + r.stderr).strip() if r.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


# ------------------------------------------------------------------ images and scores

def load_labels(path):
    img = nib.load(str(path))
    return np.asarray(img.dataobj).astype(np.int32, copy=False), img.affine, img.shape


def identity_resample(moving_path, fixed_shape, fixed_affine):
    """Moving labels in the fixed grid by physical coordinates, nearest neighbour, 0 outside."""
    img = nib.load(str(moving_path))
    mov = np.asarray(img.dataobj).astype(np.int32, copy=False)
    vox = np.linalg.inv(img.affine) @ fixed_affine  # fixed voxel -> moving voxel
    out = np.zeros(fixed_shape[:3], np.int32)
    ii, jj = np.meshgrid(np.arange(fixed_shape[0]), np.arange(fixed_shape[1]), indexing="ij")
    for k in range(fixed_shape[2]):
        idx = [np.rint(vox[a, 0] * ii + vox[a, 1] * jj + vox[a, 2] * k + vox[a, 3]).astype(np.int64)
               for a in range(3)]
        inside = np.ones(ii.shape, bool)
        for a in range(3):
            inside &= (idx[a] >= 0) & (idx[a] < mov.shape[a])
        sl = out[:, :, k]
        sl[inside] = mov[idx[0][inside], idx[1][inside], idx[2][inside]]
    return out


def dice(seg, ref, labels):
    """(mean Dice over labels present in seg or ref, labels skipped because absent from both)."""
    seg = np.clip(seg.ravel(), 0, None)
    ref = np.clip(ref.ravel(), 0, None)
    n = int(max(seg.max(), ref.max(), max(labels))) + 1
    cs = np.bincount(seg, minlength=n)
    cr = np.bincount(ref, minlength=n)
    inter = np.bincount(seg[seg == ref], minlength=n)
    scores, skipped = [], []
    for lab in labels:
        denom = cs[lab] + cr[lab]
        if denom == 0:
            skipped.append(lab)
        else:
            scores.append(2.0 * inter[lab] / denom)
    return (float(np.mean(scores)) if scores else float("nan")), skipped


def read_scored_labels(data):
    with open(data / "scored-labels.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    return [int(r["label"]) for r in rows], {int(r["label"]): f"{r['name']} ({r['side']})" for r in rows}


# ------------------------------------------------------------------ methods

def run_tessera(args, spec, moving, fixed, work):
    transform = work / "transform.h5"
    labels = work / "labels.nii.gz"
    reg = [args.tessera, "register", "-f", fixed["ss"], "-m", moving["ss"], "--transform", spec["transform"],
           "-o", transform, "--threads", str(args.threads), "--quiet"] + spec["extra"] + args.tessera_extra
    warp = [args.tessera, "warp", "-i", moving["glm"], "-r", fixed["ss"], "-t", transform,
            "--interpolation", "label", "-o", labels, "--quiet"]
    seconds, peak = run_measured([str(c) for c in reg], work, "register", args.probe)
    if not transform.exists():
        raise CommandFailed(f"tessera register wrote no {transform}")
    warp_seconds, warp_peak = run_measured([str(c) for c in warp], work, "warp", args.probe)
    return seconds, peak, warp_seconds, warp_peak, labels


def label_parameters(src, dst):
    """Copy of an elastix TransformParameters file that resamples labels: nearest neighbour
    (B-spline order 0), short pixels, NIfTI output, background 0."""
    text = Path(src).read_text()
    wanted = {"FinalBSplineInterpolationOrder": "0", "ResultImagePixelType": '"short"',
              "ResultImageFormat": '"nii.gz"', "DefaultPixelValue": "0", "CompressResultImage": '"true"'}
    for key, value in wanted.items():
        pattern = re.compile(r"^\(" + key + r"\s[^)]*\)", re.M)
        if pattern.search(text):
            text = pattern.sub(f"({key} {value})", text)
        else:
            text += f"\n({key} {value})\n"
    Path(dst).write_text(text)


def run_elastix(args, spec, moving, fixed, work):
    cmd = [args.elastix, "-f", fixed["ss"], "-m", moving["ss"]]
    for m in spec["maps"]:
        cmd += ["-p", args.maps / m]
    cmd += ["-out", work, "-threads", str(args.threads)]
    seconds, peak = run_measured([str(c) for c in cmd], work, "elastix", args.probe)
    last = work / f"TransformParameters.{len(spec['maps']) - 1}.txt"
    if not last.exists():
        raise CommandFailed(f"elastix wrote no {last}; see {work / 'elastix.log'}")
    tp = work / "TransformParameters.labels.txt"
    label_parameters(last, tp)
    warp_dir = work / "labels"
    warp_dir.mkdir()
    cmd = [args.transformix, "-in", moving["glm"], "-out", warp_dir, "-tp", tp, "-threads", str(args.threads)]
    warp_seconds, warp_peak = run_measured([str(c) for c in cmd], work, "transformix", args.probe)
    labels = warp_dir / "result.nii.gz"
    if not labels.exists():
        raise CommandFailed(f"transformix wrote no {labels}; see {warp_dir / 'transformix.log'}")
    return seconds, peak, warp_seconds, warp_peak, labels


# ------------------------------------------------------------------ output

def atomic_write(path, data, binary=False):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"newline": ""})) as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def summarize(rows, methods):
    summary = []
    for m in methods:
        r = [x for x in rows if x["method"] == m]
        dices = np.array([x["mean_dice"] for x in r])
        summary.append(dict(
            method=m, toolkit=METHODS[m]["toolkit"], pairs=len(r),
            dice=float(dices.mean()), dice_sd=float(dices.std(ddof=1)) if len(r) > 1 else float("nan"),
            seconds=float(np.mean([x["seconds"] for x in r])),
            warp_seconds=float(np.mean([x["warp_seconds"] for x in r])),
            peak_mib=max(x["peak_mib"] for x in r),
            bytes_per_voxel=max(x["peak_mib"] * 2**20 / x["fixed_voxels"] for x in r)))
    return summary


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def fmt(x, spec):
    return "–" if x != x else format(x, spec)  # NaN (e.g. sd of one pair) as a dash


def rel(path, start):
    try:
        return os.path.relpath(path, start)
    except ValueError:
        return str(path)


def markdown(args, rows, summary, before, skipped_notes, versions, command, plot_path):
    md_dir = Path(args.markdown).resolve().parent
    o = io.StringIO()
    w = o.write
    w("# Registration benchmark: Tessera and elastix\n\n")
    w("Generated by `Testing/Benchmarks/Registration/benchmark.py`; do not edit by hand.\n\n")
    w("Each pair registers the moving subject's skull-stripped T1 (`<id>_SS.nii.gz`, MICCAI 2012 multi-atlas "
      "challenge) to the fixed subject's, warps the moving subject's manual labels (`<id>_glm.nii.gz`) into the "
      "fixed grid with label-preserving interpolation (Tessera: per-label Gaussian vote; elastix: nearest neighbour), and scores them against the fixed subject's "
      f"manual labels: Dice per label, averaged over the {args.n_labels} labels of `scored-labels.csv`. "
      "*seconds*: wall time of the registration command(s) per pair; *warp s*: wall time of the label warp; "
      f"*peak MiB*: largest resident set of the registration process over the pairs (its maxrss, by {args.probe}); "
      "*peak B/voxel*: that peak in bytes over the fixed image's voxel count (largest over the pairs). "
      "*Dice before*: the moving labels resampled into the fixed grid by physical coordinates (no registration).\n\n")
    pairs = sorted({r["pair"] for r in rows}, key=lambda p: [x for x in rows if x["pair"] == p][0]["order"])
    w(f"**Machine**: {versions['nproc']} CPU cores ({versions['cpu']}), {args.threads} threads per command. "
      f"{versions['tools']}. Pairs (moving → fixed): {', '.join(p.replace(':', ' → ') for p in pairs)}.\n\n")
    w(f"Reproduce with (from the repository root):\n\n```\n{command}\n```\n\n")
    w("| method | toolkit | pairs | mean Dice | sd over pairs | seconds per pair | warp s | peak MiB | peak B/voxel |\n")
    w("|---|---|---|---|---|---|---|---|---|\n")
    b = list(before.values())
    w(f"| before registration (identity) | – | {len(b)} | {np.mean(b):.4f} | "
      f"{fmt(np.std(b, ddof=1) if len(b) > 1 else float('nan'), '.4f')} | – | – | – | – |\n")
    for s in summary:
        w(f"| {s['method']} | {s['toolkit']} | {s['pairs']} | {s['dice']:.4f} | {fmt(s['dice_sd'], '.4f')} | "
          f"{s['seconds']:.1f} | {s['warp_seconds']:.1f} | {s['peak_mib']:.0f} | {s['bytes_per_voxel']:.0f} |\n")
    w(f"\n![Mean Dice against seconds per pair]({rel(plot_path, md_dir)})\n\n")
    w("## Methods\n\n")
    for s in summary:
        w(f"- **{s['method']}**: {METHODS[s['method']]['about']}")
        if s["toolkit"] == "tessera" and args.tessera_extra:
            w(f" plus `{shlex.join(args.tessera_extra)}`")
        w("\n")
    w("\nTessera labels are warped with `tessera warp --interpolation label`; elastix labels with transformix "
      "on a copy of the last `TransformParameters` file with `FinalBSplineInterpolationOrder 0` and "
      "`ResultImagePixelType \"short\"`. The elastix parameter maps are in `Testing/Benchmarks/Registration/`.\n\n")
    w("## Per pair\n\n")
    w("| pair (moving → fixed) | method | seconds | warp s | peak MiB | mean Dice | Dice before |\n")
    w("|---|---|---|---|---|---|---|\n")
    for r in rows:
        w(f"| {r['pair'].replace(':', ' → ')} | {r['method']} | {r['seconds']:.1f} | {r['warp_seconds']:.1f} | "
          f"{r['peak_mib']:.0f} | {r['mean_dice']:.4f} | {r['dice_before']:.4f} |\n")
    if skipped_notes:
        w("\nLabels absent from both the warped and the reference labels (skipped in the mean):\n\n")
        for note in skipped_notes:
            w(f"- {note}\n")
    else:
        w(f"\nEvery one of the {args.n_labels} scored labels was present in the warped or the reference labels "
          "of every row (none skipped).\n")
    return o.getvalue()


def plot(summary, before, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker
    fig, ax = plt.subplots(figsize=(7.5, 5))
    # labels alternately below and above their points, in order of time, so neighbours do not overlap
    by_time = sorted(range(len(summary)), key=lambda i: summary[i]["seconds"])
    offset = {summary[i]["method"]: ((6, -13) if n % 2 == 0 else (-6, 8)) for n, i in enumerate(by_time)}
    for toolkit, colour in COLOURS.items():
        pts = [s for s in summary if s["toolkit"] == toolkit]
        if not pts:
            continue
        # the line joins the settings no faster setting beats (the toolkit's accuracy-time front)
        front, best = [], -1.0
        for s in sorted(pts, key=lambda s: s["seconds"]):
            if s["dice"] > best:
                front.append(s)
                best = s["dice"]
        ax.plot([s["seconds"] for s in front], [s["dice"] for s in front], "-", color=colour, alpha=0.6, zorder=1,
                label=toolkit.capitalize() if toolkit == "tessera" else toolkit)
        for i, s in enumerate(pts):
            ax.scatter(s["seconds"], s["dice"], color=colour, marker=MARKERS[i % len(MARKERS)], s=60, zorder=2)
            dx, dy = offset[s["method"]]
            ax.annotate(s["method"], (s["seconds"], s["dice"]), textcoords="offset points", xytext=(dx, dy),
                        fontsize=8, color=colour, ha="left" if dx > 0 else "right")
    if before:
        b = float(np.mean(list(before.values())))
        if summary and b < min(s["dice"] for s in summary) - 0.15:  # far below: say it, keep the axis on the methods
            ax.plot([], [], " ", label=f"before registration: {b:.3f}")
        else:
            ax.axhline(b, color="gray", ls="--", lw=1, label="before registration")
    secs = [s["seconds"] for s in summary]
    if secs and min(secs) > 0 and max(secs) / min(secs) > 10:
        ax.set_xscale("log")
        lo, hi = min(secs) / 1.5, max(secs) * 1.5
        ticks = [t for t in (0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000) if lo <= t <= hi]
        ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.margins(x=0.2, y=0.08)
    ax.set_xlabel("registration wall seconds per pair (mean)")
    ax.set_ylabel("mean Dice over scored labels (mean over pairs)")
    ax.set_title("Registration: accuracy against time (MICCAI 2012 pairs)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120)
    plt.close(fig)
    return buf.getvalue()


# ------------------------------------------------------------------ main

def parse_args():
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="methods (the plot joins each toolkit's accuracy-time front):\n" +
               "\n".join(f"  {k:26s} {v['about'].replace('`', '')}" for k, v in METHODS.items()))
    p.add_argument("--data", type=Path, default=REPO.parent / "shared/data/miccai2012-multiatlas",
                   help="MICCAI 2012 folder (default: ../shared/data/miccai2012-multiatlas from the repository root)")
    p.add_argument("--pairs", type=int, default=None,
                   help=f"use the first N of the fixed pair list (default {DEFAULT_PAIRS}, at most {len(PAIR_LIST)})")
    p.add_argument("--pair", action="append", default=[], metavar="MOVING:FIXED",
                   help="a pair of subject ids (repeatable; replaces the fixed list)")
    p.add_argument("--methods", default=",".join(METHODS), help="comma-separated subset (default: all)")
    p.add_argument("--tessera", default=str(REPO / "build/Applications/tessera"),
                   help="tessera executable (default: build/Applications/tessera)")
    p.add_argument("--tessera-extra", default="", help="extra options for every `tessera register` (one string)")
    p.add_argument("--elastix", default=shutil.which("elastix") or "/usr/bin/elastix", help="elastix executable")
    p.add_argument("--transformix", default=shutil.which("transformix") or "/usr/bin/transformix",
                   help="transformix executable")
    p.add_argument("--maps", type=Path, default=HERE, help="folder of the elastix parameter maps (default: this one)")
    p.add_argument("--threads", type=int, default=2, help="threads per command (default 2)")
    p.add_argument("--out", type=Path, help="folder for working files (kept); default a temporary folder")
    p.add_argument("--keep", action="store_true", help="keep the temporary working folder")
    p.add_argument("--csv", default=str(REPO / "Documentation/Benchmarks/Registration.csv"),
                   help="CSV of all rows (default: Documentation/Benchmarks/Registration.csv)")
    p.add_argument("--markdown", default=str(REPO / "Documentation/Benchmarks/Registration.md"),
                   help="Markdown report (default: Documentation/Benchmarks/Registration.md)")
    p.add_argument("--plot", default=str(REPO / "Documentation/Benchmarks/Registration.png"),
                   help="PNG plot (default: Documentation/Benchmarks/Registration.png)")
    args = p.parse_args()

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        p.error(f"unknown method(s) {', '.join(unknown) or '(none given)'}; known: {', '.join(METHODS)}")
    args.methods = list(dict.fromkeys(methods))
    if args.pair:
        if args.pairs is not None:
            p.error("--pairs and --pair are exclusive")
        pairs = []
        for s in args.pair:
            m = re.fullmatch(r"\s*(\w+)\s*:\s*(\w+)\s*", s)
            if not m:
                p.error(f"--pair {s!r}: expected MOVING:FIXED, e.g. 1001:1000")
            pairs.append((m.group(1), m.group(2)))
        args.pair_list = pairs
    else:
        n = DEFAULT_PAIRS if args.pairs is None else args.pairs
        if not 1 <= n <= len(PAIR_LIST):
            p.error(f"--pairs must be between 1 and {len(PAIR_LIST)}")
        args.pair_list = PAIR_LIST[:n]
    args.tessera_extra = shlex.split(args.tessera_extra)
    args.data = args.data.resolve()
    args.maps = args.maps.resolve()
    return args


def check_tools(args):
    problems = []
    toolkits = {METHODS[m]["toolkit"] for m in args.methods}
    if "tessera" in toolkits:
        if not (os.path.isfile(args.tessera) and os.access(args.tessera, os.X_OK)):
            problems.append(f"tessera executable {args.tessera} not found (build it, or pass --tessera PATH, "
                            "or choose elastix methods only with --methods)")
        else:
            listing = capture([args.tessera, "--help"]) or ""
            for app in ("register", "warp"):
                # `tessera APP --help` exits 0 even for an unknown APP: look for APP in the list of applications
                if not re.search(rf"^\s+{app}\s", listing, re.M) or capture([args.tessera, app, "--help"]) is None:
                    problems.append(f"{args.tessera} has no `{app}` application (not built yet?); "
                                    "choose elastix methods only with --methods")
    if "elastix" in toolkits:
        for tool in (args.elastix, args.transformix):
            if not (os.path.isfile(tool) and os.access(tool, os.X_OK)):
                problems.append(f"{tool} not found (pass --elastix/--transformix)")
        for m in args.methods:
            for f in METHODS[m].get("maps", []):
                if not (args.maps / f).is_file():
                    problems.append(f"parameter map {args.maps / f} not found")
    if not (args.data / "scored-labels.csv").is_file():
        problems.append(f"{args.data / 'scored-labels.csv'} not found (pass --data DIR)")
    for mov, fix in args.pair_list:
        for sid in (mov, fix):
            for kind in ("SS", "glm"):
                f = args.data / f"{sid}_{kind}.nii.gz"
                if not f.is_file():
                    problems.append(f"{f} not found")
    return sorted(set(problems), key=problems.index)


def main():
    args = parse_args()
    problems = check_tools(args)
    if problems:
        for pr in problems:
            print(f"error: {pr}", file=sys.stderr)
        return 1
    labels, label_names = read_scored_labels(args.data)
    args.probe = memory_probe()
    args.n_labels = len(labels)

    if args.out:
        work_root, remove = args.out.resolve(), False
        work_root.mkdir(parents=True, exist_ok=True)
    else:
        work_root, remove = Path(tempfile.mkdtemp(prefix="tessera-registration-benchmark-", dir="/tmp")), not args.keep
    log(f"working folder: {work_root}{' (removed at the end)' if remove else ''}")

    rows, before, skipped_notes = [], {}, []
    total = len(args.pair_list) * len(args.methods)
    step = 0
    try:
        for order, (mov, fix) in enumerate(args.pair_list):
            pair = f"{mov}:{fix}"
            moving = {"ss": args.data / f"{mov}_SS.nii.gz", "glm": args.data / f"{mov}_glm.nii.gz"}
            fixed = {"ss": args.data / f"{fix}_SS.nii.gz", "glm": args.data / f"{fix}_glm.nii.gz"}
            ref, ref_affine, ref_shape = load_labels(fixed["glm"])
            fixed_voxels = int(np.prod(ref_shape[:3]))
            before[pair], skipped = dice(identity_resample(moving["glm"], ref_shape, ref_affine), ref, labels)
            if skipped:
                skipped_notes.append(f"{pair} before registration: "
                                     + ", ".join(f"{l} {label_names[l]}" for l in skipped))
            log(f"pair {mov} -> {fix}: Dice before registration {before[pair]:.4f}")
            for method in args.methods:
                step += 1
                spec = METHODS[method]
                work = work_root / f"{mov}-to-{fix}" / method
                if work.exists():
                    shutil.rmtree(work)
                work.mkdir(parents=True)
                runner = run_tessera if spec["toolkit"] == "tessera" else run_elastix
                seconds, peak, warp_seconds, warp_peak, warped = runner(args, spec, moving, fixed, work)
                seg, seg_affine, seg_shape = load_labels(warped)
                if tuple(seg_shape[:3]) != tuple(ref_shape[:3]):
                    raise CommandFailed(f"{warped}: shape {seg_shape} differs from the fixed image's {ref_shape}")
                if not np.allclose(seg_affine, ref_affine, atol=1e-2):
                    log(f"  warning: {warped} has affine\n{seg_affine}\n  the fixed labels have\n{ref_affine}")
                mean_dice, skipped = dice(seg, ref, labels)
                if skipped:
                    skipped_notes.append(f"{pair} {method}: " + ", ".join(f"{l} {label_names[l]}" for l in skipped))
                rows.append(dict(pair=pair, method=method, seconds=seconds, warp_seconds=warp_seconds,
                                 peak_mib=peak, mean_dice=mean_dice, warp_peak_mib=warp_peak,
                                 dice_before=before[pair], labels_scored=len(labels) - len(skipped),
                                 fixed_voxels=fixed_voxels, order=order))
                log(f"[{step}/{total}] {mov} -> {fix} {method}: {seconds:.1f} s (+{warp_seconds:.1f} s warp), "
                    f"peak {peak:.0f} MiB, mean Dice {mean_dice:.4f}")
    except CommandFailed as e:
        print(f"error: {e}", file=sys.stderr)
        print(f"working files kept in {work_root}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"interrupted; working files kept in {work_root}", file=sys.stderr)
        return 1

    # everything ran: write the outputs
    summary = summarize(rows, args.methods)
    nproc = os.cpu_count()
    tools = []
    if any(s["toolkit"] == "tessera" for s in summary):
        tv = capture([args.tessera, "--version"])
        tools.append(f"Tessera: `{(tv or 'unknown version').splitlines()[0]}`")
        commit = capture(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
        if commit:
            tools.append(f"repository commit {commit}")
    if any(s["toolkit"] == "elastix" for s in summary):
        ev = capture([args.elastix, "--version"])
        tools.append(f"elastix: `{(ev or 'unknown version').splitlines()[0]}`")
    versions = dict(nproc=nproc, cpu=cpu_model(), tools="; ".join(tools))
    script = rel(Path(__file__).resolve(), Path.cwd())
    command = shlex.join([script] + sys.argv[1:])

    out_csv = io.StringIO()
    wr = csv.DictWriter(out_csv, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    wr.writeheader()
    for r in rows:
        wr.writerow({k: (f"{v:.4f}" if isinstance(v, float) and k in ("mean_dice", "dice_before")
                         else f"{v:.3f}" if isinstance(v, float) else v) for k, v in r.items()})
    md = markdown(args, rows, summary, before, skipped_notes, versions, command, Path(args.plot).resolve())
    png = plot(summary, before, args.plot)
    atomic_write(args.csv, out_csv.getvalue())
    atomic_write(args.plot, png, binary=True)
    atomic_write(args.markdown, md)
    log(f"wrote {args.csv}, {args.markdown}, {args.plot}")
    for s in summary:
        log(f"  {s['method']:26s} Dice {s['dice']:.4f}  {s['seconds']:.1f} s/pair  peak {s['peak_mib']:.0f} MiB")
    if remove:
        shutil.rmtree(work_root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
