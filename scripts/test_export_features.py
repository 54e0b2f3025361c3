#!/usr/bin/env python3
"""Tests of export_features.py (issue 19's exporter items), with Debian's
python3-torch and python3-torchvision, on models built with weights=None
and a few small generated images: nothing is downloaded.

Run: /usr/bin/python3 -m unittest discover -s scripts -p test_export_features.py
(cmd/otce's TestExportFeaturesUnittest runs it under `make test`).
"""

import contextlib
import io
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import export_features as ef  # noqa: E402

try:
    import torch
    import torchvision
    from PIL import Image
except ImportError as e:  # pragma: no cover
    raise unittest.SkipTest(f"needs torch, torchvision and PIL: {e}")


def run(argv):
    """Runs the exporter in this process: (exit status, stderr); stdout
    (--list-layers) is dropped."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = ef.main(argv)
    return code, err.getvalue()


def write_images(folder, n, size, labels=None, seed=0):
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    for k in range(n):
        a = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
        Image.fromarray(a).save(os.path.join(folder, f"img{k}.png"))
        if labels:
            os.makedirs(labels, exist_ok=True)
            lab = (np.arange(size)[None, :] * 3 // size + k) % 3
            Image.fromarray(np.repeat(lab, size, 0).astype(np.uint8)).save(os.path.join(labels, f"img{k}.png"))


class ExporterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = cls.tmp.name
        cls.images = os.path.join(cls.dir, "images")
        cls.labels = os.path.join(cls.dir, "labels")
        write_images(cls.images, 2, 64, cls.labels)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def out(self, name):
        return os.path.join(self.dir, name)

    # Item 2: random weights are said.
    def test_random_weights_warn(self):
        model = ["--model", "deeplabv3_mobilenet_v3_large", "--num-classes", "3", "--device", "cpu"]
        code, err = run(model + ["--images", self.images, "--out", self.out("rnd.npz"), "--quiet"])
        self.assertEqual(code, 0, err)
        self.assertIn("random weights", err)
        ck = self.out("dl.pth")
        torch.save(torchvision.models.get_model("deeplabv3_mobilenet_v3_large", weights=None, weights_backbone=None,
                                                num_classes=3).state_dict(), ck)
        code, err = run(model + ["--checkpoint", ck, "--images", self.images, "--out", self.out("ck.npz"), "--quiet"])
        self.assertEqual(code, 0, err)
        self.assertNotIn("random weights", err)
        # A .py model file without --checkpoint: random too.
        py = self.out("mine.py")
        with open(py, "w") as f:
            f.write("import torch\n"
                    "def build_model():\n"
                    "    return torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, stride=4, padding=1), torch.nn.ReLU(),\n"
                    "                               torch.nn.Conv2d(8, 3, 1))\n")
        code, err = run(["--model-file", py, "--images", self.images, "--out", self.out("mine.npz"), "--quiet"])
        self.assertEqual(code, 0, err)
        self.assertIn("random weights", err)

    # Item 3: LRASPP's default is the whole representation its logits are
    # a linear map of; the logits are recomputed from the exported features.
    def test_lraspp_default_layer(self):
        torch.manual_seed(0)
        m = torchvision.models.get_model("lraspp_mobilenet_v3_large", weights=None, weights_backbone=None,
                                         num_classes=3).eval()
        ck = self.out("lraspp.pth")
        torch.save(m.state_dict(), ck)
        out = self.out("lraspp.npz")
        code, err = run(["--model", "lraspp_mobilenet_v3_large", "--num-classes", "3", "--checkpoint", ck,
                         "--images", self.images, "--out", out, "--device", "cpu", "--size", "64x64"])
        self.assertEqual(code, 0, err)
        self.assertIn("classifier.low_classifier and classifier.high_classifier", err)
        f = np.load(out)["features"]
        self.assertEqual(f.shape[1], 40 + 128)  # low (40) and high (128) channels
        # The head's output (before the final upsampling) from the features:
        # W_low·f[:40] + b_low + W_high·f[40:] + b_high.
        got = {}
        m.classifier.register_forward_hook(lambda mod, i, o: got.__setitem__("logits", o))
        img = np.asarray(Image.open(os.path.join(self.images, "img0.png")).convert("RGB"), dtype=np.float32) / 255
        x = torch.from_numpy(img).permute(2, 0, 1)[None]
        x = (x - torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)) / torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
        with torch.no_grad():
            m(x)
            feats = torch.from_numpy(f[:1])
            lo, hi = m.classifier.low_classifier, m.classifier.high_classifier
            want = lo(feats[:, :40]) + hi(feats[:, 40:])
        np.testing.assert_allclose(want.numpy(), got["logits"].numpy(), rtol=1e-4, atol=1e-4)
        # The input of high_classifier alone (the old default) does not give them.
        self.assertGreater(float((hi(feats[:, 40:]) - got["logits"]).abs().max()), 1e-3)

    # Item 5: --weights offline says where the file must be.
    def test_offline_weights(self):
        home = self.out("torchhome")
        env = dict(os.environ, TORCH_HOME=home, https_proxy="http://127.0.0.1:9", http_proxy="http://127.0.0.1:9",
                   HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9", no_proxy="", NO_PROXY="")
        p = subprocess.run([sys.executable, os.path.join(HERE, "export_features.py"), "--model", "fcn_resnet50",
                            "--weights", "DEFAULT", "--list-layers"], env=env, capture_output=True, text=True, timeout=600)
        self.assertEqual(p.returncode, 2, p.stderr)
        last = p.stderr.strip().splitlines()[-1]
        want = os.path.join(home, "hub", "checkpoints", "fcn_resnet50_coco-1167a1af.pth")
        self.assertIn("not in torch's hub cache (" + want + ")", last)
        self.assertIn("--checkpoint", last)
        self.assertIn("could not be downloaded from https://download.pytorch.org/models/fcn_resnet50_coco-1167a1af.pth (", last)

    # Item 6: a checkpoint that does not fit: the lines that matter, and what to try.
    def test_checkpoint_mismatch(self):
        ck = self.out("aux21.pth")
        torch.save(torchvision.models.get_model("deeplabv3_mobilenet_v3_large", weights=None, weights_backbone=None,
                                                num_classes=21, aux_loss=True).state_dict(), ck)
        code, err = run(["--model", "deeplabv3_mobilenet_v3_large", "--num-classes", "4", "--checkpoint", ck,
                         "--list-layers"])
        self.assertEqual(code, 2, err)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        for want in ("does not fit the model", "classifier.4.weight (21, 256, 1, 1) in the checkpoint, (4, 256, 1, 1) in the model",
                     "not in the model: aux_classifier.", "--num-classes 21", "--aux-loss"):
            self.assertIn(want, err)
        code, err = run(["--model", "deeplabv3_mobilenet_v3_large", "--num-classes", "21", "--aux-loss", "--checkpoint", ck,
                         "--images", self.images, "--out", self.out("aux.npz"), "--quiet"])
        self.assertEqual(code, 0, err)
        self.assertEqual(np.load(self.out("aux.npz"))["features"].shape[1], 256)

    # Item 8: --list-layers runs at a small size and gives no grid for 1×1
    # (squeeze-and-excitation) outputs.
    def test_list_layers(self):
        buf, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(err):
            code = ef.main(["--model", "lraspp_mobilenet_v3_large", "--num-classes", "3", "--list-layers"])
        self.assertEqual(code, 0, err.getvalue())
        out = buf.getvalue()
        self.assertIn("for one 256x256 image", out)
        self.assertNotIn("grid 1/256", out)
        se = [ln for ln in out.splitlines() if ".avgpool " in ln or ".fc1 " in ln]
        self.assertTrue(se and all("1x1: pooled, no grid" in ln for ln in se), "\n".join(se))
        self.assertIn("classifier.low_classifier", out)
        self.assertEqual(sum("<- default" in ln for ln in out.splitlines()), 2)

    # Item 12: --threads; the full error text.
    def test_threads(self):
        code, err = run(["--model", "fcn_resnet50", "--num-classes", "2", "--threads", "2", "--list-layers", "--size", "32x32"])
        self.assertEqual(code, 0, err)
        self.assertEqual(torch.get_num_threads(), 2)
        code, err = run(["--model", "fcn_resnet50", "--threads", "0", "--list-layers"])
        self.assertEqual(code, 2)
        self.assertIn("--threads must be at least 1", err)

    def test_full_error_text(self):
        py = self.out("broken.py")
        with open(py, "w") as f:
            f.write("def build_model():\n    raise ValueError('the first line\\nthe second line, which matters')\n")
        code, err = run(["--model-file", py, "--images", self.images, "--out", self.out("x.npz")])
        self.assertEqual(code, 1)
        self.assertIn("ValueError: the first line | the second line, which matters", err)

    # Item 12: the 3-D path — volumes in ((D, H, W) .npy and a gzipped
    # NIfTI read as nibabel orders it), (1, C, d, h, w) features out, the
    # label volumes copied unchanged.
    def test_volumes(self):
        vdir, ldir, out = self.out("vols"), self.out("vlabels"), self.out("vfeats")
        os.makedirs(vdir)
        os.makedirs(ldir)
        rng = np.random.default_rng(3)
        v0 = rng.standard_normal((16, 12, 8)).astype(np.float32)
        v1 = rng.standard_normal((16, 12, 8)).astype(np.float32)
        np.save(os.path.join(vdir, "case0.npy"), v0)
        write_nifti(os.path.join(vdir, "case1.nii.gz"), v1, 16)
        np.save(os.path.join(ldir, "case0.npy"), (v0 > 0).astype(np.uint8))
        write_nifti(os.path.join(ldir, "case1.nii.gz"), (v1 > 0).astype(np.uint8), 2)
        py = self.out("net3d.py")
        with open(py, "w") as f:
            f.write("import torch\n"
                    "def build_model():\n"
                    "    return torch.nn.Sequential(torch.nn.Conv3d(1, 8, 3, stride=2, padding=1), torch.nn.ReLU(),\n"
                    "                               torch.nn.Conv3d(8, 2, 1))\n")
        spec = __import__("importlib.util").util.spec_from_file_location("net3d", py)
        mod = __import__("importlib.util").util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        torch.manual_seed(0)
        net = mod.build_model().eval()
        ck = self.out("net3d.pth")
        torch.save(net.state_dict(), ck)
        code, err = run(["--model-file", py, "--checkpoint", ck, "--volumes", vdir, "--labels", ldir, "--out", out])
        self.assertEqual(code, 0, err)
        for name, v in (("case0", v0), ("case1", v1)):
            f = np.load(os.path.join(out, "features", name + ".npy"))
            self.assertEqual(f.shape, (1, 8, 8, 6, 4))
            with torch.no_grad():
                want = net[1](net[0](torch.from_numpy(v)[None, None])).numpy()
            np.testing.assert_allclose(f, want, rtol=1e-5, atol=1e-5)
        for name in ("case0.npy", "case1.nii.gz"):
            with open(os.path.join(ldir, name), "rb") as a, open(os.path.join(out, "labels", name), "rb") as b:
                self.assertEqual(a.read(), b.read(), name)
        # A label volume of another shape is named.
        np.save(os.path.join(ldir, "case0.npy"), np.zeros((8, 12, 16), np.uint8))
        code, err = run(["--model-file", py, "--checkpoint", ck, "--volumes", vdir, "--labels", ldir, "--out", out,
                         "--overwrite"])
        self.assertEqual(code, 2)
        self.assertIn("case0.npy: label volume of shape (8, 12, 16), but", err)


def write_nifti(path, a, datatype):
    """A minimal NIfTI-1 file (gzipped), voxels in Fortran order as nibabel
    writes them."""
    import gzip
    import struct
    h = bytearray(348)
    struct.pack_into("<i", h, 0, 348)
    struct.pack_into("<8h", h, 40, a.ndim, *a.shape, *([1] * (7 - a.ndim)))
    struct.pack_into("<hh", h, 70, datatype, a.dtype.itemsize * 8)
    struct.pack_into("<8f", h, 76, 1, 1, 1, 1, 1, 1, 1, 1)
    struct.pack_into("<3f", h, 108, 352, 1, 0)
    h[344:348] = b"n+1\0"
    with gzip.open(path, "wb") as f:
        f.write(bytes(h) + b"\0\0\0\0" + np.asfortranarray(a).tobytes(order="F"))


if __name__ == "__main__":
    unittest.main()
