#!/usr/bin/python3
"""Independent NumPy reference for core/metrics (issue 14).

Written from the papers' formulas, not from the Go code:

  LogME   You et al., ICML 2021 / arXiv 2110.10545 (fixed point, as thuml/LogME)
  LEEP    Nguyen et al., ICML 2020
  NCE     Tran et al., ICCV 2019
  H-score Bao et al., ICIP 2019 (np.cov, np.linalg.pinv, np.trace)
  GBC     Pandy et al., CVPR 2022 (Bhattacharyya distance of Gaussians)
  zero-shot pixel accuracy and mIoU of the argmax of logits
  the least-squares fit of core/stats (np.linalg.lstsq, leave-one-out,
  Student-t 95 % prediction interval)

Run with Debian's interpreter:

    /usr/bin/python3 scripts/metrics_reference.py

It writes core/metrics/testdata/*.json (features as float64 lists, labels,
expected values; null = the score is undefined there (zero-shot with
labels >= d) and Go must refuse) and
core/stats/testdata/fit.json. Conventions shared with the Go code (and
stated in its doc comments): LogME's rank cutoff s_i^2 <= 1e-12 s_max^2 and
log-determinant over all d eigenvalues; GBC's spherical Gaussians are
N(mu, s I_d) (log term d times); ordered class pairs; variance floor 1e-4.
"""

import json
import math
import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "core", "metrics", "testdata")
FIT_OUT = os.path.join(ROOT, "core", "stats", "testdata")


def onehot_classes(y):
    return np.unique(y)


def logme(f, y):
    """LogME with the fixed point of arXiv 2110.10545, from an SVD of f."""
    n, d = f.shape
    u, s, _ = np.linalg.svd(f, full_matrices=False)
    sig = s ** 2
    keep = sig > 1e-12 * sig.max()
    u, sig_k = u[:, keep], sig[keep]
    # all d eigenvalues of f^T f: the kept ones, the rest zero
    sig_d = np.zeros(d)
    sig_d[: sig_k.size] = sig_k
    ev = []
    for c in onehot_classes(y):
        yc = (y == c).astype(np.float64)
        x = u.T @ yc
        x2 = x ** 2
        res_x2 = yc @ yc - x2.sum()
        alpha, beta = 1.0, 1.0
        for _ in range(11):
            t = alpha / beta
            gamma = np.sum(sig_k / (sig_k + t))
            m2 = np.sum(sig_k * x2 / (t + sig_k) ** 2)
            res2 = np.sum(x2 / (1 + sig_k / t) ** 2) + res_x2
            alpha = gamma / (m2 + 1e-5)
            beta = (n - gamma) / (res2 + 1e-5)
            if abs(alpha / beta - t) / t <= 1e-3:
                break
        e = (d / 2 * np.log(alpha) + n / 2 * np.log(beta)
             - 0.5 * np.sum(np.log(alpha + beta * sig_d))
             - beta / 2 * res2 - alpha / 2 * m2 - n / 2 * np.log(2 * np.pi))
        ev.append(e / n)
    return float(np.mean(ev))


def softmax(x):
    z = np.exp(x - x.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def leep(theta, y):
    n = theta.shape[0]
    cls = onehot_classes(y)
    joint = np.stack([theta[y == c].sum(axis=0) for c in cls]) / n  # C x Z
    pz = joint.sum(axis=0)
    cond = np.divide(joint, pz, out=np.zeros_like(joint), where=pz > 0)
    idx = np.searchsorted(cls, y)
    eep = np.sum(cond[idx] * theta, axis=1)
    return float(np.mean(np.log(eep)))


def nce(f, y):
    z = np.argmax(f, axis=1)
    n = len(y)
    h = 0.0
    for zz in np.unique(z):
        pz = np.mean(z == zz)
        for c in np.unique(y[z == zz]):
            pyz = np.sum((z == zz) & (y == c)) / n
            h -= pyz * math.log(pyz / pz)
    return float(-h)


def hscore(f, y, rcond):
    cov_f = np.cov(f, rowvar=False)
    # singular values of cov_f below matrix_rank's tolerance max(n, d) eps
    # s_max are rounding: dropped whatever rcond (the Go convention)
    rcond = max(rcond, max(f.shape) * np.finfo(np.float64).eps)
    g = np.zeros_like(f)
    for c in np.unique(y):
        g[y == c] = f[y == c].mean(axis=0)
    cov_g = np.cov(g, rowvar=False)
    return float(np.trace(np.linalg.pinv(cov_f, rcond=rcond) @ cov_g))


def gbc(f, y, gaussian):
    d = f.shape[1]
    stats = {}
    for c in np.unique(y):
        fc = f[y == c]
        var = np.maximum(fc.var(axis=0), 1e-4)
        if gaussian == "spherical":
            var = np.full(d, var.mean())
        stats[c] = (fc.mean(axis=0), var)
    score = 0.0
    for a in stats:
        for b in stats:
            if a == b:
                continue
            (m1, v1), (m2, v2) = stats[a], stats[b]
            cov = (v1 + v2) / 2
            # Bhattacharyya distance of N(m1, diag v1), N(m2, diag v2)
            db = (m1 - m2) @ np.diag(1 / cov) @ (m1 - m2) / 8 + 0.5 * math.log(
                np.prod(cov / np.sqrt(v1 * v2)))
            score -= math.exp(-db)
    return float(score)


def zeroshot(f, y):
    d = f.shape[1]
    if y.min() < 0 or y.max() >= d:
        return None, None
    p = np.argmax(f, axis=1)
    ious = []
    for c in range(d):
        inter = np.sum((p == c) & (y == c))
        union = np.sum((p == c) | (y == c))
        if union > 0:
            ious.append(inter / union)
    return float(np.mean(p == y)), float(np.mean(ious))


def clusters(rng, n, d, labels, spread, noise):
    cls = np.array(labels)
    y = cls[rng.integers(0, len(cls), n)]
    centres = {c: rng.normal(0, spread, d) for c in cls}
    x = np.stack([centres[c] for c in y]) + rng.normal(0, noise, (n, d))
    return x.astype(np.float32).astype(np.float64), y.astype(np.int32)


def expected(x, y, probs=None):
    out = {
        "logme": logme(x, y),
        "leep": leep(softmax(x), y),
        "nce": nce(x, y),
        "hscore": hscore(x, y, 1e-15),
        "hscore_rcond_1e-5": hscore(x, y, 1e-5),
        "gbc_spherical": gbc(x, y, "spherical"),
        "gbc_diagonal": gbc(x, y, "diagonal"),
    }
    out["zeroshot_acc"], out["zeroshot_miou"] = zeroshot(x, y)
    if probs is not None:
        out["leep_probabilities"] = leep(probs, y)
    return out


def write(name, x, y, note, **extra):
    fx = {"note": note, "n": int(x.shape[0]), "d": int(x.shape[1]),
          "x": x.reshape(-1).tolist(), "labels": y.tolist()}
    fx.update(extra)
    fx["expected"] = expected(x, y, extra.get("probabilities_x") and
                              np.array(extra["probabilities_x"]).reshape(x.shape))
    with open(os.path.join(OUT, name + ".json"), "w") as fh:
        json.dump(fx, fh)
    print(name, json.dumps(fx["expected"]))


def fit_reference(x, y, xnew):
    """accuracy ~ X lam + b by least squares, LOO and 95 % prediction intervals."""
    from math import sqrt
    n, p = x.shape
    a = np.hstack([x, np.ones((n, 1))])
    coef, *_ = np.linalg.lstsq(a, y, rcond=None)
    resid = y - a @ coef
    dof = n - p - 1
    s2 = resid @ resid / dof
    loo = []
    for i in range(n):
        m = np.arange(n) != i
        c, *_ = np.linalg.lstsq(a[m], y[m], rcond=None)
        loo.append(float(a[i] @ c))
    loo = np.array(loo)
    ainv = np.linalg.inv(a.T @ a)
    anew = np.hstack([xnew, np.ones((xnew.shape[0], 1))])
    pred = anew @ coef
    half = []
    # Student-t 0.975 quantile from the regularised incomplete beta (no SciPy)
    tq = t_quantile(0.975, dof)
    for r in anew:
        half.append(float(tq * sqrt(s2 * (1 + r @ ainv @ r))))
    return {
        "lambda": coef[:-1].tolist(), "b": float(coef[-1]),
        "residual_std": float(sqrt(s2)), "t975": tq,
        "loo_pred": loo.tolist(),
        "loo_rmse": float(np.sqrt(np.mean((loo - y) ** 2))),
        "loo_pearson": float(np.corrcoef(loo, y)[0, 1]),
        "pred": pred.tolist(), "half_width": half,
    }


def t_cdf(t, nu):
    # P(T <= t) via the regularised incomplete beta by numerical integration
    # of the density (Simpson, fine grid): independent of Go's implementation.
    from math import lgamma, exp, pi
    c = exp(lgamma((nu + 1) / 2) - lgamma(nu / 2)) / math.sqrt(nu * pi)
    xs = np.linspace(0, t, 200001)
    ys = c * (1 + xs ** 2 / nu) ** (-(nu + 1) / 2)
    h = xs[1] - xs[0]
    integral = h / 3 * (ys[0] + ys[-1] + 4 * ys[1:-1:2].sum() + 2 * ys[2:-1:2].sum())
    return 0.5 + integral


def t_quantile(p, nu):
    lo, hi = 0.0, 100.0
    for _ in range(100):
        mid = (lo + hi) / 2
        if t_cdf(mid, nu) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(14)
    x, y = clusters(rng, 400, 16, [3, 7, 11, 250], 1.0, 0.8)
    write("embeddings_sparse_labels", x, y,
          "clustered embeddings, N=400 d=16, labels 3,7,11,250 (not 0..C-1)")
    x, y = clusters(rng, 40, 64, [0, 1, 2], 0.7, 1.0)
    write("wide_d_gt_n", x, y,
          "d=64 > N=40: rank-deficient X and covariance")
    # logits over 6 shared classes: a noisy classifier that confuses 4 and 5
    n, d = 600, 6
    y = rng.choice([0, 1, 2, 4, 5], size=n, p=[0.3, 0.25, 0.2, 0.15, 0.1]).astype(np.int32)
    logits = rng.normal(0, 1.0, (n, d))
    logits[np.arange(n), y] += 2.0
    conf = y == 4
    logits[conf, 5] += 1.8
    x = (3 * logits).astype(np.float32).astype(np.float64)
    probs = softmax(x)
    write("logits_shared", x, y,
          "logits of a 6-class source model over the target's classes (label 3 absent), N=600",
          probabilities_x=probs.reshape(-1).tolist())
    # a patch of a patch map: n << d (Go's n x n form of LogME and H-score);
    # its own generator, so that the fixtures above and fit.json keep theirs
    rng_small = np.random.default_rng(15)
    x, y = clusters(rng_small, 30, 256, [0, 2, 5], 0.5, 1.0)
    write("patch_n30_d256", x, y,
          "a patch's sample: N=30 << d=256 (the n x n form in Go)")

    os.makedirs(FIT_OUT, exist_ok=True)
    k = 9
    scores = rng.normal(0, 1, (k, 2)) * [0.3, 2.0] + [1.0, -1.0]
    acc = 0.5 + 0.2 * scores[:, 0] - 0.05 * scores[:, 1] + rng.normal(0, 0.03, k)
    xnew = rng.normal(0, 1, (2, 2)) * [0.3, 2.0] + [1.0, -1.0]
    fit = {"x": scores.tolist(), "y": acc.tolist(), "x_new": xnew.tolist()}
    fit["expected"] = fit_reference(scores, acc, xnew)
    with open(os.path.join(FIT_OUT, "fit.json"), "w") as fh:
        json.dump(fit, fh, indent=1)
    print("fit", json.dumps(fit["expected"]))


if __name__ == "__main__":
    main()
