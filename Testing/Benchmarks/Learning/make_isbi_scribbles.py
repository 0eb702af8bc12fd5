#!/usr/bin/python3
"""Simulated scribbles for ISBI 2012 membrane labels: thin strokes on both classes, as an annotator would draw them.

Cells (255): the medial line (skeleton) of each cell eroded by 2 pixels, one stroke per cell large enough to hold one.
Membranes (0): pieces of the membranes' skeleton (cut at junctions), a random third of them.
Every other pixel gets 128 (unlabelled: the training config lists it in ignore_values). Strokes are 1 pixel wide;
strokes are thinned at random until they cover at most --budget of the pixels.

Usage: make_isbi_scribbles.py LABEL.png... --out FOLDER [--budget 0.03] [--seed 1]
Writes FOLDER/<name>.png per label and prints the labelled fraction of each.
"""
import argparse
import os

import numpy as np
from PIL import Image
from scipy import ndimage
from skimage.morphology import skeletonize


def pieces(skeleton):
    """Connected pieces of a skeleton with its junctions (pixels of 3+ skeleton neighbours) removed."""
    neighbours = ndimage.convolve(skeleton.astype(int), np.ones((3, 3), int), mode="constant") - 1
    cut = skeleton & ~(neighbours >= 3)
    return ndimage.label(cut, structure=np.ones((3, 3)))


def scribbles(label, budget, rng):
    cells = label == 255
    membranes = label == 0
    strokes = []  # (class value, mask)
    inner = ndimage.binary_erosion(cells, iterations=2)
    components, n = ndimage.label(inner)
    for k in range(1, n + 1):
        line = skeletonize(components == k)
        if line.sum() >= 5:
            strokes.append((255, line))
    segments, m = pieces(skeletonize(membranes))
    for k in rng.permutation(np.arange(1, m + 1))[: m // 3]:
        piece = segments == k
        if piece.sum() >= 5:
            strokes.append((0, piece))
    order = rng.permutation(len(strokes))
    out = np.full(label.shape, 128, np.uint8)
    limit = budget * label.size
    used = 0
    for i in order:
        value, mask = strokes[i]
        if used + mask.sum() > limit:
            continue
        out[mask] = value
        used += mask.sum()
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("labels", nargs="+")
    p.add_argument("--out", required=True)
    p.add_argument("--budget", type=float, default=0.03, help="largest fraction of pixels labelled (default 0.03)")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = np.random.default_rng(a.seed)
    for path in a.labels:
        label = np.array(Image.open(path))
        out = scribbles(label, a.budget, rng)
        Image.fromarray(out).save(os.path.join(a.out, os.path.basename(path)))
        labelled = out != 128
        print(f"{os.path.basename(path)}: {labelled.mean():.4f} labelled, {np.mean(out == 0) / max(labelled.mean(), 1e-9):.2f} of it membrane, "
              f"all correct: {bool(np.all(out[labelled] == label[labelled]))}")


if __name__ == "__main__":
    main()
