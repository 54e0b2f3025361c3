"""Generate the POT reference fixtures of core/emd.

Run with Debian's interpreter, which has POT installed:

    /usr/bin/python3 core/emd/testdata/gen.py

Each fixture holds clustered float32 features xs (n×d) and xt (m×d), rounded
to three decimals, and the reference solution of ot.emd with uniform weights
on the float32 cost

    C32[i, j] = float32(sum_k (float64(xs[i, k]) - float64(xt[j, k]))**2),

the squares summed in index order k = 0, 1, ... (not numpy's pairwise sum,
and not ot.dist's |x|^2 + |y|^2 - 2 x.y expansion), so that Go can recompute
exactly the same float32 values. ot.emd runs on C32 converted to float64.
"""

import json
import os
import sys

import numpy as np
import ot

HERE = os.path.dirname(os.path.abspath(__file__))
CLASSES = 19


def features(rng, n, m, d):
    sw, sc = 2.0, 3.0
    centres = sc * rng.standard_normal((CLASSES, d))
    shifts = 0.3 * sw * rng.standard_normal((CLASSES, d))

    def draw(count, shift):
        w = 0.2 + rng.random(CLASSES)
        labels = rng.choice(CLASSES, size=count, p=w / w.sum())
        x = centres[labels] + sw * rng.standard_normal((count, d))
        if shift:
            x += shifts[labels]
        return np.round(x, 3)

    # float64 values with at most three decimals; Go reads them as float64
    # and converts to float32, exactly like astype(np.float32) here.
    return draw(n, False), draw(m, True)


def cost32(xs32, xt32):
    xs = xs32.astype(np.float64)
    xt = xt32.astype(np.float64)
    c = np.zeros((xs.shape[0], xt.shape[0]))
    for k in range(xs.shape[1]):
        diff = xs[:, None, k] - xt[None, :, k]
        c += diff * diff
    return c.astype(np.float32)


def fixture(name, n, m, d, seed):
    rng = np.random.default_rng(seed)
    xs64, xt64 = features(rng, n, m, d)
    xs32, xt32 = xs64.astype(np.float32), xt64.astype(np.float32)
    c32 = cost32(xs32, xt32)
    c = c32.astype(np.float64)
    a, b = np.full(n, 1.0 / n), np.full(m, 1.0 / m)
    g, log = ot.emd(a, b, c, numItermax=10**8, log=True)
    if log["result_code"] != 1:
        sys.exit(f"{name}: ot.emd failed: {log['warning']}")
    # POT computes the flows in float64: degenerate basic arcs keep
    # round-off residues of order 1e-17, far below the smallest true mass
    # gcd(n, m)/(n*m) of the integer problem; they are not part of the support.
    rows, cols = np.nonzero(g > 1e-12)
    probe = rng.integers(0, n * m, size=16)
    out = {
        "name": name,
        "n": n,
        "m": m,
        "d": d,
        "xs": [float(v) for v in xs64.ravel()],
        "xt": [float(v) for v in xt64.ravel()],
        # a few cost entries, to check that Go computes the same float32s
        "probe_index": [int(k) for k in probe],
        "probe_cost": [float(c32.ravel()[k]) for k in probe],
        "pot_cost": float(np.sum(g * c)),
        "pot_version": ot.__version__,
        "support": [[int(i), int(j)] for i, j in zip(rows, cols)],
        "support_mass": [float(g[i, j]) for i, j in zip(rows, cols)],
    }
    path = os.path.join(HERE, f"pot_{name}.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(f"{path}: cost {out['pot_cost']:.12f}, support {len(rows)}")


if __name__ == "__main__":
    fixture("200x200", 200, 200, 19, 1)
    fixture("300x240", 300, 240, 19, 2)
    fixture("1000x1000", 1000, 1000, 19, 3)
    fixture("500x700", 500, 700, 19, 4)
