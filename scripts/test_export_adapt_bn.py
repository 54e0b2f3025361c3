#!/usr/bin/env python3
"""Tests of export_features.py --adapt-bn (AdaBN), against statistics computed by hand.

  /usr/bin/python3 scripts/test_export_adapt_bn.py
"""

import os
import sys
import tempfile
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import export_features as EF  # noqa: E402

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

MODEL_PY = '''
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(4)
        self.head = nn.Conv2d(4, 2, 1)

    def forward(self, x):
        return self.head(self.bn(self.conv(x)).relu())

def build_model():
    return Net()
'''


@unittest.skipIf(torch is None, "needs PyTorch")
class AdaptBN(unittest.TestCase):
    def model(self):
        torch.manual_seed(0)
        m = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1, bias=False), torch.nn.BatchNorm2d(4),
                                torch.nn.ReLU(), torch.nn.Conv2d(4, 4, 1, bias=False), torch.nn.BatchNorm2d(4))
        # Statistics of some other domain, as a trained model would carry.
        for bn in (m[1], m[4]):
            bn.running_mean.fill_(5.0)
            bn.running_var.fill_(9.0)
            bn.momentum = 0.1
        return m.eval()

    def test_statistics_are_the_mean_of_the_batches(self):
        """μ and σ² of every layer = the average over batches of the batch mean and unbiased variance."""
        m = self.model()
        g = torch.Generator().manual_seed(1)
        batches = [torch.randn(3, 3, 8, 8, generator=g) * 2 + 1 for _ in range(3)]
        n = EF.adapt_bn(m, iter(batches), torch)
        self.assertEqual(n, 2)
        self.assertFalse(m.training)
        for bn in (m[1], m[4]):
            self.assertEqual(bn.momentum, 0.1)  # restored
        # By hand: layer 1 sees conv(x); layer 2 sees conv2(relu(bn1_train(conv(x)))) with each batch's own statistics.
        with torch.no_grad():
            want1_m, want1_v, want2_m, want2_v = [], [], [], []
            for x in batches:
                a = m[0](x)
                mu, var_b = a.mean((0, 2, 3)), a.var((0, 2, 3), unbiased=False)
                want1_m.append(mu)
                want1_v.append(a.var((0, 2, 3), unbiased=True))
                h = (a - mu.view(1, -1, 1, 1)) / torch.sqrt(var_b.view(1, -1, 1, 1) + m[1].eps)
                h = h * m[1].weight.view(1, -1, 1, 1) + m[1].bias.view(1, -1, 1, 1)
                b = m[3](h.relu())
                want2_m.append(b.mean((0, 2, 3)))
                want2_v.append(b.var((0, 2, 3), unbiased=True))
        for got, want in ((m[1].running_mean, want1_m), (m[1].running_var, want1_v),
                          (m[4].running_mean, want2_m), (m[4].running_var, want2_v)):
            np.testing.assert_allclose(got.numpy(), torch.stack(want).mean(0).numpy(), rtol=1e-5, atol=1e-6)

    def test_no_gradients_and_weights_kept(self):
        m = self.model()
        before = {k: v.clone() for k, v in m.state_dict().items() if "running" not in k and "num_batches" not in k}
        EF.adapt_bn(m, iter([torch.randn(2, 3, 4, 4)]), torch)
        for k, v in before.items():
            self.assertTrue(torch.equal(m.state_dict()[k], v), k)
        self.assertTrue(all(p.grad is None for p in m.parameters()))

    def test_no_batchnorm(self):
        m = torch.nn.Conv2d(3, 2, 1)
        self.assertEqual(EF.adapt_bn(m, iter([torch.randn(1, 3, 2, 2)]), torch), 0)

    def test_cli_flag(self):
        """--adapt-bn through main(): the exported embedding equals the model's after adapting by hand."""
        from PIL import Image
        with tempfile.TemporaryDirectory() as d:
            py = os.path.join(d, "net.py")
            with open(py, "w") as f:
                f.write(MODEL_PY)
            torch.manual_seed(3)
            spec = {}
            exec(MODEL_PY, spec)
            net = spec["build_model"]()
            net.bn.running_mean.fill_(3.0)
            net.bn.running_var.fill_(4.0)
            ck = os.path.join(d, "w.pt")
            torch.save(net.state_dict(), ck)
            imgs = os.path.join(d, "images")
            os.makedirs(imgs)
            rng = np.random.default_rng(0)
            arrays = []
            for i in range(5):
                a = (rng.uniform(size=(8, 8, 3)) * 255).astype(np.uint8)
                arrays.append(a)
                Image.fromarray(a).save(os.path.join(imgs, f"im{i}.png"))
            common = ["--model-file", py, "--checkpoint", ck, "--images", imgs, "--multiple", "1", "--quiet",
                      "--batch-size", "2", "--device", "cpu"]
            self.assertEqual(EF.main(common + ["--out", os.path.join(d, "plain.npz")]), 0)
            self.assertEqual(EF.main(common + ["--adapt-bn", "--out", os.path.join(d, "ada.npz")]), 0)
            plain = np.load(os.path.join(d, "plain.npz"))["features"]
            ada = np.load(os.path.join(d, "ada.npz"))["features"]
            # By hand: batches of 2, 2, 1 (sorted names), normalised with ImageNet's mean and std.
            mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
            std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
            xs = [(torch.from_numpy(np.stack(arrays[i:i + 2]).astype(np.float32) / 255).permute(0, 3, 1, 2) - mean) / std
                  for i in (0, 2, 4)]
            net.eval()
            with torch.no_grad():
                conv = [net.conv(x) for x in xs]
                mu = torch.stack([c.mean((0, 2, 3)) for c in conv]).mean(0)
                var = torch.stack([c.var((0, 2, 3), unbiased=True) for c in conv]).mean(0)
                x = torch.cat(xs)
                want_plain = net.bn(net.conv(x)).relu()
                c = net.conv(x)
                want_ada = ((c - mu.view(1, -1, 1, 1)) / torch.sqrt(var.view(1, -1, 1, 1) + net.bn.eps)
                            * net.bn.weight.view(1, -1, 1, 1) + net.bn.bias.view(1, -1, 1, 1)).relu()
            np.testing.assert_allclose(plain, want_plain.numpy(), rtol=1e-5, atol=1e-5)
            np.testing.assert_allclose(ada, want_ada.numpy(), rtol=1e-4, atol=1e-5)
            self.assertGreater(np.abs(plain - ada).max(), 0.1)  # the statistics did change


if __name__ == "__main__":
    unittest.main()
