"""Procedural road-scene domains: the "cities" of the miniature experiment.

Every domain draws images of the same seven classes laid out like a street
seen from a car (sky above a horizon, buildings and vegetation on the sides,
a road in perspective with sidewalks, cars on the road, poles/people standing
on the sidewalk), but with its own appearance and statistics:

  palette       the base colour of each class (a per-domain shift of a shared
                palette, plus a hue rotation)
  texture       per-class stripes/speckle: amplitude and spatial frequency
  illumination  brightness, a colour cast, a vertical light gradient, and
                dark shadow patches
  blur, noise   a box blur of some radius, Gaussian pixel noise
  sizes         cars', buildings' and poles' sizes
  frequencies   horizon height (sky share), building and vegetation density,
                number of cars and poles, road width

A domain is a point in this parameter space: the canonical domain (shift 0)
(or another domain, `around`) plus `shift` times a random direction drawn
from the domain's seed, so a spectrum from near to far is a list of shifts. `distance(a, b)` is the
Euclidean distance between two domains' parameter vectors (in the normalised
units below): the "truth" of how far apart two domains are.

Only NumPy; an image of 64x128 takes about a millisecond.
"""

import numpy as np

CLASSES = ["road", "sidewalk", "building", "vegetation", "sky", "car", "pole"]
K = len(CLASSES)

# The canonical palette (RGB in [0, 1]), Cityscapes-like.
BASE_PALETTE = np.array([
    [0.50, 0.25, 0.50],  # road
    [0.95, 0.35, 0.90],  # sidewalk
    [0.27, 0.27, 0.27],  # building
    [0.42, 0.56, 0.14],  # vegetation
    [0.27, 0.51, 0.71],  # sky
    [0.00, 0.00, 0.56],  # car
    [0.60, 0.60, 0.60],  # pole
])

# Named scalar parameters: canonical value and the scale of one unit of shift.
PARAMS = [
    ("hue", 0.0, 0.9),            # hue rotation (radians) of the palette
    ("brightness", 1.0, 0.45),
    ("contrast", 1.0, 0.45),
    ("cast_r", 0.0, 0.18), ("cast_g", 0.0, 0.18), ("cast_b", 0.0, 0.18),
    ("gradient", 0.0, 0.5),       # vertical illumination gradient
    ("shadows", 0.2, 0.5),        # expected number of shadow patches (x4)
    ("tex_amp", 0.08, 0.12),      # texture amplitude
    ("tex_freq", 0.6, 0.5),       # texture frequency
    ("blur", 0.5, 1.4),           # box blur radius (pixels, rounded)
    ("noise", 0.03, 0.09),        # pixel noise std
    ("horizon", 0.42, 0.16),      # horizon height, fraction of the image
    ("building", 0.7, 0.5),       # probability of a building column
    ("vegetation", 0.3, 0.5),     # probability of vegetation instead
    ("cars", 2.0, 2.5),           # expected number of cars
    ("car_size", 1.0, 0.45),
    ("poles", 2.0, 2.5),          # expected number of poles
    ("pole_size", 1.0, 0.5),
    ("road_width", 0.6, 0.3),     # road width at the bottom, fraction
]
NAMES = [p[0] for p in PARAMS]


class Domain:
    """One domain: its name, shift, parameter vector and palette."""

    def __init__(self, name, seed, shift, around=None):
        self.name, self.seed, self.shift = name, seed, shift
        self.around = around.name if around is not None else None
        rng = np.random.default_rng(1000 + seed)
        d = rng.normal(size=len(PARAMS))
        d /= np.linalg.norm(d)
        z0 = around.z if around is not None else 0.0
        self.z = z0 + shift * d * np.sqrt(len(PARAMS)) / 2  # normalised coordinates
        self.p = {n: c + s * z for (n, c, s), z in zip(PARAMS, self.z)}
        # A per-class palette offset too, drawn from the same seed.
        self.zpal = (around.zpal if around is not None else 0.0) + rng.normal(size=K * 3) * shift
        off = self.zpal.reshape(K, 3) * 0.12
        self.palette = np.clip(rotate_hue(BASE_PALETTE, self.p["hue"]) + off, 0.0, 1.0)

    def vector(self):
        """The normalised parameter vector (scalars and palette offsets)."""
        return np.concatenate([self.z, self.zpal * 0.5])


def distance(a, b):
    """Euclidean distance between two domains' normalised parameter vectors."""
    return float(np.linalg.norm(a.vector() - b.vector()))


def rotate_hue(rgb, angle):
    """Rotates colours about the grey axis by angle (radians)."""
    c, s = np.cos(angle), np.sin(angle)
    k = np.ones(3) / np.sqrt(3)
    m = c * np.eye(3) + s * np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]]) + (1 - c) * np.outer(k, k)
    return np.clip(rgb @ m.T, 0.0, 1.0)


def render(dom, rng, h=64, w=128):
    """One image (h, w, 3) float32 in [0, 1] and its label map (h, w) uint8."""
    p = dom.p
    lab = np.full((h, w), 4, np.uint8)  # sky
    yy, xx = np.mgrid[0:h, 0:w]
    hz = int(np.clip(p["horizon"] + rng.normal() * 0.04, 0.15, 0.7) * h)
    # Buildings / vegetation in columns above the horizon, down to it.
    x = 0
    while x < w:
        cw = max(3, int(rng.uniform(8, 30) * np.clip(p["car_size"], 0.4, 2.0)))
        r = rng.uniform()
        pb = np.clip(p["building"], 0.05, 0.95)
        pv = np.clip(p["vegetation"], 0.0, 0.95)
        if r < pb:
            top = int(hz - rng.uniform(0.2, 0.9) * hz)
            lab[max(top, 0):hz + 2, x:x + cw] = 2
        elif r < pb + pv * (1 - pb):
            top = int(hz - rng.uniform(0.1, 0.6) * hz)
            lab[max(top, 0):hz + 2, x:x + cw] = 3
        x += cw
    # Ground: sidewalk everywhere below the horizon, road as a trapezoid.
    lab[hz:, :] = 1
    rw = np.clip(p["road_width"] + rng.normal() * 0.05, 0.2, 0.98)
    cx = w / 2 + rng.normal() * w * 0.05
    t = np.clip((yy - hz) / max(h - hz, 1), 0, 1)
    half = (0.04 + t * rw / 2) * w
    lab[(yy >= hz) & (np.abs(xx - cx) <= half)] = 0
    # Vegetation strips at the far sides of the sidewalk.
    if rng.uniform() < np.clip(p["vegetation"], 0, 1):
        lab[(yy >= hz) & (np.abs(xx - cx) > half + 0.3 * w * t + 6)] = 3
    # Cars on the road, bigger when nearer.
    for _ in range(rng.poisson(np.clip(p["cars"], 0.0, 8.0))):
        y = int(rng.uniform(hz + 2, h - 2))
        tt = (y - hz) / max(h - hz, 1)
        s = np.clip(p["car_size"], 0.3, 2.5) * (0.3 + tt)
        cw, ch = int(max(3, 22 * s)), int(max(2, 11 * s))
        x0 = int(cx + rng.uniform(-1, 1) * half[min(y, h - 1), 0] * 0.8 - cw / 2)
        lab[max(y - ch, 0):y, max(x0, 0):max(x0 + cw, 0)] = 5
    # Poles / people on the sidewalks.
    for _ in range(rng.poisson(np.clip(p["poles"], 0.0, 8.0))):
        y = int(rng.uniform(hz + 1, h))
        tt = (y - hz) / max(h - hz, 1)
        s = np.clip(p["pole_size"], 0.3, 2.5) * (0.4 + tt)
        pw, ph = int(max(1, 3 * s)), int(max(4, 30 * s))
        side = rng.choice([-1, 1])
        x0 = int(cx + side * (half[min(y, h - 1), 0] + rng.uniform(2, 12)))
        lab[max(y - ph, 0):y, max(x0, 0):max(x0 + pw, 0)] = 6

    # Appearance.
    img = dom.palette[lab].astype(np.float32)
    amp, freq = max(p["tex_amp"], 0.0), np.clip(p["tex_freq"], 0.05, 2.0)
    phase = rng.uniform(0, 6.28, size=K)
    ang = np.array([0.0, 0.3, 1.57, 0.8, 0.1, 0.0, 1.57])
    for k in range(K):
        m = lab == k
        if not m.any():
            continue
        stripes = np.sin(freq * (xx * np.cos(ang[k]) + yy * np.sin(ang[k])) * (1 + k / 3) + phase[k])
        speck = rng.normal(size=(h, w)) * 0.5
        img[m] += (amp * (stripes + speck)[m])[:, None] * (0.5 + dom.palette[k])
    img = (img - 0.5) * max(p["contrast"], 0.2) + 0.5
    light = max(p["brightness"], 0.15) * (1 + p["gradient"] * (yy / h - 0.5))
    img = img * light[..., None] + np.array([p["cast_r"], p["cast_g"], p["cast_b"]])
    for _ in range(rng.poisson(max(p["shadows"], 0.0) * 4)):
        y0, x0 = rng.integers(0, h), rng.integers(0, w)
        img[y0:y0 + rng.integers(5, 25), x0:x0 + rng.integers(10, 50)] *= 0.55
    r = int(round(np.clip(p["blur"], 0, 4)))
    if r > 0:
        img = box_blur(img, r)
    img += rng.normal(size=img.shape) * max(p["noise"], 0.0)
    return np.clip(img, 0, 1).astype(np.float32), lab


def box_blur(img, r):
    """A (2r+1)-wide box blur along both axes, edges repeated."""
    k = 2 * r + 1
    for axis in (0, 1):
        pad = [(0, 0)] * img.ndim
        pad[axis] = (r, r)
        a = np.pad(img, pad, mode="edge")
        c = np.cumsum(a, axis=axis)
        c = np.concatenate([np.zeros_like(np.take(c, [0], axis=axis)), c], axis=axis)
        n = img.shape[axis]
        img = (np.take(c, np.arange(k, k + n), axis=axis) - np.take(c, np.arange(0, n), axis=axis)) / k
    return img


def dataset(dom, n, seed, h=64, w=128):
    """n images of a domain: (n, h, w, 3) float32 and (n, h, w) uint8."""
    rng = np.random.default_rng([dom.seed, seed])
    xs, ys = [], []
    for _ in range(n):
        x, y = render(dom, rng, h, w)
        xs.append(x)
        ys.append(y)
    return np.stack(xs), np.stack(ys)


def class_frequencies(labels):
    """The share of each class among the pixels of a label array."""
    c = np.bincount(labels.ravel(), minlength=K)[:K].astype(float)
    return c / c.sum()
