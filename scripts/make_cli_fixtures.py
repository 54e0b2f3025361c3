#!/usr/bin/python3
"""Writes the end-to-end fixtures of the CLI tests (cmd/otce/testdata) with NumPy,
and the reference score of each case computed independently with POT.

Run with Debian's interpreter: /usr/bin/python3 scripts/make_cli_fixtures.py

One small source domain and one small target domain (two images each, labels at
4x the feature resolution, some pixels at the ignore index 255) are written in
every layout and dtype the tool reads. Each case uses all valid pixels (the tests
run with N larger than the pixel count and K = 1), so the reference is exact:
labels are mapped to the feature grid by taking the label at (4h, 4w) (PyTorch's
nearest rule), pixels with label 255 are dropped, the cost is ot.dist, normalised
by its max, and POT's sinkhorn_log at eps = 0.1 is run to 1e-12.
"""
import json
import os
import struct
import zlib

import numpy as np
import ot

OUT = os.path.join(os.path.dirname(__file__), "..", "cmd", "otce", "testdata")
rng = np.random.default_rng(7)
B, C, H, W, S = 2, 6, 7, 5, 4  # batch, channels, feature grid, label scale


def domain(shift, ncls, perm):
    labels = rng.integers(0, ncls, size=(B, H * S, W * S)).astype(np.uint8)
    labels[:, :S, :] = 255          # an unlabelled top band
    labels[0, 10:14, 8:12] = 255
    centres = rng.normal(0, 2.0, size=(ncls, C))
    grid = labels[:, ::S, ::S]      # label of each feature pixel
    cls = np.where(grid == 255, 0, grid)
    feats = centres[perm[cls]] + shift + rng.normal(0, 0.8, size=(B, H, W, C))
    feats = feats.transpose(0, 3, 1, 2).astype(np.float32)  # NCHW
    return feats, labels


src_f, src_l = domain(0.0, 5, np.arange(5))
tgt_f, tgt_l = domain(0.4, 4, np.array([1, 0, 3, 2]))


def pixels(f, l):
    grid = l[:, ::S, ::S]
    x = f.transpose(0, 2, 3, 1).reshape(-1, C).astype(np.float64)
    y = grid.reshape(-1).astype(np.int64)
    keep = y != 255
    return x[keep], y[keep]


def reference(sf, sl, tf, tl, eps=0.1):
    xs, ys = pixels(sf, sl)
    xt, yt = pixels(tf, tl)
    M = ot.dist(xs, xt)
    M = M / M.max()
    a = np.full(len(xs), 1 / len(xs))
    b = np.full(len(xt), 1 / len(xt))
    pi = ot.sinkhorn(a, b, M, reg=eps, method="sinkhorn_log", numItermax=100000, stopThr=1e-12)
    ls, lt = np.unique(ys), np.unique(yt)
    P = (ys[:, None] == ls[None, :]).astype(float).T @ pi @ (yt[:, None] == lt[None, :]).astype(float)
    pa = P.sum(1, keepdims=True)
    nz = P > 0
    ce = -(P[nz] * np.log((P / pa)[nz])).sum()
    return float(ce), float((pi * M).sum()), len(xs), len(xt)


def save(name, arr, fortran=False, version=None):
    path = os.path.join(OUT, name)
    if fortran:
        arr = np.asfortranarray(arr)
    with open(path, "wb") as fh:
        np.lib.format.write_array(fh, arr, version=version)


def png_gray8(name, img):
    h, w = img.shape
    raw = b"".join(b"\x00" + img[r].astype(np.uint8).tobytes() for r in range(h))
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) \
        + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    with open(os.path.join(OUT, name), "wb") as fh:
        fh.write(data)


def safetensors(name, tensors):
    header, blobs, off = {}, [], 0
    codes = {np.dtype("float32"): "F32", np.dtype("uint8"): "U8", np.dtype("int64"): "I64", np.dtype("float16"): "F16"}
    for key, arr in tensors.items():
        raw = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes()
        header[key] = {"dtype": codes[arr.dtype], "shape": list(arr.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    hb = json.dumps(header).encode()
    hb += b" " * (-len(hb) % 8)
    with open(os.path.join(OUT, name), "wb") as fh:
        fh.write(struct.pack("<Q", len(hb)) + hb + b"".join(blobs))


def main():
    os.makedirs(OUT, exist_ok=True)
    import shutil
    for entry in os.listdir(OUT):  # all but volumes/, written by make_volume_fixtures.py
        path = os.path.join(OUT, entry)
        if entry != "volumes":
            shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
    for side, f, l in (("src", src_f, src_l), ("tgt", tgt_f, tgt_l)):
        save(f"{side}_nchw.npy", f)                                   # (B,C,H,W)
        save(f"{side}_nhwc.npy", f.transpose(0, 2, 3, 1))            # (B,H,W,C)
        save(f"{side}_nchw_fortran.npy", f, fortran=True)
        save(f"{side}_nchw_big.npy", f.astype(">f4"))
        save(f"{side}_nchw_f64.npy", f.astype(np.float64), version=(2, 0))
        save(f"{side}_nchw_f16.npy", f.astype(np.float16), version=(3, 0))
        save(f"{side}_nchw_f16asf32.npy", f.astype(np.float16).astype(np.float32))
        save(f"{side}_labels.npy", l)                                 # (B,H,W) uint8
        save(f"{side}_labels_i64.npy", l.astype(np.int64))
        save(f"{side}_labels_big_i32.npy", l.astype(">i4"))
        x, y = pixels(f, l)
        save(f"{side}_rows_nc.npy", np.ascontiguousarray(f.transpose(0, 2, 3, 1).reshape(-1, C)))  # (N,C) all pixels
        save(f"{side}_rows_labels.npy", np.where(True, l[:, ::S, ::S], 0).reshape(-1).astype(np.int32))
        np.savez(os.path.join(OUT, f"{side}_bundle.npz"), features=f, labels=l)
        np.savez_compressed(os.path.join(OUT, f"{side}_bundle_deflated.npz"), features=f, labels=l)
        safetensors(f"{side}_bundle.safetensors", {"features": f, "labels": l})
        os.makedirs(os.path.join(OUT, f"{side}_images", "features"), exist_ok=True)
        os.makedirs(os.path.join(OUT, f"{side}_images", "labels"), exist_ok=True)
        for b in range(B):
            stem = f"city_{b:06d}"
            save(f"{side}_images/features/{stem}_leftImg8bit.npy", f[b])             # (C,H,W)
            png_gray8(f"{side}_images/labels/{stem}_gtFine_labelTrainIds.png", l[b])
    ce, wd, n, m = reference(src_f, src_l, tgt_f, tgt_l)
    ce16, wd16, _, _ = reference(src_f.astype(np.float16).astype(np.float32), src_l,
                                 tgt_f.astype(np.float16).astype(np.float32), tgt_l)
    ref = {"eps": 0.1, "cost_norm": "max", "ce": ce, "wd": wd, "n": n, "m": m,
           "ce_f16": ce16, "wd_f16": wd16, "pot_version": ot.__version__, "numpy_version": np.__version__}
    with open(os.path.join(OUT, "reference.json"), "w") as fh:
        json.dump(ref, fh, indent=1)
    print(json.dumps(ref))


main()
