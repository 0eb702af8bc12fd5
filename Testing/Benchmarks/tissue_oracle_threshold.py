#!/usr/bin/python3
"""The best WM Dice any intensity threshold reaches on MICCAI 2012 subjects: the GM/WM threshold chosen on the
manual tissue classes themselves (an oracle), inside the brain mask. It bounds what an intensity model can score.
Usage: tissue_oracle_threshold.py [subject ...]   (default 1000 1001 1007)"""
import sys
from pathlib import Path

import nibabel as nib
import numpy as np

data = Path(__file__).resolve().parents[2].parent / "shared/data/miccai2012-multiatlas"
for subject in sys.argv[1:] or ["1000", "1001", "1007"]:
    classes = np.asarray(nib.load(data / f"{subject}_classified.nii.gz").dataobj)
    mask = np.asarray(nib.load(data / f"{subject}_mask.nii.gz").dataobj) > 0
    t1 = np.asarray(nib.load(data / f"{subject}_SS.nii.gz").dataobj).astype(float)
    wm = (classes == 3) & mask
    best = max((2 * ((t1 > th) & mask & wm).sum() / (((t1 > th) & mask).sum() + wm.sum()), th)
               for th in np.percentile(t1[mask], np.arange(20, 95, 0.25)))
    print(f"{subject}: oracle WM Dice {best[0]:.3f} at intensity {best[1]:.0f}")
