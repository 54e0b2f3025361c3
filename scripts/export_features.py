#!/usr/bin/env python3
"""Export per-pixel features of a PyTorch segmentation model for otce.

Runs a folder of images through a model, catches the features of one layer
with a forward hook (by default the input of the final classifier: the
per-pixel embedding that the model classifies; for a head that adds the
outputs of several classifiers, as LRASPP's low_classifier + high_classifier,
their inputs concatenated at the finer grid), and writes what `otce` and
the browser app read:

  --out DIR             DIR/features/<stem>.npy, one (1, C, h, w) array per
                        image (NCHW), and, with --labels, DIR/labels/<stem>.png
                        (or .npy): the label maps as given, paired by stem.
  --out FILE.npz        one bundle: arrays "features" (B, C, h, w) and, with
  --out FILE.safetensors  --labels, "labels" (B, H, W). All images must then
                        have one size (use --size).

Labels keep their resolution: otce maps a label map that is an integer
multiple of the feature grid onto it by nearest neighbour (the label at
(h*sh, w*sw), as F.interpolate(mode="nearest")). So the hooked layer's grid
must divide the image size exactly: images whose sides are not multiples of
--multiple (default 32, a multiple of the output stride of common backbones:
8, 16 or 32) are resized to the nearest multiple first (bilinear), their
label maps alike (nearest neighbour; those are then written as .npy). A grid
that still does not divide the image is an error naming the image.

Examples:
  python3 scripts/export_features.py --model deeplabv3_resnet50 --weights DEFAULT \\
      --images target/images --labels target/labels --out feats/deeplab_target
  python3 scripts/export_features.py --model-file my_model.py --checkpoint best.pth \\
      --images src/images --out feats/mine_src.npz --size 512x1024 --dtype float16
  python3 scripts/export_features.py --model deeplabv3_resnet50 --list-layers

Without --weights or --checkpoint the model has random weights: a warning
says so. Offline, --weights needs the file in torch's hub cache
($TORCH_HOME/hub/checkpoints, by default ~/.cache/torch/hub/checkpoints); the
message names it. Errors are one line holding the whole message.

Needs PyTorch, torchvision (for --model) and Pillow; NumPy.
"""

import argparse
import importlib.util
import json
import math
import os
import re
import struct
import sys
import time

import numpy as np

IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm")
LABEL_EXTS = (".png", ".npy", ".bmp", ".tif", ".tiff")

# Trailing name parts removed when pairing images with labels by stem: the
# same list as otce's (core/dataset.StemSuffixes).
STEM_SUFFIXES = [
    "features", "feature", "feats", "feat", "logits", "embeddings", "emb",
    "labels", "label", "labelTrainIds", "labelIds", "gtFine_labelTrainIds", "gtFine_labelIds",
    "gtFine", "gt", "mask", "masks", "seg", "leftImg8bit", "image", "img",
]


class UsageError(Exception):
    """A problem with the input: reported as one line, exit status 2."""


def stem(name):
    """The pairing stem of a file name, as otce computes it."""
    base = os.path.basename(name)
    i = base.find(".")
    if i > 0:
        base = base[:i]
    for s in sorted(STEM_SUFFIXES, key=len, reverse=True):
        if base.endswith("_" + s) and len(base) > len(s) + 1:
            return base[: -len(s) - 1]
    return base


def list_files(folder, exts, what):
    if not os.path.isdir(folder):
        raise UsageError(f"{folder}: not a folder ({what})")
    out = {}
    for name in sorted(os.listdir(folder)):
        if name.startswith(".") or not name.lower().endswith(exts):
            continue
        s = stem(name)
        if s in out:
            raise UsageError(f"{os.path.join(folder, name)}: stem {s!r} also names {out[s]}")
        out[s] = os.path.join(folder, name)
    if not out:
        raise UsageError(f"{folder}: no {what} ({', '.join(exts)})")
    return out


def parse_size(text):
    m = re.fullmatch(r"(\d+)[x,](\d+)", text or "")
    if not m or int(m.group(1)) == 0 or int(m.group(2)) == 0:
        raise argparse.ArgumentTypeError(f"{text!r}: want HEIGHTxWIDTH, e.g. 512x1024")
    return int(m.group(1)), int(m.group(2))


def parse_floats(text):
    try:
        v = [float(x) for x in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: want three numbers, e.g. 0.485,0.456,0.406")
    if len(v) != 3:
        raise argparse.ArgumentTypeError(f"{text!r}: want three numbers (R,G,B)")
    return v


def build_parser():
    p = argparse.ArgumentParser(
        prog="export_features.py",
        description=__doc__,
        epilog="See the README section 'From your models to a ranked list' for the whole workflow.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    g = p.add_argument_group("the model (one of --model, --model-file)")
    g.add_argument("--model", metavar="NAME",
                   help="a torchvision model by name, e.g. deeplabv3_resnet50, fcn_resnet101, lraspp_mobilenet_v3_large "
                        "(any name of torchvision.models.get_model)")
    g.add_argument("--weights", metavar="W", default=None,
                   help="torchvision weights for --model, e.g. DEFAULT or COCO_WITH_VOC_LABELS_V1 (downloaded once by "
                        "torchvision into torch's hub cache, $TORCH_HOME/hub/checkpoints; offline, put the file there or "
                        "use --checkpoint); default: none, i.e. random weights unless --checkpoint (a warning says so)")
    g.add_argument("--num-classes", type=int, metavar="K", default=None,
                   help="number of classes of --model (e.g. that of a --checkpoint trained on your classes)")
    g.add_argument("--aux-loss", action="store_true",
                   help="build --model with its auxiliary head (aux_classifier), as a --checkpoint saved with one has")
    g.add_argument("--model-file", metavar="PATH",
                   help="your own model: a .py file defining a function that returns the nn.Module (see --factory), "
                        "or a whole module saved with torch.save / torch.jit.save (.pt, .pth)")
    g.add_argument("--factory", metavar="NAME", default="build_model",
                   help="in a .py --model-file: the function to call (no arguments) or the nn.Module attribute to use "
                        "(default: build_model, then model)")
    g.add_argument("--checkpoint", metavar="PATH",
                   help="a state_dict to load into the model (a dict holding 'state_dict' or 'model' works too)")
    g = p.add_argument_group("the layer")
    g.add_argument("--layer", metavar="NAME",
                   help="the module whose features to export, by its name in model.named_modules() "
                        "(default: the final classifier, i.e. the last Conv2d/Linear outside any auxiliary head)")
    g.add_argument("--hook", choices=["auto", "input", "output"], default="auto",
                   help="take the layer's input or its output (auto: the input of the default classifier, "
                        "the output of a --layer you name)")
    g.add_argument("--list-layers", action="store_true",
                   help="print the model's layers with the shapes they give for one small image (of --size, or "
                        "256x256: the grids, as fractions of the image, are the same at any multiple of 32) and "
                        "which one is the default; then exit")
    g = p.add_argument_group("the data")
    g.add_argument("--images", metavar="DIR", help="folder of images (" + " ".join(IMAGE_EXTS) + ")")
    g.add_argument("--volumes", metavar="DIR",
                   help="instead of --images: a folder of 3-D volumes (.nii, .nii.gz read as nibabel does, (X, Y, Z); "
                        ".npy (D, H, W) or (C, D, H, W)) for a 3-D model (--model-file): each goes in as (1, C, D, H, W) "
                        "and its features come out as features/<stem>.npy (1, C, d, h, w); --labels DIR then holds "
                        "label volumes (.nii, .nii.gz, .npy), copied unchanged to labels/; --out must be a folder")
    g.add_argument("--volume-norm", choices=["none", "zscore"], default="none",
                   help="intensities of --volumes: as stored (none, default) or per volume (x - mean) / std (zscore)")
    g.add_argument("--labels", metavar="DIR",
                   help="folder of label maps (.png gray or palette, .npy integer arrays), paired with the images by "
                        "stem as otce pairs files (aachen_000000_000019_leftImg8bit.png ↔ "
                        "aachen_000000_000019_gtFine_labelTrainIds.png); optional")
    g.add_argument("--size", type=parse_size, metavar="HxW",
                   help="resize every image to HxW (bilinear) and its labels alike (nearest) first")
    g.add_argument("--multiple", type=int, default=32, metavar="M",
                   help="resize images whose sides are not multiples of M to the nearest multiple, so that the "
                        "feature grid divides the label map exactly (default 32; 1: never)")
    g.add_argument("--mean", type=parse_floats, default=[0.485, 0.456, 0.406], metavar="R,G,B",
                   help="normalisation mean of RGB in [0, 1] (default: ImageNet's)")
    g.add_argument("--std", type=parse_floats, default=[0.229, 0.224, 0.225], metavar="R,G,B",
                   help="normalisation standard deviation (default: ImageNet's)")
    g = p.add_argument_group("the output")
    g.add_argument("--out", metavar="PATH",
                   help="a folder (per-image .npy files), or a .npz or .safetensors bundle")
    g.add_argument("--dtype", choices=["float32", "float16"], default="float32",
                   help="features' type on disk (float16 halves the size; values beyond ±65504 become inf, "
                        "which the exporter reports)")
    g.add_argument("--overwrite", action="store_true", help="replace existing output files")
    g = p.add_argument_group("running")
    g.add_argument("--batch-size", type=int, default=4, metavar="B",
                   help="images per forward pass (images of one size only are batched; default 4)")
    g.add_argument("--device", default=None, metavar="DEV",
                   help="torch device: cpu, cuda, cuda:1, mps (default: cuda when available, else cpu)")
    g.add_argument("--threads", type=int, default=None, metavar="T",
                   help="CPU threads of PyTorch (default: all the cores this process may use; some builds start "
                        "with one)")
    g.add_argument("--quiet", action="store_true", help="no progress bar")
    g.add_argument("--adapt-bn", action="store_true",
                   help="re-estimate every BatchNorm layer's statistics on the images being exported (AdaBN: one "
                        "pass over them in train mode, no gradients, momentum None, i.e. the average of the batches' "
                        "statistics) before extracting; for target images whose statistics differ from the source's")
    return p


# ---------------------------------------------------------------- the model

def load_model(args, torch):
    if bool(args.model) == bool(args.model_file):
        raise UsageError("give exactly one of --model NAME and --model-file PATH")
    if args.model:
        try:
            import torchvision
        except ImportError:
            raise UsageError("--model needs torchvision (Debian: apt-get install python3-torchvision)")
        kw = {"weights": args.weights}
        if args.num_classes is not None:
            kw["num_classes"] = args.num_classes
        if args.aux_loss:
            kw["aux_loss"] = True
        if args.weights is None:
            kw["weights_backbone"] = None  # no download unless asked for
        try:
            try:
                model = torchvision.models.get_model(args.model, **kw)
            except TypeError:
                kw.pop("weights_backbone", None)
                model = torchvision.models.get_model(args.model, **kw)
        except (ValueError, KeyError) as e:
            raise UsageError(f"--model {args.model}: {full_text(e)}")
        except Exception as e:
            if args.weights is not None:
                raise UsageError(weights_unavailable(args, torch, torchvision, e))
            raise
    else:
        path = args.model_file
        if not os.path.isfile(path):
            raise UsageError(f"{path}: no such file (--model-file)")
        if path.endswith(".py"):
            spec = importlib.util.spec_from_file_location("user_model", path)
            mod = importlib.util.module_from_spec(spec)
            sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
            spec.loader.exec_module(mod)
            obj = None
            for name in (args.factory, "model"):
                if hasattr(mod, name):
                    obj = getattr(mod, name)
                    break
            if obj is None:
                raise UsageError(f"{path}: defines neither {args.factory} nor model (--factory)")
            model = obj if isinstance(obj, torch.nn.Module) else obj()
        else:
            try:
                model = torch.jit.load(path, map_location="cpu")
            except Exception:
                try:
                    model = torch.load(path, map_location="cpu", weights_only=False)
                except TypeError:
                    model = torch.load(path, map_location="cpu")
        if not isinstance(model, torch.nn.Module):
            raise UsageError(f"{path}: gives a {type(model).__name__}, not a torch.nn.Module "
                             "(a state_dict goes to --checkpoint, with the model from --model or a .py file)")
    if args.checkpoint:
        if not os.path.isfile(args.checkpoint):
            raise UsageError(f"{args.checkpoint}: no such file (--checkpoint)")
        try:
            state = torch.load(args.checkpoint, map_location="cpu")
        except Exception as e:
            raise UsageError(f"{args.checkpoint}: not a checkpoint torch.load reads: {full_text(e)}")
        for key in ("state_dict", "model", "model_state_dict"):
            if isinstance(state, dict) and key in state and isinstance(state[key], dict):
                state = state[key]
        if not isinstance(state, dict):
            raise UsageError(f"{args.checkpoint}: holds a {type(state).__name__}, not a state_dict")
        try:
            model.load_state_dict(state)
        except Exception as e:
            raise UsageError(checkpoint_mismatch(args, model, state, e))
    elif args.weights is None and (args.model or (args.model_file or "").endswith(".py")) and not args.list_layers:
        print("export_features: warning: the model has random weights (no --weights, no --checkpoint): its features "
              "say nothing about a trained model's transferability; give --weights DEFAULT (torchvision) or "
              "--checkpoint PATH", file=sys.stderr)
    return model.eval()


def full_text(e):
    """An exception's whole message on one line: its lines joined by ' | '."""
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
    return " | ".join(lines) if lines else type(e).__name__


def weights_unavailable(args, torch, torchvision, e):
    """The message when --weights could not be loaded: where the file must be."""
    where = os.path.join(torch.hub.get_dir(), "checkpoints")
    name = ""
    try:
        url = torchvision.models.get_model_weights(args.model)[args.weights].url
        name = os.path.basename(url)
        where = os.path.join(where, name)
    except Exception:
        url = ""
    cause, seen = e, set()
    while cause is not None and id(cause) not in seen:  # the root cause: URLError, HTTPError, ...
        seen.add(id(cause))
        if cause.__cause__ is None and cause.__context__ is None:
            break
        cause = cause.__cause__ or cause.__context__
    what = f"{type(cause).__name__}: {full_text(cause)}"
    if name and not os.path.exists(where):
        return (f"--weights {args.weights}: the weights of {args.model} are not in torch's hub cache ({where}) and "
                f"could not be downloaded from {url} ({what}): copy the file there (or set TORCH_HOME), or give a "
                "state_dict with --checkpoint")
    return f"--weights {args.weights}: cannot load the weights of {args.model} ({where}): {what}"


def checkpoint_mismatch(args, model, state, e):
    """The message when a state_dict does not fit the model: the lines that
    matter (missing and unexpected keys, size mismatches, a few of each) and
    what to try."""
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    sizes = [(k, tuple(state[k].shape), tuple(own[k].shape)) for k in own
             if k in state and hasattr(state[k], "shape") and tuple(state[k].shape) != tuple(own[k].shape)]

    def few(keys):
        return ", ".join(keys[:6]) + (f" and {len(keys) - 6} more" if len(keys) > 6 else "")
    parts = []
    if sizes:
        parts.append("size mismatch: " + "; ".join(f"{k} {a} in the checkpoint, {b} in the model" for k, a, b in sizes[:4])
                     + (f"; and {len(sizes) - 4} more" if len(sizes) > 4 else ""))
    if missing:
        parts.append(f"missing from the checkpoint: {few(missing)}")
    if unexpected:
        parts.append(f"not in the model: {few(unexpected)}")
    if not parts:
        parts.append(full_text(e))
    hints = []
    # The classifier's output channels are the last dimension 0 that differs.
    classes = [a[0] for k, a, b in sizes if len(a) >= 1 and len(b) >= 1 and a[0] != b[0] and k.endswith("weight")
               and "aux" not in k]
    if classes:
        hints.append(f"the checkpoint has {classes[-1]} classes: --num-classes {classes[-1]}")
    if any(k.startswith("aux_classifier.") for k in unexpected) and args.model:
        hints.append("it holds an auxiliary head (aux_classifier.*, as torchvision's official weights do): --aux-loss")
    if any(k.startswith("aux_classifier.") for k in missing) and args.model:
        hints.append("it has no auxiliary head: drop --aux-loss")
    if all(k.startswith("module.") for k in unexpected) and unexpected:
        hints.append("its keys start with 'module.' (saved from DataParallel): strip that prefix")
    return (f"{args.checkpoint}: does not fit the model: " + " | ".join(parts)
            + (" | try: " + "; ".join(hints) if hints else ""))


def default_layer(model, torch):
    """The final classifier: the last Conv2d/Linear outside auxiliary heads."""
    last = None
    for name, m in model.named_modules():
        if "aux" in name.lower():
            continue
        if isinstance(m, (torch.nn.Conv2d, torch.nn.Conv3d, torch.nn.Linear)):
            last = name
    if last is None:
        raise UsageError("the model has no Conv2d/Conv3d/Linear layer to take as the classifier: name one with --layer "
                         "(see --list-layers)")
    return last


def classifier_group(model, torch, last):
    """The classifiers whose outputs the model adds up to its logits.

    A head like LRASPP's returns low_classifier(low) + high_classifier(high):
    two 1×1 convolutions with as many outputs (the classes) side by side in
    one module. Its logits are then one linear map of the two inputs
    concatenated (at the finer grid, where the coarser input is upsampled as
    the head does), so that concatenation is the per-pixel representation
    the model classifies from, and the default layer; the input of `last`
    alone would be part of it. Returns the sibling 1×1 convolutions of
    `last` with its number of outputs, in the model's order ([last] for
    other heads)."""
    if "." not in last:
        return [last]
    parent_name = last.rsplit(".", 1)[0]
    modules = dict(model.named_modules())
    m = modules[last]
    if not isinstance(m, (torch.nn.Conv2d, torch.nn.Conv3d)) or any(k != 1 for k in m.kernel_size):
        return [last]
    group = []
    for name, c in modules[parent_name].named_children():
        if (isinstance(c, type(m)) and c.out_channels == m.out_channels and all(k == 1 for k in c.kernel_size)
                and "aux" not in name.lower()):
            group.append(parent_name + "." + name)
    return group if last in group else [last]


def first_tensor(x, torch):
    if isinstance(x, torch.Tensor):
        return x
    if isinstance(x, dict):
        x = list(x.values())
    if isinstance(x, (list, tuple)):
        for v in x:
            t = first_tensor(v, torch)
            if t is not None:
                return t
    return None


class Stop(Exception):
    """Raised by the hook: nothing after the hooked layer needs to run."""


class Hook:
    """Catches the input or output of one layer, or of several (a group from
    classifier_group: their tensors are concatenated along the channels at
    the finest grid, coarser ones upsampled bilinearly as such heads do)."""

    def __init__(self, model, layer, side, torch):
        layers = layer if isinstance(layer, (list, tuple)) else [layer]
        modules = dict(model.named_modules())
        for ly in layers:
            if ly not in modules:
                close = [n for n in modules if ly in n][:5]
                raise UsageError(f"--layer {ly}: no such layer" + (f" (did you mean {', '.join(close)}?)" if close else "")
                                 + "; see --list-layers")
        self.torch = torch
        self.layers = layers
        self.values = {}
        self.handles = []
        for ly in layers:
            m = modules[ly]
            if side == "input":
                self.handles.append(m.register_forward_pre_hook(lambda mod, args, ly=ly: self._got(ly, args)))
            else:
                self.handles.append(m.register_forward_hook(lambda mod, args, out, ly=ly: self._got(ly, out)))

    def _got(self, layer, x):
        self.values[layer] = first_tensor(x, self.torch)
        if len(self.values) == len(self.layers):
            raise Stop

    def run(self, model, x):
        self.values = {}
        try:
            model(x)
        except Stop:
            pass
        vals = [self.values.get(ly) for ly in self.layers]
        if any(v is None for v in vals):
            raise UsageError("the hooked layer did not run, or gave no tensor")
        if len(vals) == 1:
            return vals[0]
        size = max((v.shape[2:] for v in vals), key=lambda sh: math.prod(sh))
        F = self.torch.nn.functional
        mode = "bilinear" if len(size) == 2 else "trilinear"
        vals = [v if v.shape[2:] == size else F.interpolate(v, size=size, mode=mode, align_corners=False) for v in vals]
        return self.torch.cat(vals, dim=1)


def list_layers(model, args, torch, device):
    # A small image is enough: a layer's grid, as a fraction of the image, is
    # the same for every size that is a multiple of the backbone's stride.
    h, w = args.size or (256, 256)
    shapes = {}
    handles = []
    for name, m in model.named_modules():
        if not name:
            continue

        def hook(module, inp, out, name=name):
            ti, to = first_tensor(inp, torch), first_tensor(out, torch)
            shapes[name] = (tuple(ti.shape) if ti is not None else None, tuple(to.shape) if to is not None else None)
        handles.append(m.register_forward_hook(hook))
    with torch.no_grad():
        model(torch.zeros(1, 3, h, w, device=device))
    for hd in handles:
        hd.remove()
    group = classifier_group(model, torch, default_layer(model, torch))
    default = " + ".join(group)
    print(f"layers of the model for one {h}x{w} image (input shape -> output shape); "
          f"default: the input of {default}" + (" (concatenated)" if len(group) > 1 else ""))
    for name, m in model.named_modules():
        if not name or name not in shapes:
            continue
        si, so = shapes[name]
        grid = ""
        if so is not None and len(so) == 4:
            if so[2] == 1 and so[3] == 1 and h > 1 and w > 1:
                grid = "  1x1: pooled, no grid"
            elif so[2] and h % so[2] == 0 and w % so[3] == 0 and h // so[2] == w // so[3]:
                grid = f"  grid 1/{h // so[2]}"
            else:
                grid = "  grid does not divide the image"
        mark = "   <- default (its input)" if name in group else ""
        print(f"{name:40s} {type(m).__name__:22s} {str(si):22s} -> {str(so)}{grid}{mark}")


def adapt_bn(model, batches, torch):
    """Re-estimates the statistics of every BatchNorm layer of model on batches.

    AdaBN (Li et al., 2016): each BatchNorm layer's running mean and variance
    are reset and replaced by the cumulative average over the batches of the
    batch statistics, μ = (1/B) Σ_b mean_b(x), σ² = (1/B) Σ_b var_b(x)
    (unbiased within a batch, as PyTorch keeps it): one forward pass in train
    mode with momentum None and no gradients. The affine weights are kept;
    the model is left in eval mode. Returns the number of layers re-estimated.
    """
    bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    saved = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    model.train()
    try:
        with torch.no_grad():
            for x in batches:
                model(x)
    finally:
        for m, mom in zip(bns, saved):
            m.momentum = mom
        model.eval()
    return len(bns)


# ---------------------------------------------------------------- the data

def read_image(path, size, multiple):
    from PIL import Image
    try:
        im = Image.open(path)
        im.load()
    except Exception as e:
        raise UsageError(f"{path}: not an image ({full_text(e)})")
    im = im.convert("RGB")
    target = size or fit_multiple(im.height, im.width, multiple)
    if target != (im.height, im.width):
        im = im.resize((target[1], target[0]), Image.BILINEAR)
    return np.asarray(im, dtype=np.float32) / 255.0, target


def fit_multiple(h, w, m):
    if m <= 1:
        return h, w
    return max(m, int(round(h / m)) * m), max(m, int(round(w / m)) * m)


def read_label(path):
    if path.lower().endswith(".npy"):
        try:
            a = np.load(path, allow_pickle=False)
        except Exception as e:
            raise UsageError(f"{path}: not a .npy array ({full_text(e)})")
        a = np.squeeze(a)
    else:
        from PIL import Image
        try:
            im = Image.open(path)
            im.load()
        except Exception as e:
            raise UsageError(f"{path}: not an image ({full_text(e)})")
        if im.mode not in ("L", "P", "I", "I;16", "I;16B", "I;16L", "1"):
            raise UsageError(f"{path}: a {im.mode} image; label maps must be gray or palette images (class index per pixel)")
        a = np.asarray(im)
    if a.ndim != 2:
        raise UsageError(f"{path}: label map of shape {a.shape}, want (H, W)")
    if not np.issubdtype(a.dtype, np.integer) and a.dtype != np.bool_:
        if not np.all(np.isfinite(a)) or not np.all(a == np.round(a)):
            raise UsageError(f"{path}: label map holds non-integer values")
    return a


def resize_labels(a, size):
    h, w = a.shape
    H, W = size
    rows = np.minimum((np.arange(H) * h) // H, h - 1)
    cols = np.minimum((np.arange(W) * w) // W, w - 1)
    return a[rows][:, cols]


def label_dtype(a):
    lo, hi = int(a.min()), int(a.max())
    if lo >= 0 and hi <= 255:
        return np.uint8
    if lo >= 0 and hi <= 65535:
        return np.uint16
    return np.int32


# ---------------------------------------------------------------- writing

SAFETENSORS_DTYPES = {np.dtype(np.float32): "F32", np.dtype(np.float16): "F16", np.dtype(np.uint8): "U8",
                      np.dtype(np.uint16): "U16", np.dtype(np.int32): "I32"}


def write_safetensors(path, arrays):
    header, offset, blobs = {}, 0, []
    for name, a in arrays.items():
        a = np.ascontiguousarray(a)
        b = a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": SAFETENSORS_DTYPES[a.dtype], "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


class Progress:
    def __init__(self, total, quiet, unit="images"):
        self.total, self.quiet, self.done, self.t0, self.unit = total, quiet, 0, time.time(), unit
        self.tty = sys.stderr.isatty()

    def step(self, n, note=""):
        self.done += n
        if self.quiet:
            return
        frac = self.done / max(self.total, 1)
        bar = "#" * int(30 * frac) + "-" * (30 - int(30 * frac))
        el = time.time() - self.t0
        eta = el / frac - el if frac > 0 else 0
        line = f"[{bar}] {self.done}/{self.total} {self.unit}  {el:.0f}s elapsed, {eta:.0f}s left {note}"
        if self.tty:
            sys.stderr.write("\r" + line)
            if self.done >= self.total:
                sys.stderr.write("\n")
        elif self.done >= self.total or self.done == n:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()


def export(args):
    try:
        import torch
    except ImportError:
        raise UsageError("PyTorch is not installed (Debian: apt-get install python3-torch python3-torchvision python3-pil)")
    threads = args.threads
    if threads is None:
        threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if threads < 1:
        raise UsageError("--threads must be at least 1")
    torch.set_num_threads(threads)
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(device)
    except RuntimeError as e:
        raise UsageError(f"--device {args.device}: {full_text(e)}")
    model = load_model(args, torch).to(device)
    if args.volumes:
        export_volumes(args, model, torch, device)
        return
    if args.list_layers:
        list_layers(model, args, torch, device)
        return
    if not args.images or not args.out:
        raise UsageError("--images and --out are needed (or --list-layers)")
    if args.batch_size < 1:
        raise UsageError("--batch-size must be at least 1")
    images = list_files(args.images, IMAGE_EXTS, "images")
    labels = None
    if args.labels:
        labels = list_files(args.labels, LABEL_EXTS, "label maps")
        for s, p in images.items():
            if s not in labels:
                raise UsageError(f"{p}: no label map with stem {s!r} in {args.labels}")
        for s, p in labels.items():
            if s not in images:
                raise UsageError(f"{p}: no image with stem {s!r} in {args.images}")
    if args.adapt_bn:
        def batches():
            mean = torch.tensor(args.mean, device=device).view(1, 3, 1, 1)
            std = torch.tensor(args.std, device=device).view(1, 3, 1, 1)
            stems, i = list(images), 0
            while i < len(stems):
                first, size = read_image(images[stems[i]], args.size, args.multiple)
                batch, j = [first], i + 1
                while j < len(stems) and len(batch) < args.batch_size:
                    img, sz = read_image(images[stems[j]], args.size, args.multiple)
                    if sz != size:
                        break
                    batch.append(img)
                    j += 1
                yield (torch.from_numpy(np.stack(batch)).permute(0, 3, 1, 2).to(device) - mean) / std
                i = j
        if adapt_bn(model, batches(), torch) == 0:
            print("export_features: warning: --adapt-bn: the model has no BatchNorm layer; nothing re-estimated",
                  file=sys.stderr)
    layer = args.layer or classifier_group(model, torch, default_layer(model, torch))
    side = args.hook if args.hook != "auto" else ("output" if args.layer else "input")
    hook = Hook(model, layer, side, torch)
    if isinstance(layer, list):
        if len(layer) > 1 and not args.quiet:
            print(f"export_features: the model adds the outputs of {' and '.join(layer)}: exporting their inputs "
                  "concatenated (at the finer grid), the whole per-pixel representation it classifies from",
                  file=sys.stderr)
        layer = "+".join(layer)

    out = args.out
    bundle = out.lower().endswith((".npz", ".safetensors"))
    if bundle:
        if os.path.exists(out) and not args.overwrite:
            raise UsageError(f"{out}: exists (--overwrite replaces it)")
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    else:
        fdir = os.path.join(out, "features")
        ldir = os.path.join(out, "labels")
        os.makedirs(fdir, exist_ok=True)
        if labels:
            os.makedirs(ldir, exist_ok=True)
        if not args.overwrite and any(n.endswith(".npy") for n in os.listdir(fdir)):
            raise UsageError(f"{fdir}: holds features already (--overwrite replaces them)")

    mean = torch.tensor(args.mean, device=device).view(1, 3, 1, 1)
    std = torch.tensor(args.std, device=device).view(1, 3, 1, 1)
    dtype = np.float16 if args.dtype == "float16" else np.float32
    stems = list(images)
    progress = Progress(len(stems), args.quiet)
    feats_all, labels_all = [], []
    nonfinite = 0
    shape_seen = None
    i = 0
    while i < len(stems):
        # A batch: consecutive images of one size.
        first, size = read_image(images[stems[i]], args.size, args.multiple)
        batch, sizes = [(stems[i], first)], size
        j = i + 1
        while j < len(stems) and len(batch) < args.batch_size:
            img, sz = read_image(images[stems[j]], args.size, args.multiple)
            if sz != sizes:
                break
            batch.append((stems[j], img))
            j += 1
        x = torch.from_numpy(np.stack([b[1] for b in batch])).permute(0, 3, 1, 2).to(device)
        x = (x - mean) / std
        with torch.no_grad():
            f = hook.run(model, x)
        if f.dim() != 4 or f.shape[0] != len(batch):
            raise UsageError(f"layer {layer} ({side}) gives a tensor of shape {tuple(f.shape)}; want (batch, C, h, w): "
                             "pick a convolutional layer (see --list-layers)")
        H, W = sizes
        h, w = f.shape[2], f.shape[3]
        if H % h or W % w:
            raise UsageError(f"{images[batch[0][0]]}: the {h}x{w} feature grid of {layer} does not divide the "
                             f"{H}x{W} image: use --size or --multiple so that it does")
        f = f.float().cpu().numpy().astype(dtype)
        nonfinite += int(np.size(f) - np.count_nonzero(np.isfinite(f)))
        for k, (s, _) in enumerate(batch):
            lab = None
            if labels:
                lab = read_label(labels[s])
                if lab.shape != (H, W):
                    lab = resize_labels(lab, (H, W))
                    resized = True
                else:
                    resized = False
            if bundle:
                if shape_seen is None:
                    shape_seen = (f.shape[1:], (H, W))
                elif shape_seen != (f.shape[1:], (H, W)):
                    raise UsageError(f"{images[s]}: size {H}x{W} differs from the first image's "
                                     f"{shape_seen[1][0]}x{shape_seen[1][1]}; a bundle needs one size (use --size)")
                feats_all.append(f[k])
                if lab is not None:
                    labels_all.append(lab.astype(label_dtype(lab)))
            else:
                np.save(os.path.join(fdir, s + ".npy"), f[k : k + 1])
                if lab is not None:
                    src = labels[s]
                    if not resized:
                        ext = os.path.splitext(src)[1].lower()
                        if ext in (".png", ".npy"):
                            with open(src, "rb") as fi, open(os.path.join(ldir, s + ext), "wb") as fo:
                                fo.write(fi.read())
                            continue
                    np.save(os.path.join(ldir, s + ".npy"), lab.astype(label_dtype(lab)))
        progress.step(len(batch), f"(features {f.shape[1]}x{h}x{w})")
        i = j

    if bundle:
        arrays = {"features": np.stack(feats_all)}
        if labels_all:
            arrays["labels"] = np.stack(labels_all)
        if out.lower().endswith(".npz"):
            np.savez(out, **arrays)
        else:
            write_safetensors(out, arrays)
    if nonfinite:
        print(f"export_features: warning: {nonfinite} feature values are not finite"
              + (" (float16 overflows beyond ±65504: use --dtype float32)" if dtype == np.float16 else ""),
              file=sys.stderr)
    if not args.quiet:
        print(f"export_features: {len(stems)} images, layer {layer} ({side}), features {args.dtype} -> {out}",
              file=sys.stderr)


# ---------------------------------------------------------------- volumes

VOLUME_EXTS = (".nii", ".nii.gz", ".npy")

# NIfTI-1 datatype codes → NumPy types.
NIFTI_DTYPES = {2: np.uint8, 4: np.int16, 8: np.int32, 16: np.float32, 64: np.float64, 256: np.int8,
                512: np.uint16, 768: np.uint32, 1024: np.int64, 1280: np.uint64}


def nifti_header(path):
    """The NIfTI-1 header's dims, datatype, vox_offset, scl_slope and
    scl_inter, and its byte order."""
    import gzip
    opener = gzip.open if path.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            h = f.read(348)
    except OSError as e:
        raise UsageError(f"{path}: not a NIfTI file ({full_text(e)})")
    if len(h) < 348:
        raise UsageError(f"{path}: not a NIfTI file (shorter than a header)")
    for bo in ("<", ">"):
        if struct.unpack(bo + "i", h[:4])[0] == 348:
            break
    else:
        raise UsageError(f"{path}: not a NIfTI-1 file (sizeof_hdr is not 348)")
    dim = struct.unpack(bo + "8h", h[40:56])
    if not 1 <= dim[0] <= 7:
        raise UsageError(f"{path}: NIfTI dim[0] = {dim[0]}")
    datatype = struct.unpack(bo + "h", h[70:72])[0]
    vox_offset, slope, inter = struct.unpack(bo + "3f", h[108:120])
    return list(dim[1:1 + dim[0]]), datatype, int(vox_offset), slope, inter, bo


def read_nifti(path):
    """A NIfTI-1 volume as nibabel's get_fdata() orders it, (X, Y, Z, ...),
    scaled by scl_slope/scl_inter when set."""
    import gzip
    dims, datatype, off, slope, inter, bo = nifti_header(path)
    if datatype not in NIFTI_DTYPES:
        raise UsageError(f"{path}: NIfTI datatype {datatype} is not supported")
    dt = np.dtype(NIFTI_DTYPES[datatype]).newbyteorder(bo)
    n = int(np.prod(dims))
    opener = gzip.open if path.lower().endswith(".gz") else open
    with opener(path, "rb") as f:
        f.read(max(off, 352))
        b = f.read(n * dt.itemsize)
    if len(b) < n * dt.itemsize:
        raise UsageError(f"{path}: truncated: {len(b)} bytes of voxel data, the header claims {n * dt.itemsize}")
    a = np.frombuffer(b, dtype=dt).reshape(dims[::-1]).T  # Fortran order: X fastest
    a = a.astype(np.float32)
    if slope not in (0.0, 1.0) or inter != 0.0:
        a = a * (slope if slope != 0 else 1.0) + inter
    return a


def read_volume(path):
    """A volume as (C, D, H, W) float32."""
    if path.lower().endswith(".npy"):
        try:
            a = np.load(path, allow_pickle=False).astype(np.float32)
        except Exception as e:
            raise UsageError(f"{path}: not a .npy array ({full_text(e)})")
    else:
        a = read_nifti(path)
    if a.ndim == 3:
        a = a[None]
    elif a.ndim == 4 and not path.lower().endswith(".npy"):
        a = np.moveaxis(a, 3, 0)  # NIfTI (X, Y, Z, C) → (C, X, Y, Z)
    if a.ndim != 4:
        raise UsageError(f"{path}: volume of shape {a.shape}, want (D, H, W) or (C, D, H, W)")
    return np.ascontiguousarray(a)


def label_volume_shape(path):
    """The spatial shape of a label volume, from its header."""
    if path.lower().endswith(".npy"):
        try:
            a = np.load(path, mmap_mode="r", allow_pickle=False)
        except Exception as e:
            raise UsageError(f"{path}: not a .npy array ({full_text(e)})")
        return tuple(d for d in a.shape if d != 1) if a.ndim > 3 else tuple(a.shape)
    dims = nifti_header(path)[0]
    while len(dims) > 3 and dims[-1] == 1:
        dims = dims[:-1]
    return tuple(dims)


def export_volumes(args, model, torch, device):
    """The 3-D path: each volume in as (1, C, D, H, W), its features out as
    features/<stem>.npy (1, C, d, h, w) (layout NCDHW), the label volumes
    copied unchanged (otce maps them onto the feature grid when each axis
    is an integer multiple of it)."""
    if args.list_layers:
        raise UsageError("--list-layers shows 2-D image grids: name the layer of a 3-D model with --layer")
    if not args.out or args.out.lower().endswith((".npz", ".safetensors")):
        raise UsageError("--volumes writes per-volume files: --out must be a folder")
    vols = list_files(args.volumes, VOLUME_EXTS, "volumes")
    labels = None
    if args.labels:
        labels = list_files(args.labels, VOLUME_EXTS, "label volumes")
        for s, p in vols.items():
            if s not in labels:
                raise UsageError(f"{p}: no label volume with stem {s!r} in {args.labels}")
    layer = args.layer or classifier_group(model, torch, default_layer(model, torch))
    side = args.hook if args.hook != "auto" else ("output" if args.layer else "input")
    hook = Hook(model, layer, side, torch)
    if isinstance(layer, list):
        layer = "+".join(layer)
    fdir, ldir = os.path.join(args.out, "features"), os.path.join(args.out, "labels")
    os.makedirs(fdir, exist_ok=True)
    if labels:
        os.makedirs(ldir, exist_ok=True)
    if not args.overwrite and any(n.endswith(".npy") for n in os.listdir(fdir)):
        raise UsageError(f"{fdir}: holds features already (--overwrite replaces them)")
    dtype = np.float16 if args.dtype == "float16" else np.float32
    progress = Progress(len(vols), args.quiet, "volumes")
    nonfinite = 0
    for s, path in vols.items():
        v = read_volume(path)
        if args.volume_norm == "zscore":
            sd = float(v.std())
            v = (v - float(v.mean())) / (sd if sd > 0 else 1.0)
        if labels:
            ls = label_volume_shape(labels[s])
            if tuple(ls) != tuple(v.shape[1:]):
                raise UsageError(f"{labels[s]}: label volume of shape {tuple(ls)}, but {path} is {tuple(v.shape[1:])}")
        with torch.no_grad():
            f = hook.run(model, torch.from_numpy(v)[None].to(device))
        if f.dim() != 5 or f.shape[0] != 1:
            raise UsageError(f"layer {layer} ({side}) gives a tensor of shape {tuple(f.shape)}; want (1, C, d, h, w): "
                             "pick a 3-D convolutional layer")
        grid, full = tuple(f.shape[2:]), tuple(v.shape[1:])
        if any(n % g for n, g in zip(full, grid)):
            raise UsageError(f"{path}: the {'x'.join(map(str, grid))} feature grid of {layer} does not divide the "
                             f"{'x'.join(map(str, full))} volume on every axis: crop or pad the volumes")
        f = f.float().cpu().numpy().astype(dtype)
        nonfinite += int(np.size(f) - np.count_nonzero(np.isfinite(f)))
        np.save(os.path.join(fdir, s + ".npy"), f)
        if labels:
            src = labels[s]
            ext = ".nii.gz" if src.lower().endswith(".nii.gz") else os.path.splitext(src)[1].lower()
            with open(src, "rb") as fi, open(os.path.join(ldir, s + ext), "wb") as fo:
                fo.write(fi.read())
        progress.step(1, f"(features {f.shape[1]}x{'x'.join(map(str, grid))})")
    if nonfinite:
        print(f"export_features: warning: {nonfinite} feature values are not finite", file=sys.stderr)
    if not args.quiet:
        print(f"export_features: {len(vols)} volumes, layer {layer} ({side}), features {args.dtype} -> {args.out}",
              file=sys.stderr)


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        export(args)
    except UsageError as e:
        print(f"export_features: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # a user's model or file: the whole message on one line, no traceback
        print(f"export_features: {type(e).__name__}: {full_text(e)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
