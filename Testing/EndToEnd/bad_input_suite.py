#!/usr/bin/env python3
"""Bad-input suite: every case of BadInputCases.txt must be refused as the reliability issue asks.

For each case, `tessera <arguments>` must
  - exit with status 1 within the time limit (no crash, no hang, no CLI11 exit code),
  - print exactly one error line, the last on stderr, `tessera <application>: error: ...`, naming
    the case's subject (a file name or an option) and, when the case gives one, its problem,
  - leave nothing behind: its output folder stays empty and the fixtures are unchanged.

Usage: bad_input_suite.py TESSERA CASES_FILE [--keep DIR] [--only SUBSTRING]
Fixtures (tiny images, damaged files, models, tables) are made by tessera itself and by numpy,
nibabel and PIL (Debian's python3-numpy, python3-nibabel, python3-pil) in a scratch folder.
"""
import argparse
import concurrent.futures
import gzip
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

import nibabel
import numpy as np
from PIL import Image

TIME_LIMIT_S = 30


def write_nifti(path, array, spacing=None, dtype=None):
    array = np.asarray(array, dtype=dtype or array.dtype)
    affine = np.diag(list(spacing or [1.0] * array.ndim) + [1.0] * (4 - array.ndim))
    nibabel.save(nibabel.Nifti1Image(array, affine), path)


def write_metaimage(path, array, element_type="MET_FLOAT", extra=""):
    """A one-file MetaImage (.mha) with the header ITK writes; `array` is indexed [z, y, x]."""
    dims = " ".join(str(s) for s in reversed(array.shape))
    header = (f"ObjectType = Image\nNDims = {array.ndim}\nDimSize = {dims}\n{extra}"
              f"ElementType = {element_type}\nElementDataFile = LOCAL\n")
    with open(path, "wb") as f:
        f.write(header.encode())
        f.write(array.tobytes())


def tessera(executable, arguments, cwd=None):
    return subprocess.run([executable] + arguments, capture_output=True, text=True, timeout=120, cwd=cwd)


def make_fixtures(executable, fx):
    """Writes the fixtures: good inputs that the damaged ones are made from, then the damaged ones."""
    rng = np.random.default_rng(0)
    j = lambda name: os.path.join(fx, name)

    # Good 2D inputs: three flat regions with noise, their labels, a colour version.
    grey = np.full((64, 64), 40, np.uint8)
    grey[:, 22:44] = 120
    grey[:, 44:] = 200
    grey = np.clip(grey + rng.normal(0, 5, grey.shape), 0, 255).astype(np.uint8)
    Image.fromarray(grey).save(j("grey.png"))
    labels2d = np.ones((64, 64), np.uint8)
    labels2d[:, 22:44] = 2
    labels2d[:, 44:] = 3
    Image.fromarray(labels2d).save(j("labels2d.png"))
    Image.fromarray(np.stack([grey, 255 - grey, grey // 2], axis=-1)).save(j("rgb.png"))
    Image.fromarray(np.full((1, 1), 7, np.uint8)).save(j("tiny1x1.png"))
    Image.fromarray(np.full((1, 200), 7, np.uint8)).save(j("strip1x200.png"))
    Image.fromarray(np.full((64, 64), 90, np.uint8)).save(j("constant.png"))
    Image.fromarray(grey[:32, :32]).save(j("grey32.png"))
    Image.fromarray(np.zeros((64, 64), np.uint8)).save(j("zeros2d.png"))
    Image.fromarray((labels2d == 2).astype(np.uint8)).save(j("mask2d.png"))

    # Good 3D inputs (x, y, z in nibabel's order): three slabs with noise, labels, masks.
    volume = np.full((16, 16, 16), 100.0, np.float32)
    volume[:, :, 5:11] = 300.0
    volume[:, :, 11:] = 500.0
    volume += rng.normal(0, 10, volume.shape).astype(np.float32)
    write_nifti(j("t1.nii.gz"), volume)
    write_nifti(j("t1.nii"), volume)
    labels3d = np.ones((16, 16, 16), np.uint16)
    labels3d[:, :, 5:11] = 2
    labels3d[:, :, 11:] = 3
    write_nifti(j("labels3d.nii.gz"), labels3d)
    mask = np.zeros((16, 16, 16), np.uint8)
    mask[2:14, 2:14, 2:14] = 1
    write_nifti(j("mask3d.nii.gz"), mask)
    write_nifti(j("mask8.nii.gz"), np.ones((8, 8, 8), np.uint8))
    write_nifti(j("mask-spacing2.nii.gz"), mask, spacing=[2.0, 2.0, 2.0])
    write_nifti(j("empty-mask3d.nii.gz"), np.zeros((16, 16, 16), np.uint8))
    write_nifti(j("t1-other-grid.nii.gz"), volume[:8, :8, :8])
    write_nifti(j("t1-4d.nii.gz"), np.stack([volume, volume], axis=-1))

    # Damaged images.
    data = open(j("t1.nii.gz"), "rb").read()
    open(j("truncated.nii.gz"), "wb").write(data[: len(data) // 2])
    data = open(j("t1.nii"), "rb").read()
    open(j("truncated.nii"), "wb").write(data[: len(data) // 2])
    write_metaimage(j("t1.mha"), volume.transpose(2, 1, 0).copy())
    data = open(j("t1.mha"), "rb").read()
    open(j("truncated.mha"), "wb").write(data[: len(data) - 5000])
    nan = volume.copy()
    nan[3, 3, 3] = np.nan
    write_nifti(j("nan.nii.gz"), nan)
    write_metaimage(j("nan.mha"), nan.transpose(2, 1, 0).copy())
    inf = volume.copy()
    inf[4, 4, 4] = np.inf
    write_nifti(j("inf.nii.gz"), inf)
    write_nifti(j("complex.nii.gz"), (volume + 1j * volume).astype(np.complex64))
    # A GeoTIFF cut short (Debian's r-cran-stars ships the Landsat scene), and text named .tif.
    data = open("/usr/lib/R/site-library/stars/tif/L7_ETMs.tif", "rb").read()
    open(j("truncated.tif"), "wb").write(data[: len(data) // 2])
    open(j("landsat.tif"), "wb").write(data)
    open(j("text.tif"), "w").write("this is not a raster\n")
    open(j("empty.nii.gz"), "wb").close()
    open(j("empty.png"), "wb").close()
    open(j("text.png"), "w").write("this is not an image\n")
    open(j("text.nii.gz"), "w").write("this is not an image\n")
    open(j("garbage.nii.gz"), "wb").write(gzip.compress(b"\x00" * 40 + b"garbage" * 10))
    os.mkdir(j("folder.nii.gz"))
    os.mkfifo(j("fifo.nii.gz"))
    os.mkdir(j("empty-folder"))
    os.mkdir(j("images"))
    shutil.copy(j("grey.png"), j("images/grey.png"))
    open(j("notes.txt"), "w").write("not an image\n")

    # Label tables.
    table = {"labels": [{"id": 1, "name": "dark", "color": [255, 0, 0]},
                        {"id": 2, "name": "mid", "color": [0, 255, 0]},
                        {"id": 3, "name": "bright", "color": [0, 0, 255]}]}
    json.dump(table, open(j("labels.json"), "w"))
    open(j("malformed.json"), "w").write('{"labels": [ {"value": 1, ')
    bad = json.loads(json.dumps(table))
    bad["labels"][1]["id"] = 1
    json.dump(bad, open(j("duplicate-label.json"), "w"))
    bad = json.loads(json.dumps(table))
    bad["labels"][0]["id"] = 70000
    json.dump(bad, open(j("label-70000.json"), "w"))
    bad = json.loads(json.dumps(table))
    bad["labels"][0]["color"] = [300, 0, 0]
    json.dump(bad, open(j("colour-300.json"), "w"))
    bad = json.loads(json.dumps(table))
    bad["labels"][0]["id"] = -1
    json.dump(bad, open(j("label-negative.json"), "w"))
    json.dump({"labels": []}, open(j("no-labels.json"), "w"))

    # Outputs of tessera that later cases damage: probabilities, a kNN model, a run record.
    def run(*arguments):
        r = tessera(executable, list(arguments), cwd=fx)
        if r.returncode != 0:
            sys.exit(f"fixture: tessera {' '.join(arguments)} failed: {r.stderr}")

    os.mkdir(j("made"))
    run("gmm", "-q", "-i", j("t1.nii.gz"), "-k", "3", "-o", j("made/gmm.nii.gz"), "--probabilities", j("probs.nii.gz"))
    run("gmm", "-q", "-i", j("grey.png"), "-k", "3", "-o", j("made/gmm2d.png"), "--probabilities", j("probs2d.nii.gz"))
    run("knn", "train", "-q", "-i", j("grey.png"), "-l", j("labels2d.png"), "-m", j("knn.json"))
    shutil.rmtree(j("made"))
    model = open(j("knn.json")).read()
    for name, old, new in [("knn-classes1.json", '"classes":3', '"classes":1'),
                           ("knn-version99.json", '"version":3', '"version":99'),
                           ("knn-scale0.json", '"scale":[', '"scale":[0.0],"was":['),
                           ("knn-k0.json", '"k":5', '"k":0'),
                           ("knn-labels-array.json", '"labels":"', '"labels":[-1],"was":"'),
                           ("knn-labels-not-base64.json", '"labels":"', '"labels":"!!!!'),
                           ("knn-sample-text.json", '"samples":"', '"samples":"a'),
                           ("knn-other-model.json", '"model":"tessera-knn"', '"model":"something-else"')]:
        assert old in model, (old, model[:400])
        open(j(name), "w").write(model.replace(old, new))
    open(j("knn-truncated.json"), "w").write(model[: len(model) // 2])
    open(j("knn-text.json"), "w").write("hello: [\n")
    open(j("knn-opencv.yml"), "w").write("%YAML:1.0\n---\nmodel: tessera-knn\nversion: 1\n")

    # Lists, transforms, pipelines, configs, mappings.
    open(j("atlases.csv"), "w").write(f"{j('t1.nii.gz')},{j('labels3d.nii.gz')}\n{j('t1.nii.gz')},{j('labels3d.nii.gz')}\n")
    open(j("atlases-missing.csv"), "w").write(f"{j('t1.nii.gz')},{j('labels3d.nii.gz')}\n{j('absent.nii.gz')},{j('labels3d.nii.gz')}\n")
    open(j("atlases-grid.csv"), "w").write(f"{j('t1.nii.gz')},{j('mask8.nii.gz')}\n{j('t1.nii.gz')},{j('labels3d.nii.gz')}\n")
    open(j("atlases-empty.csv"), "w").close()
    open(j("atlases-one.csv"), "w").write(f"{j('t1.nii.gz')},{j('labels3d.nii.gz')}\n")
    open(j("translation.tfm"), "w").write(
        "#Insight Transform File V1.0\n#Transform 0\nTransform: TranslationTransform_double_3_3\n"
        "Parameters: 1 0 0\nFixedParameters: \n")
    open(j("garbage.tfm"), "w").write("#Insight Transform File V1.0\n#Transform 0\nTransform: NoSuchTransform\n")
    open(j("translation2d.tfm"), "w").write(
        "#Insight Transform File V1.0\n#Transform 0\nTransform: TranslationTransform_double_2_2\n"
        "Parameters: 1 0\nFixedParameters: \n")
    steps = [{"name": "k", "stage": "kmeans", "inputs": {"input": "$input"},
              "parameters": {"classes": 3}, "outputs": {"output": "$output"}}]
    json.dump({"steps": steps}, open(j("pipeline.json"), "w"))
    for name, change in [("pipeline-unknown-stage.json", lambda s: s[0].update(stage="no-such-stage")),
                         ("pipeline-unknown-parameter.json", lambda s: s[0]["parameters"].update(colours=3)),
                         ("pipeline-bad-value.json", lambda s: s[0]["parameters"].update(classes=0)),
                         ("pipeline-bad-reference.json", lambda s: s[0]["inputs"].update(input="nothing.output")),
                         ("pipeline-unknown-key.json", lambda s: s[0].update(colour="red"))]:
        s = json.loads(json.dumps(steps))
        change(s)
        json.dump({"steps": s}, open(j(name), "w"))
    json.dump({"steps": []}, open(j("pipeline-empty.json"), "w"))
    json.dump({"mapping": {"1": 10, "2": 20, "3": 30}}, open(j("mapping.json"), "w"))
    json.dump({"mapping": {"1": 70000}}, open(j("mapping-70000.json"), "w"))
    json.dump({"mapping": {"one": 1}}, open(j("mapping-text.json"), "w"))
    config = {"data": {"train": {"images": [j("grey.png")], "labels": [j("labels2d.png")]},
                       "remap": {"1": 0, "2": 1, "3": 2}},
              "network": {"base_width": 4, "depth": 2}, "crop_size": [32, 32], "batch_size": 1,
              "epochs": 1, "steps_per_epoch": 1}
    json.dump(config, open(j("train.json"), "w"))
    for name, change in [("train-unknown-key.json", lambda c: c.update(epochz=1)),
                         ("train-epochs0.json", lambda c: c.update(epochs=0)),
                         ("train-crop65536.json", lambda c: c.update(crop_size=[65536, 65536])),
                         ("train-missing-image.json", lambda c: c["data"]["train"].update(images=[j("absent.png")])),
                         ("train-count-mismatch.json", lambda c: c["data"]["train"].update(labels=[])),
                         ("train-threads.json", lambda c: c.update(threads=100000)),
                         ("train-bad-loss.json", lambda c: c.update(loss="no_such_loss")),
                         ("train-negative-lr.json", lambda c: c.update(learning_rate=-1)),
                         ("train-nan-lr.json", lambda c: c.update(learning_rate="nan"))]:
        c = json.loads(json.dumps(config))
        change(c)
        json.dump(c, open(j(name), "w"))
    open(j("train-malformed.json"), "w").write('{"data": ')
    os.mkdir(j("trainrun"))
    shutil.copy(j("train.json"), j("trainrun/config.json"))
    os.mkdir(j("made"))
    run("train", "-q", "--config", j("train.json"), "-o", j("made/run"))
    shutil.copy(j("made/run/best.pt"), j("tiny.pt"))
    shutil.rmtree(j("made"))
    open(j("model.pt"), "w").write("not a model\n")


def snapshot(folder):
    state = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = os.path.join(root, name)
            st = os.lstat(path)
            state[os.path.relpath(path, folder)] = (st.st_size, st.st_mtime_ns)
    return state


OPTION = re.compile(r"^\s+(?:-\w,)?--([\w-]+) (INT|FLOAT|CHOICE)\S*(?: \.\.\.)*\s+(.*)$")
RANGE = re.compile(r"in ([\[(])([^,\]]+), ([^\])]+)([\])])")


def option_cases(executable, application, base, line):
    """Out-of-range, NaN, non-numeric and unknown-choice values for every numeric or choice option
    that `tessera APPLICATION --help` lists, each added to BASE (a valid command)."""
    cases = []
    help_text = subprocess.run([executable] + application.split() + ["--help"], capture_output=True, text=True).stdout
    for match in filter(None, map(OPTION.match, help_text.splitlines())):
        option, kind, description = match.groups()
        values = {}
        if kind == "CHOICE":
            values["unknown"] = "no-such-choice"
        else:
            values["text"] = "abc"
            if kind == "FLOAT":
                values["nan"] = "nan"
            bounds = RANGE.search(description)
            if bounds:
                opening, low, high, closing = bounds.groups()
                low, high = float(low), float(high)
                step = 1 if kind == "INT" else max(abs(high - low), 1.0)
                below = low - step if opening == "[" else low
                above = high + step if closing == "]" else high
                fmt = (lambda v: str(int(v))) if kind == "INT" else repr
                values["below"] = fmt(below)
                if above < 1e15:
                    values["above"] = fmt(above)
        for what, value in values.items():
            cases.append({"name": f"option-{application.replace(' ', '-')}-{option}-{what}", "subject": f"--{option}",
                          "problem": "-", "arguments": f"{base} --{option}={value}", "line": line})
    return cases


def read_cases(path, executable):
    """Cases: `name | subject | problem | arguments`, one per line; # starts a comment.
    `@options application | arguments` adds the generated option cases of that application."""
    cases = []
    for number, line in enumerate(open(path), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("@options "):
            application, base = (p.strip() for p in line[len("@options "):].split("|", 1))
            cases += option_cases(executable, application, base, number)
            continue
        parts = [p.strip() for p in line.split("|", 3)]
        if len(parts) != 4:
            sys.exit(f"{path}:{number}: expected `name | subject | problem | arguments`")
        cases.append(dict(zip(("name", "subject", "problem", "arguments"), parts), line=number))
    names = [c["name"] for c in cases]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        sys.exit(f"{path}: duplicate case names {sorted(duplicates)}")
    return cases


def check(executable, case, fx, scratch):
    """Runs one case; returns a list of failures (empty when the case is refused as promised)."""
    out = os.path.join(scratch, case["name"])
    os.mkdir(out)
    arguments = [a.replace("{fx}", fx).replace("{out}", out) for a in shlex.split(case["arguments"])]
    try:
        r = subprocess.run([executable] + arguments, capture_output=True, text=True, timeout=TIME_LIMIT_S,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return [f"still running after {TIME_LIMIT_S} s"]
    failures = []
    if r.returncode != 1:
        failures.append(f"exit status {r.returncode}, not 1")
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    errors = [l for l in lines if "error" in l.lower()]
    if len(errors) != 1:
        failures.append(f"{len(errors)} error lines")
    last = lines[-1] if lines else ""
    # The launcher's own errors (an unknown application) start `tessera: error: `, or
    # `tessera knn: error: ` for an unknown member of a group.
    group = arguments[0] in ("knn", "atlas", "corrective-learning")
    if case["name"].startswith("launcher-"):
        application = arguments[0] if group else ""
    else:
        application = " ".join(a for a in arguments[:2] if not a.startswith("-")) if group else arguments[0]
    prefix = " ".join(filter(None, ["tessera", application])) + ": error: "
    if not last.startswith(prefix):
        failures.append(f"last line is not `{prefix}...`")
    if case["subject"] not in last:
        failures.append(f"error line does not name `{case['subject']}`")
    if case["problem"] != "-" and case["problem"].lower() not in last.lower():
        failures.append(f"error line does not say `{case['problem']}`")
    left = sorted(os.listdir(out))
    if left:
        failures.append(f"left behind: {left}")
    if failures:
        failures.append("stderr: " + r.stderr.strip()[-600:])
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tessera")
    parser.add_argument("cases")
    parser.add_argument("--keep", help="make the fixtures here and keep them")
    parser.add_argument("--only", help="run only the cases whose name contains this")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    args.tessera = os.path.abspath(args.tessera)

    cases = [c for c in read_cases(args.cases, args.tessera) if not args.only or args.only in c["name"]]
    work = args.keep or tempfile.mkdtemp(prefix="tessera-bad-input-")
    fx, scratch = os.path.join(work, "fixtures"), os.path.join(work, "outputs")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(fx)
    os.makedirs(scratch)
    make_fixtures(args.tessera, fx)
    before = snapshot(fx)

    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda c: (c, check(args.tessera, c, fx, scratch)), cases))
    failed = [(c, f) for c, f in results if f]
    for case, failures in failed:
        print(f"FAIL {case['name']} (line {case['line']}): {case['arguments']}")
        for f in failures:
            print(f"     {f}")
    after = snapshot(fx)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    if changed:
        print(f"FAIL fixtures changed (an input was overwritten or a file left beside it): {changed}")
    applications = sorted({c["arguments"].split()[0] for c in cases})
    print(f"{len(cases) - len(failed)} of {len(cases)} bad inputs refused as promised "
          f"({len(applications)} applications: {', '.join(applications)})")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failed or changed else 0)


if __name__ == "__main__":
    main()
