#!/usr/bin/python3
"""Peer for tesseraSuperpixelBenchmark: scikit-image's SLIC on the Dubai aerial tiles.

For every image <data>/tileN/images/image_part_00K.jpg, runs
skimage.segmentation.slic(image, n_segments, compactness=10, start_label=1) (defaults otherwise:
CIE Lab, sigma 0, 10 iterations, connectivity enforced), times the call alone (single thread),
and writes the labels as a 16-bit PNG <out>/tileN/image_part_00K.png plus one line of
<out>/times.csv: tile,image,seconds,segments. The C++ benchmark reads these and scores them with
the same metric code as ours.
"""
import argparse
import csv
import glob
import os
import time

import numpy as np
import skimage
from skimage import io
from skimage.segmentation import slic


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", required=True, help="dubai-aerial folder")
    parser.add_argument("--out", required=True, help="folder for the label PNGs and times.csv")
    parser.add_argument("--segments", type=int, default=1000)
    parser.add_argument("--compactness", type=float, default=10.0)
    parser.add_argument("--images-per-tile", type=int, default=0, help="0 = all")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "times.csv"), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["tile", "image", "seconds", "segments", "skimage"])
        for tile in sorted(d for d in os.listdir(args.data) if d.startswith("tile")):
            images = sorted(glob.glob(os.path.join(args.data, tile, "images", "*.jpg")))
            if args.images_per_tile:
                images = images[: args.images_per_tile]
            os.makedirs(os.path.join(args.out, tile), exist_ok=True)
            for path in images:
                image = io.imread(path)[..., :3]
                start = time.perf_counter()
                labels = slic(image, n_segments=args.segments, compactness=args.compactness, start_label=1)
                seconds = time.perf_counter() - start
                name = os.path.splitext(os.path.basename(path))[0]
                io.imsave(os.path.join(args.out, tile, name + ".png"), labels.astype(np.uint16), check_contrast=False)
                writer.writerow([tile, name, f"{seconds:.4f}", int(labels.max()), skimage.__version__])
                f.flush()
                print(f"{tile}/{name}: {int(labels.max())} segments in {seconds:.2f} s", flush=True)


if __name__ == "__main__":
    main()
