#!/usr/bin/python3
"""Pairwise registrations for the multi-atlas leave-one-out benchmark (benchmark.py).

Every unordered pair (a, b) of the MICCAI 2012 subjects is registered once with `tessera register`
(fixed a, moving b, `--inverse`): the forward transform warps b's T1 and manual labels into a's grid,
the inverse warps a's into b's. The warped images are kept in the cache folder as
<target>/<atlas>_t1.nii.gz and <target>/<atlas>_labels.nii.gz, with the seconds each step took in
<target>/<atlas>.json; transforms are deleted once used (a dense field is ~140 MB). Pairs already
in the cache are skipped, so the script can be stopped and resumed; a lock file per pair lets two
runs share the work (one with --reverse). After a killed run, delete <cache>/transforms.

With --targets, only those targets are labelled: each of their atlases is registered onto the
target (fixed target, moving atlas, no inverse), as `tessera atlas-segment` does; for a few
targets that is fewer registrations than all pairs, and no inverse field is needed.

With --targets and --mirror, each atlas's left-right mirror is registered onto the target as well, as
`tessera atlas-segment --mirror` makes it: the voxel order reversed along the left-right axis, the
labels named "Left X" and "Right X" in labels.csv swapped (written once to <cache>/mirrored/);
cached as <target>/<atlas>-mirrored_{t1,labels}.nii.gz.
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
SUBJECTS = ["1000", "1001", "1002", "1003", "1004", "1005", "1006", "1007", "1008", "1009", "1010",
            "1011", "1012", "1013", "1014", "1015", "1017", "1036"]
# `tessera atlas-segment`'s defaults (radius and elastic sigma differ from `register`'s).
REGISTER = ["--transform", "rigid,affine,deformable", "--radius", "4", "--elastic-sigma", "0"]


def run(cmd):
    start = time.monotonic()
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(map(str, cmd))}\n{done.stdout}{done.stderr}")
    return time.monotonic() - start


def warp(args, data, atlas, target, transform, register_seconds, suffix=""):
    """Warps atlas's T1 and labels from `data` into target's grid, cached under the name atlas + suffix."""
    out = args.cache / target
    out.mkdir(parents=True, exist_ok=True)
    common = ["-r", args.data / f"{target}_SS.nii.gz", "-t", transform, "--threads", args.threads, "--quiet"]
    name = atlas + suffix
    tmp_labels, tmp_t1 = out / f".{name}_labels.nii.gz", out / f".{name}_t1.nii.gz"
    label_seconds = run([args.tessera, "warp", "-i", data / f"{atlas}_glm.nii.gz", "--interpolation", "label",
                         "-o", tmp_labels] + common)
    t1_seconds = run([args.tessera, "warp", "-i", data / f"{atlas}_SS.nii.gz", "-o", tmp_t1] + common)
    os.replace(tmp_labels, out / f"{name}_labels.nii.gz")
    os.replace(tmp_t1, out / f"{name}_t1.nii.gz")
    (out / f"{name}.json").write_text(json.dumps(dict(register_seconds=register_seconds,
                                                       label_warp_seconds=label_seconds,
                                                       t1_warp_seconds=t1_seconds)))


def mirror_atlases(args):
    """The subjects mirrored left-right (as atlas-segment --mirror does) in <cache>/mirrored/; returns that folder."""
    import csv
    import nibabel as nib
    import numpy as np
    folder = args.cache / "mirrored"
    folder.mkdir(parents=True, exist_ok=True)
    with open(args.data / "labels.csv", newline="") as f:
        names = {row[1]: int(row[0]) for row in list(csv.reader(f))[1:]}
    swap = np.arange(1 << 16, dtype=np.int64)
    for name, label in names.items():
        for side, other in (("Left ", "Right "), ("Right ", "Left ")):
            if name.startswith(side) and other + name[len(side):] in names:
                swap[label] = names[other + name[len(side):]]
    for subject in SUBJECTS:
        for kind in ("SS", "glm"):
            out = folder / f"{subject}_{kind}.nii.gz"
            if out.exists():
                continue
            image = nib.load(str(args.data / f"{subject}_{kind}.nii.gz"))
            axis = [i for i, code in enumerate(nib.aff2axcodes(image.affine)) if code in "LR"][0]
            voxels = np.flip(np.asarray(image.dataobj), axis)
            if kind == "glm":
                voxels = swap[voxels].astype(image.get_data_dtype())
            tmp = folder / f".{subject}_{kind}.nii.gz"
            nib.save(nib.Nifti1Image(np.ascontiguousarray(voxels), image.affine, image.header), str(tmp))
            os.replace(tmp, out)
    return folder


def register_onto_targets(args):
    sources = [("", args.data)] + ([("-mirrored", mirror_atlases(args))] if args.mirror else [])
    jobs = [(t, a, suffix, folder) for t in args.targets for a in SUBJECTS if a != t for suffix, folder in sources]
    for n, (target, atlas, suffix, folder) in enumerate(jobs, 1):
        if (args.cache / target / f"{atlas}{suffix}.json").exists():
            continue
        work = args.cache / "transforms"
        work.mkdir(parents=True, exist_ok=True)
        transform = work / f"{atlas}{suffix}_to_{target}.h5"
        seconds = run([args.tessera, "register", "-f", args.data / f"{target}_SS.nii.gz", "-m",
                       folder / f"{atlas}_SS.nii.gz", "-o", transform, "--threads", args.threads, "--quiet"] + REGISTER)
        warp(args, folder, atlas, target, transform, seconds, suffix)
        transform.unlink()
        print(f"[{n}/{len(jobs)}] {atlas}{suffix} -> {target}: register {seconds:.1f} s", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tessera", type=Path, default=REPO / "build/Applications/tessera")
    p.add_argument("--data", type=Path, default=REPO.parent / "shared/data/miccai2012-multiatlas")
    p.add_argument("--cache", type=Path, default=Path.home() / ".cache/tessera/atlas-benchmark")
    p.add_argument("--threads", default="2")
    p.add_argument("--subjects", type=int, default=len(SUBJECTS), help="use the first N subjects")
    p.add_argument("--reverse", action="store_true", help="take the pairs from the last target's end")
    p.add_argument("--targets", nargs="+", choices=SUBJECTS, help="register each atlas onto these targets only")
    p.add_argument("--mirror", action="store_true", help="with --targets: each atlas's left-right mirror too")
    args = p.parse_args()
    if args.mirror and not args.targets:
        p.error("--mirror needs --targets")
    if args.targets:
        register_onto_targets(args)
        return
    subjects = SUBJECTS[: args.subjects]
    # Target by target, so that each finished target's atlases are all there early.
    pairs = []
    for target in subjects:
        pairs += [tuple(sorted((target, s))) for s in subjects if s != target and tuple(sorted((target, s))) not in pairs]
    order = list(enumerate(pairs, 1))
    for n, (a, b) in reversed(order) if args.reverse else order:
        if all((args.cache / t / f"{s}.json").exists() for t, s in ((a, b), (b, a))):
            continue
        work = args.cache / "transforms"
        work.mkdir(parents=True, exist_ok=True)
        lock = work / f"{a}_{b}.lock"
        try:
            lock.touch(exist_ok=False)
        except FileExistsError:
            continue
        forward, inverse = work / f"{b}_to_{a}.h5", work / f"{a}_to_{b}.h5"
        seconds = run([args.tessera, "register", "-f", args.data / f"{a}_SS.nii.gz", "-m", args.data / f"{b}_SS.nii.gz",
                       "-o", forward, "--inverse", inverse, "--threads", args.threads, "--quiet"] + REGISTER)
        warp(args, args.data, b, a, forward, seconds)
        warp(args, args.data, a, b, inverse, seconds)
        forward.unlink()
        inverse.unlink()
        lock.unlink()
        print(f"[{n}/{len(pairs)}] {a} <-> {b}: register {seconds:.1f} s", flush=True)


if __name__ == "__main__":
    main()
