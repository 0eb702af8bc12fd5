#!/usr/bin/python3
"""Multi-atlas benchmark: leave-one-out on the MICCAI 2012 subjects, every fusion method of
`tessera label-fusion`, beside ANTs' published joint label fusion figure for the same subject.

Each target is labelled from the other 17 subjects. The pairwise registrations and warps come
from register_pairs.py (run it first; its cache holds each atlas's T1 and labels warped into each
target's grid with `tessera register` at `tessera atlas-segment`'s settings and `tessera warp`). For each target and method this script runs `tessera label-fusion`
on the 17 warped atlases inside the target's brain mask, measures its wall time and peak memory,
and scores the mean Dice over the 126 labels of scored-labels.csv against the manual labels. A
"single atlas" row gives the mean over the 17 warped atlases alone.

Each fusion's result (seconds, peak memory, Dice) is kept in <cache>/fusion/<target>_<method>.json
and reused by later runs (delete the folder to measure again), so targets can be added as
register_pairs.py completes them; so are the whole-application timings (<target>_atlas-segment*.timing.json)
and what corrective learning needs (jlf-mirror's labels, the training segmentations in <cache>/fusion/training/,
and each fold's model).

--time-targets ID... also runs the whole `tessera atlas-segment` (registrations included, 17 atlases,
--threads as given) for those targets and reports its time split; run it on an idle machine.

Writes, only after every run has succeeded and each atomically: a CSV of all rows, a Markdown report
and a plot (Dice per target, each method and ANTs). Run with /usr/bin/python3 (numpy, nibabel,
matplotlib).
"""
import argparse
import csv
import importlib.util
import json
import os
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
_spec = importlib.util.spec_from_file_location("registration_benchmark", HERE.parent / "Registration/benchmark.py")
reg = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(reg)
sys.path.insert(0, str(HERE))
from register_pairs import REGISTER, SUBJECTS  # noqa: E402

METHODS = ["majority", "weighted", "local", "staple", "jlf", "jlf-mirror", "jlf-mirror-cl"]
MIRROR = "-mirror"  # a method on the 17 atlases and their left-right mirrors (register_pairs.py --mirror)
CORRECTED = "jlf-mirror-cl"  # jlf-mirror's labels corrected by corrective learning
CSV_FIELDS = ["target", "method", "atlases", "mean_dice", "ants_dice", "seconds", "peak_mib", "train_seconds"]


def cached_atlases(cache, target):
    folder = cache / target
    return [s for s in SUBJECTS if s != target and (folder / f"{s}.json").exists()]


def confidence_of(labels):
    """Where the fusion that wrote `labels` keeps its confidence (corrective learning's input)."""
    return labels.with_name(labels.name.removesuffix(".nii.gz") + "_confidence.nii.gz")


def fuse(args, target, atlases, method, work, out=None):
    folder = args.cache / target
    out = out or work / f"{target}_{method}.nii.gz"
    cmd = [args.tessera, "label-fusion", "-i", args.data / f"{target}_SS.nii.gz",
           "--mask", args.data / f"{target}_mask.nii.gz", "--fusion", method.removesuffix(MIRROR), "-o", out,
           "--threads", args.threads]
    if method == "jlf" + MIRROR:  # corrective learning corrects these labels
        cmd += ["--confidence", confidence_of(out)]
    if method.endswith(MIRROR):
        atlases = atlases + [a + "-mirrored" for a in atlases]
    for a in atlases:
        cmd += ["-l", folder / f"{a}_labels.nii.gz", "--atlas-images", folder / f"{a}_t1.nii.gz"]
    seconds, peak = reg.run_measured([str(c) for c in cmd], work, f"{target}_{method}", args.probe)
    return out, seconds, peak


def training_segmentation(args, subject, pool, folder):
    """jlf-mirror labels of `subject` from the atlases of `pool` (and their mirrors), kept in <folder>."""
    out = folder / f"{subject}.nii.gz"
    if not confidence_of(out).exists():
        folder.mkdir(parents=True, exist_ok=True)
        fuse(args, subject, [a for a in cached_atlases(args.cache, subject) if a in pool], "jlf" + MIRROR, folder, out)
    return out


def train(args, model, subjects, folder, log):
    """`corrective-learning train` on `subjects`, each segmented by the others. Returns (s, peak MiB)."""
    cmd = [args.tessera, "corrective-learning", "train", "-m", model, "--threads", args.threads]
    for s in subjects:
        automatic = training_segmentation(args, s, subjects, folder)
        cmd += ["-i", args.data / f"{s}_SS.nii.gz", "--automatic", automatic, "--confidence", confidence_of(automatic),
                "--manual", args.data / f"{s}_glm.nii.gz", "--mask", args.data / f"{s}_mask.nii.gz"]
    return reg.run_measured([str(c) for c in cmd], log, model.name.removesuffix(".yml.gz"), args.probe)


def fold_of(target, group):
    """The fold of `target` in the two-fold split of SUBJECTS into `group` and the rest."""
    return [s for s in SUBJECTS if (s in group) == (target in group)]


def model_of(target, group, work):
    """The corrective-learning model for `target` (that of the other fold) and the file timing its training."""
    name = "within-" + "-".join(s for s in SUBJECTS if s not in fold_of(target, group))
    return work / f"{name}_cl-model.yml.gz", work / f"{name}_cl-model.seconds.json"


def model_written(target, group, work):
    """When the model for `target` was written (ns; None before): results of an older model are recomputed."""
    model, timing = model_of(target, group, work)
    return model.stat().st_mtime_ns if timing.exists() else None


def correct(args, target, group, work):
    """Corrective learning for `target` by the model of the other fold (two-fold cross-validation, so that no label
    of `target` reaches it): trained on that fold's subjects, each segmented by the rest of the fold; trained once
    and kept in <work> (delete it to retrain). Applied to the target's jlf-mirror labels and their confidence.
    Returns (labels, training s, applying s, peak MiB)."""
    other = [s for s in SUBJECTS if s not in fold_of(target, group)]
    model, timing = model_of(target, group, work)
    if not timing.exists():  # written once the model is
        trained = train(args, model, other, work / "training" / model.name.removesuffix("_cl-model.yml.gz"), work)
        atomic_write(timing, lambda tmp: tmp.write_text(json.dumps(trained)))
    train_seconds, train_peak = json.loads(timing.read_text())
    out = work / f"{target}_{CORRECTED}.nii.gz"
    automatic = work / f"{target}_jlf{MIRROR}.nii.gz"
    cmd = [args.tessera, "corrective-learning", "apply", "-i", args.data / f"{target}_SS.nii.gz",
           "-l", automatic, "--confidence", confidence_of(automatic), "--mask", args.data / f"{target}_mask.nii.gz",
           "-m", model, "-o", out, "--threads", args.threads]
    seconds, peak = reg.run_measured([str(c) for c in cmd], work, f"{target}_{CORRECTED}", args.probe)
    return out, train_seconds, seconds, max(peak, train_peak)


def segment_whole(args, target, work, mirror):
    """The whole application on one target: returns (seconds, peak MiB, registration s, fusion s, labels)."""
    name = f"{target}_atlas-segment" + ("-mirror" if mirror else "")
    out = work / f"{name}.nii.gz"
    cmd = [args.tessera, "atlas-segment", "-i", args.data / f"{target}_SS.nii.gz",
           "--mask", args.data / f"{target}_mask.nii.gz", "-a", REPO / "Atlases/miccai2012-multiatlas.json",
           "--data-root", args.data.parent, "--exclude", target, "--fusion", "jlf", "-o", out,
           "--threads", args.threads] + REGISTER + (["--mirror"] if mirror else [])
    seconds, peak = reg.run_measured([str(c) for c in cmd], work, name, args.probe)
    text = (work / f"{name}.out").read_text()
    m = re.search(r"registered and warped in ([0-9.]+) s, fused \(jlf\) in ([0-9.]+) s", text)
    if not m:
        raise reg.CommandFailed(f"no time split in the output of atlas-segment:\n{text}")
    return seconds, peak, float(m.group(1)), float(m.group(2)), out


def atomic_write(path, write):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# The first run of this benchmark (commit 52910af), kept for comparison: a registration 3x cheaper per atlas.
EARLIER = ("*Earlier*: with `--deformable-iterations 50,25,0` (no full-resolution level), greedy's radius 2 and "
           "field sigma 0.707 voxels, all 18 targets (commit 52910af): single atlas 0.6150, majority 0.7222, "
           "weighted 0.7240, local 0.7464, STAPLE 0.7098, JLF 0.7601 against ANTs' 0.7964; `atlas-segment` on 1000: "
           "289 s, JLF 0.7681.\n\n")


def report(args, rows, timed, ants, labels_count, version, commit):
    by = {}
    for r in rows:
        by.setdefault(r["method"], []).append(r)
    order = ["single atlas (mean of 17)"] + args.methods
    targets = sorted({r["target"] for r in rows})
    lines = []
    w = lines.append
    w("# Multi-atlas segmentation: leave-one-out on MICCAI 2012\n\n")
    w("Generated by `Testing/Benchmarks/Atlas/benchmark.py`; do not edit by hand.\n\n")
    w(f"Each of {len(targets)} MICCAI 2012 subjects (skull-stripped T1, 1 mm) is labelled from the other 17 with "
      f"`tessera label-fusion` on atlases registered by `tessera register {' '.join(REGISTER)}` (as "
      "`tessera atlas-segment` does by default; computed once by `register_pairs.py --targets`: each atlas "
      "registered onto the target) and warped with `tessera warp` (labels: `--interpolation label`). "
      "Fusion runs inside the brain mask. "
      f"Score: mean Dice over the {labels_count} labels of `scored-labels.csv` against the manual labels. *ANTs*: "
      "`antsRegistrationSyN.sh` + `antsJointFusion` with 29 atlases per target (the challenge's 15 + 20 subjects "
      "minus the target; published per-subject figures, `ants-jlf-leave-one-out.csv`): about 3 h per registration "
      "and 4 h of fusion per target.\n\n")
    w(EARLIER)
    w(f"**Machine**: 2 CPU cores, `--threads {args.threads}`. `{version}`, repository commit {commit}. *fusion s* "
      "and *peak MiB*: wall time and largest resident set of `tessera label-fusion` (results are kept between "
      "runs, and some targets were fused while registrations of the cache shared the two cores: the times are "
      "upper bounds).\n\n")
    mirrored = sorted({r["target"] for r in rows if r["method"].endswith(MIRROR)})
    w("Reproduce with (from the repository root):\n\n```\n"
      + ("" if mirrored == targets else "Testing/Benchmarks/Atlas/register_pairs.py --targets " + " ".join(targets) + "\n")
      + ("Testing/Benchmarks/Atlas/register_pairs.py --mirror --targets " + " ".join(mirrored) + "\n"
         if mirrored else "") +
      "Testing/Benchmarks/Atlas/benchmark.py" + (" --time-targets " + " ".join(args.time_targets)
                                                  if args.time_targets else "") + "\n```\n\n")
    w("| method | targets | mean Dice | sd | mean − ANTs | targets ≥ ANTs | fusion s | peak MiB |\n")
    w("|---|---|---|---|---|---|---|---|\n")
    for m in order:
        r = by.get(m, [])
        if not r:
            continue
        d = [x["mean_dice"] for x in r]
        diff = [x["mean_dice"] - x["ants_dice"] for x in r]
        secs = [x["seconds"] for x in r if x["seconds"] != ""]
        mem = [x["peak_mib"] for x in r if x["peak_mib"] != ""]
        w(f"| {m} | {len(r)} | {np.mean(d):.4f} | {np.std(d):.4f} | {np.mean(diff):+.4f} | "
          f"{sum(x >= 0 for x in diff)}/{len(r)} | {np.mean(secs):.1f} | " if secs else
          f"| {m} | {len(r)} | {np.mean(d):.4f} | {np.std(d):.4f} | {np.mean(diff):+.4f} | "
          f"{sum(x >= 0 for x in diff)}/{len(r)} | – | ")
        w(f"{max(mem):.0f} |\n" if mem else "– |\n")
    subsets = {tuple(sorted(x["target"] for x in r)) for r in by.values()} - {tuple(targets)}
    for subset in [tuple(targets)] + sorted(subsets, key=len, reverse=True):
        a = [ants[t] for t in subset]
        w("| ANTs SyN + joint label fusion, 29 atlases"
          + (f" (targets {', '.join(subset)})" if subset != tuple(targets) else "")
          + f" | {len(subset)} | {np.mean(a):.4f} | {np.std(a):.4f} | 0 | – | ~14400 | – |\n")
    w("\n")
    w("![Mean Dice per target](AtlasSegmentation.png)\n\n")
    if timed:
        w("## The whole application, registrations included\n\n")
        w("`tessera atlas-segment` with 17 atlases (`Atlases/miccai2012-multiatlas.json --exclude ID`, "
          "`--fusion jlf`, the registration options above; with `--mirror`, also their 17 left-right mirrors), "
          "wall time of the process:\n\n")
        w("| target | atlases | total s | registering and warping s | fusion s | peak MiB | mean Dice | ANTs |\n")
        w("|---|---|---|---|---|---|---|---|\n")
        for t in timed:
            w(f"| {t['target']} | {'17 + 17 mirrored (`--mirror`)' if t['mirror'] else '17'} | {t['seconds']:.0f} | "
              f"{t['registration']:.0f} | {t['fusion']:.0f} | {t['peak_mib']:.0f} | {t['dice']:.4f} | "
              f"{ants[t['target']]:.4f} |\n")
        w("\n")
    w("## Per target\n\n| target | " + " | ".join(order) + " | ANTs |\n|" + "---|" * (len(order) + 2) + "\n")
    for t in targets:
        cells = []
        for m in order:
            x = [r for r in by.get(m, []) if r["target"] == t]
            cells.append(f"{x[0]['mean_dice']:.4f}" if x else "–")
        w(f"| {t} | " + " | ".join(cells) + f" | {ants[t]:.4f} |\n")
    w("\n## Methods\n\n")
    w("- **majority**: one vote per atlas, ties to the smallest label.\n"
      "- **weighted**: globally weighted vote, weight (MSD over the mask)^-2 (Artaechevarria et al. 2009).\n"
      "- **local**: locally weighted vote, weight (patch MSD)^-2, patch radius 2 (Artaechevarria 2009; Isgum 2009).\n"
      "- **staple**: multi-label STAPLE, ITK's EM in double over distinct atlas-label tuples (Warfield 2004).\n"
      "- **jlf**: joint label fusion, patch radius 2, search radius 1, alpha 0.1, beta 2, votes spread over each "
      "patch as `antsJointFusion` spreads them (Wang et al. 2013).\n"
      "- **jlf-mirror**: jlf on 34 atlases, the 17 and their left-right mirrors (voxel order reversed along the "
      "left-right axis, left and right labels swapped), each registered onto the target: what "
      "`tessera atlas-segment --mirror` does.\n")
    corrected = by.get(CORRECTED, [])
    if corrected:
        w(f"- **{CORRECTED}**: jlf-mirror's labels corrected by `tessera corrective-learning apply` (Wang et al. "
          "2011: per label, a random forest decides from intensities, the distance to the label's boundary, the "
          "position and jlf's confidence (`label-fusion --confidence`) whether each voxel near the label belongs to "
          "it), in two-fold cross-validation so that no "
          f"target's labels reach its model: the subjects {', '.join(args.corrective_group)} "
          "(`--corrective-group`) and the others. Each fold's targets are corrected by the model of the other fold "
          "(`tessera corrective-learning train`, default settings), trained on its subjects' manual labels and "
          "their jlf-mirror labels from the rest of that fold and their mirrors:")
        for fold in sorted({tuple(fold_of(r["target"], args.corrective_group)) for r in corrected}):
            rs = [r for r in corrected if r["target"] in fold]
            w(f" {len(rs)} targets by a model trained on {len(SUBJECTS) - len(fold)} subjects "
              f"(each from {2 * (len(SUBJECTS) - len(fold) - 1)} atlases) in {rs[0]['train_seconds']:.0f} s;")
        w(" so the training labels came from fewer atlases than the labels corrected (34), and were worse than "
          "them. *fusion s* is the correction alone.\n")
    return "".join(lines)


def plot(path, rows, ants, methods):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    targets = sorted({r["target"] for r in rows})
    x = np.arange(len(targets))
    fig, ax = plt.subplots(figsize=(10, 4.5), dpi=120)
    for m in ["single atlas (mean of 17)"] + methods:
        y = [next((r["mean_dice"] for r in rows if r["target"] == t and r["method"] == m), np.nan) for t in targets]
        ax.plot(x, y, marker="o", linewidth=1, label=m)
    ax.plot(x, [ants[t] for t in targets], marker="s", color="black", linewidth=2, label="ANTs SyN + JLF (29 atlases)")
    ax.set_xticks(x)
    ax.set_xticklabels(targets, rotation=45)
    ax.set_xlabel("target subject (labelled from the other 17)")
    ax.set_ylabel("mean Dice, 126 labels")
    ax.set_title("MICCAI 2012 leave-one-out: Tessera label fusion vs ANTs")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, ncol=2, loc="center left", bbox_to_anchor=(0.01, 0.42))  # clear of every line
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png"))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tessera", type=Path, default=REPO / "build/Applications/tessera")
    p.add_argument("--data", type=Path, default=REPO.parent / "shared/data/miccai2012-multiatlas")
    p.add_argument("--cache", type=Path, default=Path.home() / ".cache/tessera/atlas-benchmark")
    p.add_argument("--work", type=Path, default=None, help="results and logs (default: <cache>/fusion)")
    p.add_argument("--threads", default="2")
    p.add_argument("--methods", nargs="+", default=METHODS, choices=METHODS)
    p.add_argument("--targets", nargs="+", default=None, help="default: every target with 17 atlases in the cache")
    p.add_argument("--time-targets", nargs="*", default=[])
    p.add_argument("--corrective-group", nargs="+", default=SUBJECTS[:8], choices=SUBJECTS,
                   help=f"{CORRECTED}: one fold of the two-fold split (the other subjects are the other); each "
                   "fold's targets are corrected by a model trained on the other fold, each of its subjects segmented "
                   "by the rest of its fold (default: %(default)s)")
    p.add_argument("--out", type=Path, default=REPO / "Documentation/Benchmarks")
    args = p.parse_args()
    args.probe = reg.memory_probe()
    labels, _ = reg.read_scored_labels(args.data)
    with open(args.data / "ants-jlf-leave-one-out.csv", newline="") as f:
        ants = {r["subject"]: float(r["mean_dice_126_labels"]) for r in csv.DictReader(f)}
    targets = args.targets or [t for t in SUBJECTS if len(cached_atlases(args.cache, t)) == len(SUBJECTS) - 1]
    if not targets:
        sys.exit(f"no target has all {len(SUBJECTS) - 1} atlases in {args.cache}: run register_pairs.py first")
    work = Path(args.work or args.cache / "fusion")
    work.mkdir(parents=True, exist_ok=True)
    rows, timed = [], []
    try:
        for n, t in enumerate(targets, 1):
            atlases = cached_atlases(args.cache, t)
            ref, _, _ = reg.load_labels(args.data / f"{t}_glm.nii.gz")
            mask = np.asarray(reg.nib.load(str(args.data / f"{t}_mask.nii.gz")).dataobj) > 0
            single = [reg.dice(np.where(mask, reg.load_labels(args.cache / t / f"{a}_labels.nii.gz")[0], 0), ref,
                               labels)[0] for a in atlases]
            rows.append(dict(target=t, method="single atlas (mean of 17)", atlases=1, mean_dice=float(np.mean(single)),
                             ants_dice=ants[t], seconds="", peak_mib=""))
            for m in args.methods:
                kept = work / f"{t}_{m}.json"
                if kept.exists():
                    row = json.loads(kept.read_text())
                    if m == CORRECTED:
                        written = model_written(t, args.corrective_group, work)
                        current = row.get("group") == args.corrective_group and written is not None and \
                            row.get("model_written") == written
                    else:  # jlf-mirror is kept with its confidence, which corrective learning needs
                        current = m != "jlf" + MIRROR or confidence_of(work / f"{t}_{m}.nii.gz").exists()
                    if current:
                        rows.append(row)
                        continue
                mirrored = m.endswith(MIRROR) or m == CORRECTED
                if mirrored and not all((args.cache / t / f"{a}-mirrored.json").exists() for a in atlases):
                    reg.log(f"[{n}/{len(targets)}] {t} {m}: skipped, no mirrored atlases (register_pairs.py --mirror)")
                    continue
                if m == CORRECTED:
                    if not confidence_of(work / f"{t}_jlf{MIRROR}.nii.gz").exists():
                        reg.log(f"[{n}/{len(targets)}] {t} {m}: skipped, no jlf{MIRROR} labels")
                        continue
                    out, train_seconds, seconds, peak = correct(args, t, args.corrective_group, work)
                else:
                    out, seconds, peak = fuse(args, t, atlases, m, work)
                d = reg.dice(reg.load_labels(out)[0], ref, labels)[0]
                rows.append(dict(target=t, method=m, atlases=len(atlases) * (2 if mirrored else 1),
                                 mean_dice=d, ants_dice=ants[t],
                                 seconds=seconds, peak_mib=peak))
                if m == CORRECTED:
                    rows[-1].update(train_seconds=train_seconds, group=args.corrective_group,
                                    model_written=model_written(t, args.corrective_group, work))
                atomic_write(kept, lambda tmp: tmp.write_text(json.dumps(rows[-1])))
                if m != "jlf" + MIRROR:  # corrective learning corrects these labels
                    out.unlink()
                reg.log(f"[{n}/{len(targets)}] {t} {m}: Dice {d:.4f} (ANTs {ants[t]:.4f}), {seconds:.1f} s, {peak:.0f} MiB")
        for t in args.time_targets:
            for mirror in (False, True) if "jlf" + MIRROR in args.methods else (False,):
                kept = work / f"{t}_atlas-segment{MIRROR if mirror else ''}.timing.json"
                if kept.exists():
                    timed.append(json.loads(kept.read_text()))
                    continue
                seconds, peak, registration, fusion, out = segment_whole(args, t, work, mirror)
                ref, _, _ = reg.load_labels(args.data / f"{t}_glm.nii.gz")
                d = reg.dice(reg.load_labels(out)[0], ref, labels)[0]
                timed.append(dict(target=t, mirror=mirror, seconds=seconds, peak_mib=peak, registration=registration,
                                  fusion=fusion, dice=d))
                atomic_write(kept, lambda tmp: tmp.write_text(json.dumps(timed[-1])))
                reg.log(f"atlas-segment {t}{' --mirror' if mirror else ''}: {seconds:.0f} s ({registration:.0f} s "
                        f"registering, {fusion:.0f} s fusing), Dice {d:.4f}")
    except reg.CommandFailed as e:
        sys.exit(str(e))
    version = reg.capture([str(args.tessera), "--version"]) or "tessera"
    commit = reg.capture(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"]) or "unknown"

    def write_csv(tmp):
        with open(tmp, "w", newline="") as f:
            wr = csv.DictWriter(f, fieldnames=CSV_FIELDS, extrasaction="ignore")
            wr.writeheader()
            for r in rows:
                wr.writerow({k: (f"{v:.4f}" if isinstance(v, float) else v) for k, v in r.items()})

    atomic_write(args.out / "AtlasSegmentation.csv", write_csv)
    plot(args.out / "AtlasSegmentation.png", rows, ants, args.methods)
    text = report(args, rows, timed, ants, len(labels), version, commit)
    atomic_write(args.out / "AtlasSegmentation.md", lambda tmp: tmp.write_text(text))
    reg.log(f"wrote {args.out / 'AtlasSegmentation.md'}")


if __name__ == "__main__":
    main()
