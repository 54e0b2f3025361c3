#!/usr/bin/python3
"""Independent NumPy + POT reference for the patch-wise transferability maps
(core/maps.Patches), after Tan, Li, Huang, "Transferability Estimation for
Semantic Segmentation Task" (their patch-wise maps).

Run with Debian's interpreter (python3-numpy, python3-pot):

    /usr/bin/python3 scripts/maps_reference.py          # rewrite the fixture and expected.json

It writes a small deterministic fixture to core/maps/testdata/patch/:
source_features.npy and target_features.npy (B, C, H, W) float32, and
source_labels.npy and target_labels.npy (B, H, W) uint8 (255 = ignored) at
the feature grid's size, then expected.json with the patch maps for each
stride.

Procedure (written from the paper's description, independently of the Go
code): patch (r, c) of stride s covers feature rows [r*s, min(r*s+s, H))
and columns [c*s, min(c*s+s, W)), ceil(H/s) x ceil(W/s) patches. Its source
points are the valid pixels (label != 255) of all source images in the
patch, its target points those of all target images. a = 1/n, b = 1/m,
C = ot.dist(xs, xt) (squared Euclidean, float64 from the float32 features),
pi = ot.emd(a, b, C), P(a, b) = sum of pi over the class pairs,
CE = -sum_{P>0} P(a, b) log(P(a, b) / P(a)), OTCE = -CE; NaN (null in JSON)
when a side is empty.

The other scores' patch maps (LogME, LEEP, NCE, H-score, GBC: the authors'
release maps LEEP and LogME beside OTCE) score the patch's target points
alone, with the formulas of scripts/metrics_reference.py (NumPy, written
from the papers): features as float64 from the float32 files (no
transform), LEEP on softmax(features), H-score with rcond 1e-15, GBC with
spherical Gaussians (the run's defaults). A patch with fewer than 2 target
points or fewer than 2 target classes has no score (null).
"""

import json
import os
import sys

import numpy as np
import ot

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import metrics_reference as mr  # noqa: E402  (the scores' NumPy formulas)

OUT = os.path.normpath(os.path.join(HERE, "..", "core", "maps", "testdata", "patch"))
STRIDES = [4, 3, 2]
METRICS = ["logme", "leep", "nce", "hscore", "gbc"]


def fixture():
    rng = np.random.default_rng(20231015)
    b, c, h, w = 3, 5, 10, 12
    centres = rng.normal(size=(4, c)) * 1.2

    def domain(shift, classes, noise):
        labels = rng.integers(0, classes, size=(b, h, w))
        # Blocky labels: a class per 2x3 cell, so that patches are mixed.
        labels = np.repeat(np.repeat(labels[:, ::2, ::3], 2, axis=1), 3, axis=2)[:, :h, :w]
        feats = centres[labels % 4] + shift + noise * rng.normal(size=(b, h, w, c))
        labels = labels.astype(np.uint8)
        labels[rng.random(size=(b, h, w)) < 0.15] = 255
        return feats.transpose(0, 3, 1, 2).astype(np.float32), labels

    xs, ys = domain(0.0, 4, 0.7)
    xt, yt = domain(0.3, 3, 0.9)
    return xs, ys, xt, yt


def ce_exact(xs, ys, xt, yt):
    n, m = len(ys), len(yt)
    a = np.full(n, 1.0 / n)
    b = np.full(m, 1.0 / m)
    cost = ot.dist(xs, xt)  # squared Euclidean
    pi = ot.emd(a, b, cost)
    sa, ta = np.unique(ys), np.unique(yt)
    joint = np.array([[pi[np.ix_(ys == u, yt == v)].sum() for v in ta] for u in sa])
    joint /= joint.sum()
    pa = joint.sum(axis=1, keepdims=True)
    mask = joint > 0
    return float(-(joint[mask] * np.log((joint / pa)[mask])).sum())


def metric(name, x, y):
    """One score of a patch's target points, None where it is undefined."""
    if len(y) < 2 or len(np.unique(y)) < 2:
        return None
    if name == "logme":
        return mr.logme(x, y)
    if name == "leep":
        return mr.leep(mr.softmax(x), y)
    if name == "nce":
        return mr.nce(x, y)
    if name == "hscore":
        return mr.hscore(x, y, 1e-15)
    if name == "gbc":
        return mr.gbc(x, y, "spherical")
    raise ValueError(name)


def patch_map(xs, ys, xt, yt, s):
    _, _, h, w = xs.shape
    rows, cols = -(-h // s), -(-w // s)
    out = {"rows": rows, "cols": cols, "otce": [], "source": [], "target": [],
           "metrics": {m: [] for m in METRICS}}
    for r in range(rows):
        for c in range(cols):
            def pixels(x, y):
                px = x[:, :, r * s:r * s + s, c * s:c * s + s].transpose(0, 2, 3, 1).reshape(-1, x.shape[1])
                py = y[:, r * s:r * s + s, c * s:c * s + s].reshape(-1)
                keep = py != 255
                return px[keep].astype(np.float64), py[keep].astype(np.int64)

            ps, ls = pixels(xs, ys)
            pt, lt = pixels(xt, yt)
            out["source"].append(len(ls))
            out["target"].append(len(lt))
            out["otce"].append(None if len(ls) == 0 or len(lt) == 0 else -ce_exact(ps, ls, pt, lt))
            for m in METRICS:
                out["metrics"][m].append(metric(m, pt, lt))
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    xs, ys, xt, yt = fixture()
    for name, arr in [("source_features", xs), ("source_labels", ys), ("target_features", xt), ("target_labels", yt)]:
        np.save(os.path.join(OUT, name + ".npy"), arr)
    expected = {"generator": "scripts/maps_reference.py", "pot": ot.__version__, "numpy": np.__version__,
                "strides": {str(s): patch_map(xs, ys, xt, yt, s) for s in STRIDES}}
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
