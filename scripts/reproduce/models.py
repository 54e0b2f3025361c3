"""Two small families of segmentation networks for the miniature experiment.

Both map a (B, 3, H, W) image to (B, K, H, W) logits through a backbone with
output stride 4, a per-pixel embedding on the H/4 x W/4 grid and a 1x1
classifier named `head` (the layer scripts/export_features.py takes by
default: its input is the embedding, its output the logits on that grid),
followed by a bilinear upsampling.

  A  "plain": conv-BN-ReLU stacks (16-24-32 channels), embedding 32.
  B  "resdil": residual blocks with dilated 3x3 convolutions (12-24 channels)
     and a 1x1 projection to a 48-dimensional embedding.

`build_a` and `build_b` take no arguments, so that export_features.py can
build them with --model-file models.py --factory build_a|build_b and load a
trained state_dict with --checkpoint.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

K = 7


def cbr(cin, cout, stride=1, dilation=1):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=dilation, dilation=dilation, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class Plain(nn.Module):
    """Family A: conv-BN-ReLU stacks, output stride 4, embedding 32."""

    def __init__(self, k=K):
        super().__init__()
        self.backbone = nn.Sequential(cbr(3, 16, 2), cbr(16, 16), cbr(16, 24, 2), cbr(24, 32), cbr(32, 32))
        self.head = nn.Conv2d(32, k, 1)

    def forward(self, x):
        return F.interpolate(self.head(self.backbone(x)), size=x.shape[2:], mode="bilinear", align_corners=False)


class Res(nn.Module):
    def __init__(self, c, dilation):
        super().__init__()
        self.a = cbr(c, c, dilation=dilation)
        self.b = nn.Sequential(nn.Conv2d(c, c, 3, padding=dilation, dilation=dilation, bias=False), nn.BatchNorm2d(c))

    def forward(self, x):
        return F.relu(x + self.b(self.a(x)))


class ResDil(nn.Module):
    """Family B: residual blocks with dilations 1, 2, 4; embedding 48."""

    def __init__(self, k=K):
        super().__init__()
        self.backbone = nn.Sequential(
            cbr(3, 12, 2), Res(12, 1), cbr(12, 24, 2), Res(24, 2), Res(24, 4),
            nn.Conv2d(24, 48, 1, bias=False), nn.BatchNorm2d(48), nn.ReLU(inplace=True),
        )
        self.head = nn.Conv2d(48, k, 1)

    def forward(self, x):
        return F.interpolate(self.head(self.backbone(x)), size=x.shape[2:], mode="bilinear", align_corners=False)


def build_a():
    """A family-A network with K classes (random weights)."""
    return Plain()


def build_b():
    """A family-B network with K classes (random weights)."""
    return ResDil()


FACTORIES = {"A": build_a, "B": build_b}
