#!/usr/bin/python3
"""Write the small array fixtures used by the tests of core/arrays.

Run with the Debian interpreter, which has numpy:

    /usr/bin/python3 scripts/make_array_fixtures.py

It (re)writes core/arrays/testdata/: .npy files for every supported dtype
(with big-endian, Fortran-order and format 2.0/3.0 variants), .npz bundles
(stored and deflated), a .safetensors file written by hand, PNG label maps
written by hand with zlib+struct, and expected.json holding, for every
fixture, the shape, the dtype name as core/arrays prints it, and the values
in C order as float64 (NaN and infinities as the strings "nan", "inf",
"-inf", since JSON has no such numbers).
"""

import json
import math
import os
import struct
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "core", "arrays", "testdata")

expected = {}

KIND_NAMES = {"f": "float", "i": "int", "u": "uint"}


def dtype_name(dt):
    """The name DType.String() gives in Go."""
    dt = np.dtype(dt)
    if dt.kind == "b":
        name = "bool"
    else:
        name = "%s%d" % (KIND_NAMES[dt.kind], dt.itemsize * 8)
    if dt.byteorder == ">" and dt.itemsize > 1:
        name += " big-endian"
    return name


def enc(v):
    """A float64 as JSON can hold it."""
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def values(arr):
    return [enc(v) for v in np.ascontiguousarray(arr).astype(np.float64).ravel(order="C")]


def entry(arr, dtname=None):
    return {
        "shape": list(arr.shape),
        "dtype": dtname or dtype_name(arr.dtype),
        "fortran": False,
        "values": values(arr),
    }


def save_npy(fname, arr, version=None, fortran=False):
    path = os.path.join(OUT, fname)
    if fortran:
        arr = np.asfortranarray(arr)
    with open(path, "wb") as f:
        np.lib.format.write_array(f, arr, version=version)
    e = entry(arr)
    e["fortran"] = bool(fortran and arr.ndim > 1)
    expected[fname] = e


def base_values(code, shape=(2, 3, 4)):
    """Deterministic test values that exercise the range of each dtype."""
    n = int(np.prod(shape))
    dt = np.dtype("<" + code) if code != "b1" else np.dtype("|b1")
    if dt.kind == "f":
        v = np.linspace(-3.5, 7.25, n).astype(np.float64)
        v[1] = 0.1
        v[2] = -0.0
        v[3] = 1e-3
        if dt.itemsize == 2:
            # float16 specials: max, smallest subnormal, a subnormal, inf, nan, rounding.
            v[4] = 65504.0
            v[5] = 2.0 ** -24
            v[6] = 3 * 2.0 ** -20
            v[7] = np.inf
            v[8] = -np.inf
            v[9] = np.nan
            v[10] = 2.0 ** -14  # smallest normal
            v[11] = 1.0 / 3.0
        elif dt.itemsize == 4:
            v[4] = 3.4028234663852886e38
            v[5] = 1.401298464324817e-45
            v[6] = np.inf
            v[7] = np.nan
            v[8] = 1.0 / 3.0
        else:
            v[4] = 1.7976931348623157e308
            v[5] = 5e-324
            v[6] = -np.inf
            v[7] = np.nan
            v[8] = 1.0 / 3.0
        return v.astype(dt).reshape(shape)
    if dt.kind == "b":
        return (np.arange(n) % 3 == 1).reshape(shape)
    info = np.iinfo(dt)
    v = (np.arange(n, dtype=np.int64) * 7 - 11)
    if info.min == 0:
        v = np.abs(v)
    v = v.astype(dt)
    v[0] = info.min
    v[1] = info.max
    v[2] = info.max - 1
    if info.min < 0:
        v[3] = info.min + 1
    return v.reshape(shape)


def write_npy_fixtures():
    codes = ["f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "b1"]
    for code in codes:
        a = base_values(code)
        save_npy(code + ".npy", a)
        if a.dtype.itemsize > 1:
            save_npy(code + "_be.npy", a.astype(a.dtype.newbyteorder(">")))
    for code in ["f4", "i2", "u1", "f2", "f8"]:
        save_npy(code + "_fortran.npy", base_values(code), fortran=True)
    # Big-endian and Fortran at once.
    be = base_values("i4").astype(">i4")
    save_npy("i4_be_fortran.npy", be, fortran=True)
    save_npy("f4_v2.npy", base_values("f4"), version=(2, 0))
    save_npy("f8_v3.npy", base_values("f8"), version=(3, 0))
    save_npy("u2_v3_fortran.npy", base_values("u2"), version=(3, 0), fortran=True)
    # Odd shapes: 0-d, 1-d, empty, 4-d Fortran.
    save_npy("scalar_f8.npy", np.array(2.5, dtype="<f8"))
    save_npy("vec_i8.npy", np.arange(-5, 12, dtype="<i8"))
    save_npy("empty_f4.npy", np.zeros((0, 3), dtype="<f4"))
    save_npy("f4_4d_fortran.npy", np.arange(2 * 3 * 4 * 5, dtype="<f4").reshape(2, 3, 4, 5) / 8, fortran=True)
    # A larger float16 table: every 37th bit pattern of all 65536 (covers
    # normals, subnormals, infinities and NaNs of both signs).
    bits = np.arange(0, 65536, 37, dtype=np.uint16)
    save_npy("f2_table.npy", bits.view("<f2"))
    # Unsupported dtypes, for error tests.
    with open(os.path.join(OUT, "bad_c16.npy"), "wb") as f:
        np.lib.format.write_array(f, np.zeros(3, dtype="<c16"))
    with open(os.path.join(OUT, "bad_object.npy"), "wb") as f:
        np.lib.format.write_array(f, np.array([1, "a", None], dtype=object), allow_pickle=True)
    with open(os.path.join(OUT, "bad_str.npy"), "wb") as f:
        np.lib.format.write_array(f, np.array(["ab", "c"]))
    with open(os.path.join(OUT, "bad_struct.npy"), "wb") as f:
        np.lib.format.write_array(f, np.zeros(2, dtype=[("a", "<f4"), ("b", "<i2")]))


def write_npz_fixtures():
    rng = np.random.default_rng(7)
    features = rng.standard_normal((2, 5, 4, 3)).astype(np.float32)
    labels = rng.integers(0, 6, size=(2, 4, 3)).astype(np.uint8)
    labels[0, 0, 0] = 255
    other = np.arange(10, dtype=">i2")
    for fname, save in (("stored.npz", np.savez), ("deflated.npz", np.savez_compressed)):
        save(os.path.join(OUT, fname), features=features, labels=labels, other=other)
        expected[fname] = {
            "features": entry(features),
            "labels": entry(labels),
            "other": entry(other),
        }
    # A Fortran-order member in a deflated bundle.
    ff = np.asfortranarray(features[0])
    np.savez_compressed(os.path.join(OUT, "deflated_fortran.npz"), features=ff)
    e = entry(ff)
    e["fortran"] = True
    expected["deflated_fortran.npz"] = {"features": e}


def bf16_bits(x):
    """bfloat16 bits of float32 values, rounding to nearest even."""
    b = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    r = ((b + 0x7FFF + ((b >> 16) & 1)) >> 16).astype(np.uint16)
    return r


def write_safetensors():
    tensors = {}
    f16 = base_values("f2", (3, 4))
    tensors["half"] = ("F16", f16, f16.tobytes(), "float16")
    src = np.array([[1.0, -2.5, 3.14159, 1e-3], [65536.5, -1e20, 0.0, 7.0]], dtype=np.float32)
    bits = bf16_bits(src)
    bvals = (bits.astype(np.uint32) << 16).view(np.float32)
    tensors["brain"] = ("BF16", bvals, bits.astype("<u2").tobytes(), "bfloat16")
    f32 = base_values("f4", (3, 3))
    tensors["features"] = ("F32", f32, f32.tobytes(), "float32")
    i64 = base_values("i8", (2, 3))
    tensors["ids"] = ("I64", i64, i64.tobytes(), "int64")
    u8 = (np.arange(12, dtype=np.uint8) * 21).reshape(3, 4)
    tensors["labels"] = ("U8", u8, u8.tobytes(), "uint8")
    b = np.array([True, False, True], dtype=bool)
    tensors["mask"] = ("BOOL", b, b.tobytes(), "bool")
    scalar = np.array(4.5, dtype="<f8")
    tensors["scalar"] = ("F64", scalar, scalar.tobytes(), "float64")
    empty = np.zeros((0, 2), dtype="<i4")
    tensors["empty"] = ("I32", empty, b"", "int32")

    header = {"__metadata__": {"format": "pt", "note": "fixture"}}
    data = b""
    exp = {}
    # Deliberately not in name order, to check sorting.
    for name in ["labels", "features", "half", "brain", "ids", "mask", "scalar", "empty"]:
        dt, arr, raw, dtname = tensors[name]
        header[name] = {
            "dtype": dt,
            "shape": list(arr.shape),
            "data_offsets": [len(data), len(data) + len(raw)],
        }
        data += raw
        exp[name] = entry(arr, dtname)
    hj = json.dumps(header).encode()
    hj += b" " * (-len(hj) % 8)  # the format pads the header to 8 bytes
    with open(os.path.join(OUT, "tensors.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(hj)))
        f.write(hj)
        f.write(data)
    expected["tensors.safetensors"] = exp


def png_chunk(kind, data):
    c = struct.pack(">I", len(data)) + kind + data
    return c + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def write_png(fname, rows, bit_depth, color_type, plte=None, trns=None):
    """rows: list of raw (unfiltered) scanline bytes."""
    h = len(rows)
    w = WIDTHS[fname]
    raw = b"".join(b"\x00" + r for r in rows)
    out = b"\x89PNG\r\n\x1a\n"
    out += png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 0))
    if plte is not None:
        out += png_chunk(b"PLTE", plte)
    if trns is not None:
        out += png_chunk(b"tRNS", trns)
    out += png_chunk(b"IDAT", zlib.compress(raw, 9))
    out += png_chunk(b"IEND", b"")
    with open(os.path.join(OUT, fname), "wb") as f:
        f.write(out)


WIDTHS = {}


def pack_bits(vals, depth):
    out = bytearray()
    per = 8 // depth
    for i in range(0, len(vals), per):
        byte = 0
        for j in range(per):
            v = vals[i + j] if i + j < len(vals) else 0
            byte |= v << (8 - depth * (j + 1))
        out.append(byte)
    return bytes(out)


def write_pngs():
    h, w = 5, 7
    lab = (np.arange(h * w).reshape(h, w) * 13 % 256).astype(np.uint8)
    lab[0, 0] = 255  # the usual "ignore" label
    WIDTHS["gray8.png"] = w
    write_png("gray8.png", [lab[y].tobytes() for y in range(h)], 8, 0)
    expected["gray8.png"] = entry(lab, "uint8")

    lab16 = (np.arange(h * w).reshape(h, w) * 1871 % 65536).astype(np.uint16)
    lab16[1, 2] = 65535
    WIDTHS["gray16.png"] = w
    write_png("gray16.png", [lab16[y].astype(">u2").tobytes() for y in range(h)], 16, 0)
    expected["gray16.png"] = entry(lab16, "uint16 big-endian")

    pal = (np.arange(h * w).reshape(h, w) % 19).astype(np.uint8)
    plte = bytes(np.arange(19 * 3, dtype=np.uint8) * 4)
    WIDTHS["paletted.png"] = w
    write_png("paletted.png", [pal[y].tobytes() for y in range(h)], 8, 3, plte=plte)
    expected["paletted.png"] = entry(pal, "uint8")

    # 4-bit paletted, like small Cityscapes-style palettes.
    pal4 = (np.arange(h * w).reshape(h, w) % 11).astype(np.uint8)
    WIDTHS["paletted4.png"] = w
    write_png("paletted4.png", [pack_bits(list(pal4[y]), 4) for y in range(h)], 4, 3,
              plte=bytes(range(11 * 3)))
    expected["paletted4.png"] = entry(pal4, "uint8")

    # 4-bit grayscale: the label is the stored sample, not the value scaled to 8 bits.
    g4 = (np.arange(h * w).reshape(h, w) % 16).astype(np.uint8)
    WIDTHS["gray4.png"] = w
    write_png("gray4.png", [pack_bits(list(g4[y]), 4) for y in range(h)], 4, 0)
    expected["gray4.png"] = entry(g4, "uint8")

    # 8-bit grayscale with a transparent value (tRNS).
    WIDTHS["gray8_trns.png"] = w
    write_png("gray8_trns.png", [lab[y].tobytes() for y in range(h)], 8, 0, trns=struct.pack(">H", 255))
    expected["gray8_trns.png"] = entry(lab, "uint8")

    # 16-bit grayscale with a transparent value.
    WIDTHS["gray16_trns.png"] = w
    write_png("gray16_trns.png", [lab16[y].astype(">u2").tobytes() for y in range(h)], 16, 0,
              trns=struct.pack(">H", 65535))
    expected["gray16_trns.png"] = entry(lab16, "uint16 big-endian")

    # 1-bit grayscale: labels 0 and 1.
    g1 = (np.arange(h * w).reshape(h, w) % 3 == 0).astype(np.uint8)
    WIDTHS["gray1.png"] = w
    write_png("gray1.png", [pack_bits(list(g1[y]), 1) for y in range(h)], 1, 0)
    expected["gray1.png"] = entry(g1, "uint8")

    # Colour PNGs are not label maps.
    rgb = np.stack([lab, lab, lab], axis=-1)
    WIDTHS["bad_rgb.png"] = w
    write_png("bad_rgb.png", [rgb[y].tobytes() for y in range(h)], 8, 2)
    rgba = np.concatenate([rgb, np.full((h, w, 1), 255, np.uint8)], axis=-1)
    WIDTHS["bad_rgba.png"] = w
    write_png("bad_rgba.png", [rgba[y].tobytes() for y in range(h)], 8, 6)


def main():
    os.makedirs(OUT, exist_ok=True)
    write_npy_fixtures()
    write_npz_fixtures()
    write_safetensors()
    write_pngs()
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT)
                if os.path.isfile(os.path.join(OUT, n)))
    print("wrote %d fixtures, %d bytes in %s" % (len(expected), total, os.path.normpath(OUT)))


if __name__ == "__main__":
    main()
