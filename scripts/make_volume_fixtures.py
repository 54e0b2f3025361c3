#!/usr/bin/python3
"""Writes the fixtures of the volumetric (3-D, NIfTI) tests with nibabel, NumPy and POT.

Run with Debian's interpreter (apt-get install python3-nibabel python3-numpy python3-pot):

    /usr/bin/python3 scripts/make_volume_fixtures.py

1. core/arrays/testdata/nifti/: NIfTI label volumes written by nibabel (NIfTI-1 and
   NIfTI-2, plain and gzipped, several datatypes, big endian, a non-unit scl_slope, a
   single-slice volume with Z = 1, a 4-D volume with a trailing axis of length one), and
   expected.json: for each, what nibabel reads: the shape of np.asanyarray(img.dataobj)
   (which is img.get_fdata().shape), the stored dtype as core/arrays names it, and the
   values, scaled, in C order of that array. The Go reader must give the same shape
   and the same element at every index.

2. cmd/otce/testdata/volumes/: two small volumetric domains (two volumes each, labels at
   2x the feature resolution on every axis, some voxels at the ignore index 255),
   written as nibabel NIfTI label volumes (plain and gzipped) with per-volume (C, X, Y, Z)
   feature .npy files (the order of a MONAI/nnU-Net feature map of a volume loaded with
   nibabel), and as batched (B, C, D, H, W) and (B, D, H, W, C) .npy arrays with (B, D, H,
   W) labels; and reference.json: POT's score of all valid voxels (feature voxel (d, h, w)
   takes the label at (2d, 2h, 2w); cost ot.dist normalised by its max; sinkhorn_log at
   eps = 0.1 to 1e-12), as in scripts/make_cli_fixtures.py.
"""
import gzip
import json
import os
import shutil

import nibabel as nib
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
NIFTI = os.path.join(HERE, "..", "core", "arrays", "testdata", "nifti")
VOLS = os.path.join(HERE, "..", "cmd", "otce", "testdata", "volumes")

KIND_NAMES = {"f": "float", "i": "int", "u": "uint"}


def dtype_name(dt):
    dt = np.dtype(dt)
    name = "%s%d" % (KIND_NAMES[dt.kind], dt.itemsize * 8)
    if dt.byteorder == ">" and dt.itemsize > 1:
        name += " big-endian"
    return name


def save_raw(path, hdr, arr, gz=False):
    """Writes header and data with nibabel's header writer (data in Fortran order)."""
    hdr.set_data_shape(arr.shape)
    hdr.set_data_dtype(arr.dtype)
    off = 352 if isinstance(hdr, nib.Nifti1Header) and not isinstance(hdr, nib.Nifti2Header) else 544
    hdr.set_data_offset(off)
    opener = gzip.open if gz else open
    with opener(path, "wb") as fh:
        hdr.write_to(fh)
        fh.write(arr.astype(arr.dtype.newbyteorder(hdr.endianness)).tobytes(order="F"))


def nifti_fixtures():
    shutil.rmtree(NIFTI, ignore_errors=True)
    os.makedirs(NIFTI)
    rng = np.random.default_rng(8)
    expected = {}

    def labels(shape, ncls, dtype):
        a = rng.integers(0, ncls, size=shape).astype(dtype)
        return a

    def record(name):
        img = nib.load(os.path.join(NIFTI, name))
        data = np.asanyarray(img.dataobj)
        assert data.shape == img.get_fdata().shape == img.shape
        stored = img.get_data_dtype()
        expected[name] = {
            "shape": list(data.shape),
            "dtype": dtype_name(stored),
            "fortran": len(data.shape) > 1,
            "values": [float(v) for v in np.asarray(data, dtype=np.float64).ravel(order="C")],
        }

    aff = np.diag([1.5, 0.8, 3.0, 1.0])
    # Plain NIfTI-1 as nib.save writes it, uint8 labels with some ignored voxels.
    a = labels((5, 4, 3), 5, np.uint8)
    a[0, 0, :] = 255
    nib.save(nib.Nifti1Image(a, aff), os.path.join(NIFTI, "labels_u8.nii"))
    # Gzipped NIfTI-1, int16.
    nib.save(nib.Nifti1Image(labels((6, 5, 4), 7, np.int16), aff), os.path.join(NIFTI, "labels_i16.nii.gz"))
    # A single slice (Z = 1): a 2-D label map in a 3-D volume, gzipped.
    nib.save(nib.Nifti1Image(labels((6, 5, 1), 4, np.uint8), aff), os.path.join(NIFTI, "labels_slice.nii.gz"))
    # A 4-D volume with a trailing axis of length one, int32.
    nib.save(nib.Nifti1Image(labels((3, 4, 2, 1), 9, np.int32), aff), os.path.join(NIFTI, "labels_4d.nii"))
    # Float labels, NIfTI-2, plain and gzipped; float64 and uint16 in NIfTI-2.
    nib.save(nib.Nifti2Image(labels((4, 3, 2), 6, np.float32), aff), os.path.join(NIFTI, "labels_f4.nii"))
    nib.save(nib.Nifti2Image(labels((4, 3, 5), 6, np.uint16), aff), os.path.join(NIFTI, "labels_u2_v2.nii.gz"))
    nib.save(nib.Nifti1Image(labels((2, 3, 4), 3, np.float64), aff), os.path.join(NIFTI, "labels_f8.nii"))
    nib.save(nib.Nifti1Image(labels((3, 3, 3), 3, np.int64), aff, dtype=np.int64), os.path.join(NIFTI, "labels_i8.nii"))
    # Big endian NIfTI-1 and NIfTI-2.
    nib.save(nib.Nifti1Image(labels((4, 3, 2), 5, np.int16), aff, header=nib.Nifti1Header(endianness=">")),
             os.path.join(NIFTI, "labels_i16_be.nii"))
    nib.save(nib.Nifti2Image(labels((4, 3, 2), 5, np.float32), aff, header=nib.Nifti2Header(endianness=">")),
             os.path.join(NIFTI, "labels_f4_be_v2.nii.gz"))
    # A non-unit slope: stored int16 v, read 2v + 1 (plain) and 0.5v - 3 (gzipped, uint8).
    h = nib.Nifti1Header()
    h.set_slope_inter(2.0, 1.0)
    save_raw(os.path.join(NIFTI, "labels_slope.nii"), h, labels((5, 3, 4), 6, np.int16))
    h = nib.Nifti1Header()
    h.set_slope_inter(0.5, -3.0)
    save_raw(os.path.join(NIFTI, "labels_slope_u8.nii.gz"), h, 2 * labels((3, 4, 5), 10, np.uint8), gz=True)
    h = nib.Nifti2Header()
    h.set_slope_inter(3.0, 2.0)
    save_raw(os.path.join(NIFTI, "labels_slope_v2.nii"), h, labels((2, 2, 3), 4, np.int8))
    for name in sorted(os.listdir(NIFTI)):
        record(name)
    # The alignment check: the same volume as nibabel gives it, saved by NumPy.
    img = nib.load(os.path.join(NIFTI, "labels_i16.nii.gz"))
    np.save(os.path.join(NIFTI, "labels_i16_dataobj.npy"), np.asanyarray(img.dataobj))
    with open(os.path.join(NIFTI, "expected.json"), "w") as fh:
        json.dump(expected, fh, indent=0, sort_keys=True)
        fh.write("\n")


S = 2                      # label scale on every axis
C = 5                      # channels
GRID = (4, 3, 5)           # feature grid (D, H, W) = (X, Y, Z) of one volume
NV = 2                     # volumes per domain


def vol_domain(rng, shift, ncls, perm):
    X, Y, Z = GRID
    labels = rng.integers(0, ncls, size=(NV, X * S, Y * S, Z * S)).astype(np.uint8)
    labels[:, :S, :, :] = 255              # an unlabelled first slab
    labels[0, 4:6, 2:4, 0:4] = 255
    centres = rng.normal(0, 2.0, size=(ncls, C))
    grid = labels[:, ::S, ::S, ::S]
    cls = np.where(grid == 255, 0, grid)
    feats = centres[perm[cls]] + shift + rng.normal(0, 0.8, size=(NV, X, Y, Z, C))
    return feats.transpose(0, 4, 1, 2, 3).astype(np.float32), labels  # (B, C, D, H, W)


def reference(sf, sl, tf, tl, eps=0.1):
    import ot

    def voxels(f, l):
        g = l[:, ::S, ::S, ::S]
        x = f.transpose(0, 2, 3, 4, 1).reshape(-1, C).astype(np.float64)
        y = g.reshape(-1).astype(np.int64)
        keep = y != 255
        return x[keep], y[keep]

    xs, ys = voxels(sf, sl)
    xt, yt = voxels(tf, tl)
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
    return {"ce": float(ce), "wd": float((pi * M).sum()), "n": len(xs), "m": len(xt)}


def volume_fixtures():
    shutil.rmtree(VOLS, ignore_errors=True)
    rng = np.random.default_rng(31)
    src_f, src_l = vol_domain(rng, 0.0, 5, np.arange(5))
    tgt_f, tgt_l = vol_domain(rng, 0.4, 4, np.array([2, 0, 3, 1]))
    aff = np.diag([0.8, 0.8, 2.5, 1.0])
    for side, f, l in (("src", src_f, src_l), ("tgt", tgt_f, tgt_l)):
        os.makedirs(os.path.join(VOLS, side, "features"))
        os.makedirs(os.path.join(VOLS, side, "labels"))
        for v in range(NV):
            np.save(os.path.join(VOLS, side, "features", "case%d_features.npy" % v), f[v])  # (C, X, Y, Z)
            ext = ".nii.gz" if (side == "src") == (v == 0) else ".nii"
            lab = l[v].astype(np.int16) if v == 1 else l[v]
            img = nib.Nifti1Image(lab, aff) if side == "src" else nib.Nifti2Image(lab, aff)
            nib.save(img, os.path.join(VOLS, side, "labels", "case%d_labels%s" % (v, ext)))
        np.save(os.path.join(VOLS, "%s_ncdhw.npy" % side), f)                          # (B, C, D, H, W)
        np.save(os.path.join(VOLS, "%s_ndhwc.npy" % side), f.transpose(0, 2, 3, 4, 1))  # (B, D, H, W, C)
        np.save(os.path.join(VOLS, "%s_labels.npy" % side), l)                         # (B, D, H, W)
    # The labels as nibabel reads them back are what the features were made from.
    back = np.asanyarray(nib.load(os.path.join(VOLS, "src", "labels", "case0_labels.nii.gz")).dataobj)
    assert (back == src_l[0]).all()
    with open(os.path.join(VOLS, "reference.json"), "w") as fh:
        json.dump(reference(src_f, src_l, tgt_f, tgt_l), fh, indent=1)
        fh.write("\n")


if __name__ == "__main__":
    nifti_fixtures()
    volume_fixtures()
