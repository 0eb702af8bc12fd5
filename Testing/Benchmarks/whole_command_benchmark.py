#!/usr/bin/python3
"""Whole-command timings as a user sees them: `tessera` applications against peers that do the
same work from the same files (scikit-learn, scikit-image, elastix, and OTB and MIA when Debian's
otb-bin and mia-tools are installed), and each application at --threads 1 against --threads 2.

Every contest runs its contenders interleaved, round after round (`--repeats` rounds, default 5),
so that a change of machine load hits all of them alike; each run is a fresh process whose wall
time (perf_counter from start to exit, GNU time's exec included) and peak resident memory (GNU
time's %M) are recorded, with the 1-minute load average before and after the contest. Writes a Markdown page
and a CSV (one row per run).

  /usr/bin/python3 Testing/Benchmarks/whole_command_benchmark.py --tessera build/Applications/tessera \
      --data ../shared/data --output Documentation/Benchmarks/WholeCommand.md

Run with Debian's /usr/bin/python3 (python3-sklearn, python3-skimage, python3-nibabel).
"""
import argparse
import csv
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from PIL import Image

PY = "/usr/bin/python3"

# Peers: each reads the same input files and writes its result, as the tessera command does.
KMEANS_PEER = """
import sys, nibabel, numpy as np
from sklearn.cluster import KMeans
t1, mask, out = sys.argv[1:4]
img = nibabel.load(t1); x = np.asanyarray(img.dataobj).astype(np.float64)
m = np.asanyarray(nibabel.load(mask).dataobj) > 0
km = KMeans(n_clusters=3, n_init=3, init='k-means++', random_state=0).fit(x[m].reshape(-1, 1))
order = np.argsort(np.argsort(km.cluster_centers_[:, 0]))
labels = np.zeros(x.shape, np.uint16); labels[m] = order[km.labels_] + 1
nibabel.save(nibabel.Nifti1Image(labels, img.affine), out)
"""
SLIC_PEER = """
import sys, numpy as np, skimage.io, skimage.segmentation
image, out = sys.argv[1:3]
labels = skimage.segmentation.slic(skimage.io.imread(image), n_segments=1000, compactness=10, start_label=1)
skimage.io.imsave(out, labels.astype(np.uint16), check_contrast=False)
"""
WATERSHED_PEER = """
import sys, numpy as np, skimage.io, skimage.segmentation, scipy.ndimage as ndi
image, markers, out = sys.argv[1:4]
relief = ndi.gaussian_gradient_magnitude(skimage.io.imread(image).astype(np.float32), sigma=1)
labels = skimage.segmentation.watershed(relief, skimage.io.imread(markers))
skimage.io.imsave(out, labels.astype(np.uint16), check_contrast=False)
"""
RAG_PEER = """
import sys, numpy as np, skimage.io, skimage.segmentation
image, out, here = sys.argv[1:4]
sys.path.insert(0, here)
from region_graph_skimage import graph, merge_mean_color, _weight_mean_color
img = skimage.io.imread(image)
regions = skimage.segmentation.slic(img, n_segments=2000, compactness=10, start_label=1)
labels = graph.merge_hierarchical(regions, graph.rag_mean_color(img, regions), thresh=25, rag_copy=False,
                                  in_place_merge=True, merge_func=merge_mean_color, weight_func=_weight_mean_color)
skimage.io.imsave(out, (labels + 1).astype(np.uint16), check_contrast=False)
"""
FRESH = ["/bin/sh", "-c", 'rm -f "$0" && exec "$@"']
INFO_PEER = """
import sys, skimage.io
image = skimage.io.imread(sys.argv[1])
print(image.shape, image.dtype, image.min(), image.max(), image.mean())
"""


def run_once(command, env, scratch, exit_codes=(0,)):
    """Wall seconds (perf_counter around the run) and peak resident MiB of one run. The peak comes
    from GNU time, which execs the command from its own small process: a child forked from this
    Python would carry Python's resident pages into its peak (Linux folds them in at exec)."""
    report = os.path.join(scratch, "peak.txt")
    start = time.perf_counter()
    process = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", report, *command], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, env=env)
    seconds = time.perf_counter() - start
    if process.returncode not in exit_codes:
        sys.exit(f"{' '.join(command)} failed ({process.returncode}): {process.stderr.decode(errors='replace').strip()}")
    with open(report) as f:
        kib = float(f.read().split()[-1])
    return seconds, kib / 1024.0


def load_average():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def prepare(data, scratch):
    """The inputs: a 64² PNG, a 1 Mpx grey aerial crop with a grid of markers, an aerial tile."""
    files = {}
    small = np.add.outer(np.arange(64), np.arange(64)).astype(np.uint8) * 2
    files["png64"] = os.path.join(scratch, "small-64.png")
    Image.fromarray(small).save(files["png64"])
    scene = Image.open(os.path.join(data, "dubai-aerial/tile5/images/image_part_001.jpg"))
    grey = np.ascontiguousarray(np.asarray(scene.convert("L"))[:1024, :1024])
    files["grey"] = os.path.join(scratch, "aerial-1024.png")
    Image.fromarray(grey).save(files["grey"])
    markers = np.zeros(grey.shape, np.uint16)
    step = 32  # one marker every 32 px: 1024 markers
    for k, (r, c) in enumerate((r, c) for r in range(step // 2, 1024, step) for c in range(step // 2, 1024, step)):
        markers[r, c] = k + 1
    files["markers"] = os.path.join(scratch, "markers-1024.png")
    Image.fromarray(markers).save(files["markers"])
    files["aerial"] = os.path.join(data, "dubai-aerial/tile1/images/image_part_001.jpg")
    files["astronaut"] = "/usr/lib/python3/dist-packages/skimage/data/astronaut.png"
    files["t1"] = os.path.join(data, "miccai2012-multiatlas/1000_SS.nii.gz")
    files["mask"] = os.path.join(data, "miccai2012-multiatlas/1000_mask.nii.gz")
    return files


def contests(tessera, f, out):
    """(name, what is compared, [(contender, command)]): tessera first, at 1 and 2 threads."""
    def ours(name, *args):
        return [(f"tessera {name} --threads {t}", [tessera, name, *args, "--threads", str(t), "-q"]) for t in (1, 2)]

    def peer(label, script, *args):
        return (label, [PY, "-c", script, *args])

    def installed(*contenders):
        """Peers from Debian packages that may be absent (otb-bin, mia-tools): only those installed."""
        return [c for c in contenders if shutil.which(c[1][len(FRESH) + 1] if c[1][:len(FRESH)] == FRESH else c[1][0])]

    def fresh(output, *command):
        """A command that will not overwrite (MIA's NIfTI writer), exec'd by a shell that removes its last output."""
        return [*FRESH, output, *command]

    o = lambda name: os.path.join(out, name)  # noqa: E731
    return [
        ("start-up: --help", "the launcher's help (OTB's applications exit 1 after their help)", [
            ("tessera --help", [tessera, "--help"]),
            ("elastix --help", ["elastix", "--help"]),
        ] + installed(("OTB otbcli_ReadImageInfo -help", ["otbcli_ReadImageInfo", "-help"], (1,)),
                      ("MIA mia-2dimagestats --help", ["mia-2dimagestats", "--help"]))),
        ("start-up: info on a 64² PNG", "header, size and intensity statistics of a 64 × 64 PNG", [
            ("tessera info", [tessera, "info", f["png64"]]),
            peer("scikit-image imread + statistics", INFO_PEER, f["png64"]),
        ] + installed(("OTB otbcli_ReadImageInfo", ["otbcli_ReadImageInfo", "-in", f["png64"]]),
                      ("MIA mia-2dimagestats", ["mia-2dimagestats", "-i", f["png64"]]))),
        ("kmeans", "3 classes (3 k-means++ starts) in the mask of a MICCAI T1 (1000_SS, 162×214×167), NIfTI in and "
         "out; MIA's k-means filter has no mask and runs on the whole skull-stripped volume with a fourth class for "
         "the background",
         ours("kmeans", "-i", f["t1"], "--mask", f["mask"], "--classes", "3", "-o", o("kmeans.nii.gz"))
         + [peer("scikit-learn KMeans", KMEANS_PEER, f["t1"], f["mask"], o("kmeans-peer.nii.gz"))]
         + installed(("MIA mia-3dimagefilter kmeans:c=4",
                      fresh(o("kmeans-mia.nii.gz"), "mia-3dimagefilter", "-i", f["t1"], "-o", o("kmeans-mia.nii.gz"),
                            "kmeans:c=4")))),
        ("superpixels", "1000 SLIC superpixels of a 797×644 aerial RGB tile (compactness 10), PNG out",
         ours("superpixels", "-i", f["aerial"], "-n", "1000", "-o", o("slic.png"))
         + [peer("scikit-image slic", SLIC_PEER, f["aerial"], o("slic-peer.png"))]),
        ("watershed", "flooding from 1024 markers on the Gaussian gradient magnitude (σ = 1) of a 1024×1024 grey aerial crop (Dubai tile 5)",
         ours("watershed", "-i", f["grey"], "--markers", f["markers"], "--sigma", "1", "-o", o("ws.png"))
         + [peer("scikit-image watershed", WATERSHED_PEER, f["grey"], f["markers"], o("ws-peer.png"))]
         + installed(("MIA mia-2dimagefilter (Gaussian, half width 2; seeded watershed)",
                      ["mia-2dimagefilter", "-i", f["grey"], "-o", o("ws-mia.png"), "sepconv:kx=[gauss:w=2],ky=[gauss:w=2]",
                       f"sws:seed={f['markers']}"]))),
        ("rag-merge", "2000 SLIC superpixels of astronaut.png merged hierarchically by mean colour below 25",
         ours("rag-merge", "-i", f["astronaut"], "-n", "2000", "-t", "25", "-o", o("rag.png"))
         + [peer("scikit-image merge_hierarchical", RAG_PEER, f["astronaut"], o("rag-peer.png"),
                 os.path.dirname(os.path.abspath(__file__)))]),
        ("segment", "GMM + Potts (alpha-expansion) of a MICCAI T1 in its mask, 3 classes; MIA has no MRF "
         "segmentation: its nearest tool, fuzzy c-means with bias-field estimation (Ahmed et al. 2002; no mask, so 4 "
         "classes with the background), writes class probabilities",
         ours("segment", "-i", f["t1"], "--mask", f["mask"], "-o", o("segment.nii.gz"))
         + installed(("MIA mia-3dsegment-ahmed -n 4", ["mia-3dsegment-ahmed", "-i", f["t1"], "-n", "4", "-c",
                                                      o("segment-mia.v")]))),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tessera", required=True)
    parser.add_argument("--data", required=True, help="../shared/data")
    parser.add_argument("--output", required=True, help="Markdown page; the CSV goes beside it")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", help="run only the contests whose name starts with this")
    args = parser.parse_args()
    tessera = os.path.abspath(args.tessera)
    env = dict(os.environ)
    rows, sections = [], []
    with tempfile.TemporaryDirectory() as scratch:
        files = prepare(args.data, scratch)
        for name, what, contenders in contests(tessera, files, scratch):
            if args.only and not name.startswith(args.only):
                continue
            before = load_average()
            times = {c[0]: [] for c in contenders}
            memory = {c[0]: [] for c in contenders}
            for _ in range(args.repeats):
                for label, command, *exit_codes in contenders:
                    seconds, mib = run_once(command, env, scratch, *exit_codes)
                    times[label].append(seconds)
                    memory[label].append(mib)
                    rows.append({"contest": name, "contender": label, "seconds": f"{seconds:.4f}", "peak_mib": f"{mib:.1f}"})
            after = load_average()
            print(f"{name}: " + ", ".join(f"{l} {statistics.median(t):.3f} s" for l, t in times.items()), flush=True)
            sections.append((name, what, times, memory, before, after))
    write_page(args, sections, rows)


def write_page(args, sections, rows):
    base = os.path.splitext(args.output)[0]
    with open(base + ".csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["contest", "contender", "seconds", "peak_mib"])
        writer.writeheader()
        writer.writerows(rows)
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    lines = [
        "# Whole-command benchmark",
        "",
        "Each row is a fresh process from the command line to its exit, as a user or a workflow engine runs it:",
        "start-up, reading, the method and writing. Contenders of a contest run interleaved, round after round",
        f"({args.repeats} rounds); the figures are the median and [min–max] wall time and the median peak",
        "resident memory. *Ratio* is the contender's median over that of `tessera … --threads 2` (or the first",
        "row): above 1, Tessera is faster. *Speed-up* is Tessera's 1-thread median over its 2-thread median.",
        "",
        f"Machine: {os.cpu_count()} cores, {cpu}, {platform.platform()}.",
        "Reproduce: `Testing/Benchmarks/run-whole-command-benchmark.sh` (writes this page and"
        f" `{os.path.basename(base)}.csv`).",
        "",
    ]
    for name, what, times, memory, before, after in sections:
        labels = list(times)
        reference = next((l for l in labels if l.endswith("--threads 2")), labels[0])
        ref = statistics.median(times[reference])
        lines += [f"## {name}", "", f"{what}. Load average (1 min) {before:.2f} before, {after:.2f} after.", "",
                  "| contender | median (s) | min–max (s) | peak memory (MiB) | ratio |", "|---|---|---|---|---|"]
        for label in labels:
            t = times[label]
            lines.append(f"| {label} | {statistics.median(t):.3f} | {min(t):.3f}–{max(t):.3f} | "
                         f"{statistics.median(memory[label]):.0f} | {statistics.median(t) / ref:.2f} |")
        one = [l for l in labels if l.endswith("--threads 1")]
        if one:
            lines += ["", f"Speed-up at 2 threads: {statistics.median(times[one[0]]) / ref:.2f}×."]
        lines.append("")
    with open(args.output, "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()
