#!/usr/bin/python3
"""scikit-image peer of tesseraRegionGraphBenchmark: rag_mean_color + merge_hierarchical
(mean-colour merge/weight functions of the scikit-image gallery), timed without file IO.

Usage: region_graph_skimage.py IMAGE LABELS THRESHOLD CONNECTIVITY [OUTPUT.npy]
IMAGE/LABELS: PNG or NIfTI (.nii/.nii.gz). Prints "regions <n> edges <e> merged <m> build_s <t> merge_s <t> total_s <t>".
"""
import sys
import time

import numpy as np
from skimage import io
from skimage.future import graph


def load(path):
    if path.endswith('.nii') or path.endswith('.nii.gz'):
        import nibabel
        # NIfTI is x-fastest; numpy arrays of it index [x, y, z]: the same voxels, any order works
        return np.asanyarray(nibabel.load(path).dataobj)
    return io.imread(path)


def _weight_mean_color(g, src, dst, n):
    diff = g.nodes[dst]['mean color'] - g.nodes[n]['mean color']
    return {'weight': np.linalg.norm(diff)}


def merge_mean_color(g, src, dst):
    g.nodes[dst]['total color'] += g.nodes[src]['total color']
    g.nodes[dst]['pixel count'] += g.nodes[src]['pixel count']
    g.nodes[dst]['mean color'] = g.nodes[dst]['total color'] / g.nodes[dst]['pixel count']


def main():
    image, labels = load(sys.argv[1]), load(sys.argv[2]).astype(np.int64)
    thresh, connectivity = float(sys.argv[3]), int(sys.argv[4])
    if image.ndim == labels.ndim:
        image = image[..., None]  # one channel
    image = image[..., :3].astype(np.float64)
    if image.shape[-1] == 1:
        # rag_mean_color sums every pixel into a 3-vector ('total color' starts as [0, 0, 0]), so a
        # grey value is broadcast to 3 channels and its distances are sqrt(3) times the grey
        # difference: scale the threshold alike to make the same merges as Tessera's.
        thresh *= np.sqrt(3.0)
    t0 = time.perf_counter()
    rag = graph.rag_mean_color(image, labels, connectivity=connectivity)
    t1 = time.perf_counter()
    regions, edges = rag.number_of_nodes(), rag.number_of_edges()
    merged = graph.merge_hierarchical(labels, rag, thresh=thresh, rag_copy=False, in_place_merge=True,
                                      merge_func=merge_mean_color, weight_func=_weight_mean_color)
    t2 = time.perf_counter()
    print(f'regions {regions} edges {edges} merged {len(np.unique(merged))} '
          f'build_s {t1 - t0:.6f} merge_s {t2 - t1:.6f} total_s {t2 - t0:.6f}', flush=True)
    if len(sys.argv) > 5:
        np.save(sys.argv[5], merged)


if __name__ == '__main__':
    main()
