#!/usr/bin/python3
"""scikit-learn's k-means on the in-mask voxels of a volume: the peer row of the Tessera
segmentation benchmark (run-segmentation-benchmark.sh joins it with tesseraSegmentationBenchmark).

Run with /usr/bin/python3 (Debian python3-sklearn, python3-nibabel). Times (wall clock, best of
--repeats) sklearn.cluster.KMeans(n_clusters=K, n_init=R, init='k-means++', algorithm='lloyd',
random_state=0).fit(X) with X the in-mask intensities as a float64 column (scl_slope/inter applied,
as ITK reads them), and prints CSV rows
    subject,group,method,threads,seconds,value,iterations,note
with value = inertia_. Loading the volume is not timed. The thread count is sklearn's own
(_openmp_effective_n_threads(), which honours OMP_NUM_THREADS).

With --weighted, a second row fits the same KMeans on the distinct intensities weighted by their
voxel counts (sample_weight; np.unique included in the time): the same reduction our
KMeansImageFilter makes, to separate algorithm from implementation.

With --histogram (integer images only), a row times the whole of what our filter does, from the
volume as stored (int16) and the mask to a label volume: gather the in-mask voxels, np.bincount
them, fit on the occupied bins with sample_weight, and label the voxels through a lookup table
(classes numbered 1..K by increasing centroid, 0 outside the mask). With --warmup, each timed
variant is first run once untimed (thread pool start, first-touch page faults).
"""
import argparse
import os
import sys
import time

import nibabel
import numpy as np
import sklearn
from sklearn.cluster import KMeans
from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

DATA = "/work/shared/data/miccai2012-multiatlas"


def best_of(repeats, f):
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = f()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--image", default=f"{DATA}/1000_SS.nii.gz")
    p.add_argument("--mask", default=f"{DATA}/1000_mask.nii.gz")
    p.add_argument("--subject", default=None, help="name in the CSV (default: image file name stem)")
    p.add_argument("--classes", type=int, default=3)
    p.add_argument("--restarts", type=int, default=3, help="n_init")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--label", default="", help="appended to the method name (e.g. the thread setting)")
    p.add_argument("--weighted", action="store_true", help="also fit the weighted distinct intensities")
    p.add_argument("--histogram", action="store_true",
                   help="also time histogram + weighted fit + lookup labelling from the stored volume and mask")
    p.add_argument("--warmup", action="store_true", help="run each variant once untimed first")
    p.add_argument("--header", action="store_true", help="print the CSV header first")
    a = p.parse_args()
    subject = a.subject or os.path.basename(a.image).split(".")[0]

    stored = nibabel.load(a.image)
    image = stored.get_fdata(dtype=np.float64)
    mask = nibabel.load(a.mask).get_fdata(dtype=np.float64) > 0
    if image.shape != mask.shape:
        sys.exit(f"{a.mask}: shape {mask.shape} differs from {a.image}'s {image.shape}")
    x = image[mask].reshape(-1, 1)  # float64 column
    threads = _openmp_effective_n_threads()
    omp = os.environ.get("OMP_NUM_THREADS", "unset")
    print(f"{subject}: {x.shape[0]} in-mask voxels; sklearn {sklearn.__version__}, {threads} OpenMP threads "
          f"(OMP_NUM_THREADS={omp})", file=sys.stderr)

    def make():
        return KMeans(n_clusters=a.classes, n_init=a.restarts, init="k-means++", algorithm="lloyd", random_state=0)

    rows = []
    if a.warmup:
        make().fit(x)
    seconds, km = best_of(a.repeats, lambda: make().fit(x))
    means = " ".join(f"{c:.6g}" for c in np.sort(km.cluster_centers_.ravel()))
    label = f", {a.label}" if a.label else ""
    rows.append(("kmeans", f"scikit-learn KMeans (k-means++, n_init={a.restarts}, lloyd{label})", str(threads),
                 seconds, km.inertia_, km.n_iter_,
                 f"means {means}; tol=1e-4 (default); OMP_NUM_THREADS={omp}"))

    if a.weighted:
        def weighted():
            v, n = np.unique(x[:, 0], return_counts=True)
            return make().fit(v.reshape(-1, 1), sample_weight=n.astype(np.float64))

        if a.warmup:
            weighted()
        seconds, kw = best_of(a.repeats, weighted)
        # inertia_ of a weighted fit is the weighted sum, i.e. the voxel inertia
        means = " ".join(f"{c:.6g}" for c in np.sort(kw.cluster_centers_.ravel()))
        rows.append(("kmeans", f"scikit-learn KMeans on weighted distinct values (sample_weight{label})",
                     str(threads), seconds, kw.inertia_, kw.n_iter_,
                     f"means {means}; np.unique included; not the peer row: our reduction given to sklearn"))

    if a.histogram:
        volume = np.asanyarray(stored.dataobj)  # as stored: scl_slope 1 and inter 0 for these files
        if not np.issubdtype(volume.dtype, np.integer) or stored.dataobj.slope != 1 or stored.dataobj.inter != 0:
            sys.exit(f"{a.image}: --histogram needs an integer volume without scaling")

        def histogram():
            v = volume[mask]
            low = v.min()
            v = (v - low).astype(np.intp)
            counts = np.bincount(v)
            values = np.flatnonzero(counts)
            kh = make().fit((values + float(low)).reshape(-1, 1), sample_weight=counts[values].astype(np.float64))
            rank = np.empty(a.classes, np.uint16)
            rank[np.argsort(kh.cluster_centers_.ravel())] = np.arange(1, a.classes + 1, dtype=np.uint16)
            lut = np.zeros(counts.size, np.uint16)
            lut[values] = rank[kh.labels_]
            labels = np.zeros(volume.shape, np.uint16)
            labels[mask] = lut[v]
            return kh, labels

        if a.warmup:
            histogram()
        seconds, (kh, labels) = best_of(a.repeats, histogram)
        means = np.sort(kh.cluster_centers_.ravel())
        inertia = float(((x[:, 0] - means[labels[mask].astype(np.intp) - 1]) ** 2).sum())
        rows.append(("kmeans", f"scikit-learn KMeans on the histogram (bincount, sample_weight, lookup{label})",
                     str(threads), seconds, inertia, kh.n_iter_,
                     "means " + " ".join(f"{c:.6g}" for c in means) +
                     "; from the int16 volume and mask to the label volume, all timed; inertia recomputed from the labels"))

    if a.header:
        print("subject,group,method,threads,seconds,value,iterations,note")
    for group, method, th, s, value, it, note in rows:
        print(f'{subject},{group},"{method}","{th}",{s:.6g},{value:.12g},{it},"{note}"')


if __name__ == "__main__":
    main()
