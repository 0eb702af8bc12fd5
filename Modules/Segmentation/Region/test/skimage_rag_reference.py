#!/usr/bin/python3
"""scikit-image reference for tesseraRegionMergerTest (SkimageEquivalence).

Usage: skimage_rag_reference.py IMAGE OUTDIR N_SEGMENTS THRESHOLD [THRESHOLD ...]

Writes into OUTDIR, for the RGB image IMAGE:
  labels.png            SLIC labels (uint16, from 1; fixed parameters) used as the input of both sides
  edges.csv             the edges of rag_mean_color(connectivity=2), "a,b" with a < b
  hierarchical_T.png    merge_hierarchical(thresh=T, in_place_merge=True) with mean-colour
                        merge/weight functions (the scikit-image gallery's), one per threshold
  cut_T.png             cut_threshold(thresh=T) on rag_mean_color, one per threshold
Output labels are scikit-image's own numbering (uint16); only the partition is compared.
"""
import os
import sys

import numpy as np
from skimage import io, segmentation
from skimage.future import graph


def _weight_mean_color(g, src, dst, n):
    diff = g.nodes[dst]['mean color'] - g.nodes[n]['mean color']
    return {'weight': np.linalg.norm(diff)}


def merge_mean_color(g, src, dst):
    g.nodes[dst]['total color'] += g.nodes[src]['total color']
    g.nodes[dst]['pixel count'] += g.nodes[src]['pixel count']
    g.nodes[dst]['mean color'] = g.nodes[dst]['total color'] / g.nodes[dst]['pixel count']


def save(path, labels):
    io.imsave(path, labels.astype(np.uint16), check_contrast=False)


def main():
    image_path, out, n_segments = sys.argv[1], sys.argv[2], int(sys.argv[3])
    thresholds = [float(t) for t in sys.argv[4:]]
    os.makedirs(out, exist_ok=True)
    image = io.imread(image_path)[..., :3]
    labels = segmentation.slic(image, n_segments=n_segments, compactness=10, start_label=1)
    save(os.path.join(out, 'labels.png'), labels)
    rag = graph.rag_mean_color(image, labels)  # connectivity=2, mode='distance'
    with open(os.path.join(out, 'edges.csv'), 'w') as f:
        for a, b in sorted((min(a, b), max(a, b)) for a, b in rag.edges()):
            f.write(f'{a},{b}\n')
    for t in thresholds:
        save(os.path.join(out, f'cut_{t:g}.png'), graph.cut_threshold(labels, rag, t, in_place=False))
        # A fresh RAG each time: RAG.copy() shares the nodes' 'total color' arrays, which
        # merge_mean_color updates in place, so a copied RAG would corrupt the next run.
        fresh = graph.rag_mean_color(image, labels)
        merged = graph.merge_hierarchical(labels, fresh, thresh=t, rag_copy=False, in_place_merge=True,
                                          merge_func=merge_mean_color, weight_func=_weight_mean_color)
        save(os.path.join(out, f'hierarchical_{t:g}.png'), merged)


if __name__ == '__main__':
    main()
