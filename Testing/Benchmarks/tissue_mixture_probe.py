#!/usr/bin/python3
"""What intensity mixtures alone find on MICCAI 2012 subjects, with scikit-learn's GaussianMixture inside the brain
mask, scored as run-tissue-models.sh scores (Dice against the manual GM and WM): 3 classes read as CSF | GM | WM (the
fit `segment` converges to without priors), and 5 classes read as CSF | CSF/GM + GM | GM/WM + WM, a crude
partial-volume reading in which the mixed classes count the way the raters count them.
Usage: tissue_mixture_probe.py [subject ...]   (default 1000 1009 1015)"""
import sys
from pathlib import Path

import nibabel as nib
import numpy as np
from sklearn.mixture import GaussianMixture

data = Path(__file__).resolve().parents[2].parent / "shared/data/miccai2012-multiatlas"


def dice(a, b):
    return 2 * (a & b).sum() / (a.sum() + b.sum())


for subject in sys.argv[1:] or ["1000", "1009", "1015"]:
    mask = np.asarray(nib.load(data / f"{subject}_mask.nii.gz").dataobj) > 0
    t1 = np.asarray(nib.load(data / f"{subject}_SS.nii.gz").dataobj).astype(float)[mask].reshape(-1, 1)
    classes = np.asarray(nib.load(data / f"{subject}_classified.nii.gz").dataobj)[mask]
    for k, gm in ((3, (1,)), (5, (1, 2))):
        fit = GaussianMixture(k, random_state=0, tol=1e-6, max_iter=1000).fit(t1)
        order = np.argsort(fit.means_.ravel())
        label = np.argsort(order)[fit.predict(t1)]  # classes by increasing mean
        g, w = np.isin(label, gm), label > max(gm)
        print(f"{subject}, {k} classes (means {np.round(fit.means_.ravel()[order]).astype(int).tolist()}): "
              f"GM Dice {dice(g, classes == 2):.3f}, WM Dice {dice(w, classes == 3):.3f}")
