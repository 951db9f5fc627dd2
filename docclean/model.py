"""Network definitions for the page denoiser (network code only: no I/O, devices or saving).

The default network, :class:`DocUNet`, is a small U-Net that works at a reduced resolution:

* the page is pixel-unshuffled by ``unshuffle`` (a lossless space-to-depth), so every convolution
  runs on ``1/unshuffle**2`` of the positions; this is what makes a 300-dpi page affordable on a CPU;
* an encoder of strided convolutions widens the receptive field to a few hundred pixels, enough to
  see a stain or a shadow around a letter that is 40 pixels tall at 300 dpi;
* the decoder adds skip connections back and predicts a residual that is pixel-shuffled to full
  resolution and added to the input (a global residual: the identity is easy to learn).

Any page size works: the input is padded by reflection to a multiple of :meth:`DocUNet.multiple`
and the output is cropped back.

With ``background=True`` the network first estimates the paper's brightness with a cheap
low-resolution max/avg pool on the unshuffled page (:func:`estimate_background`), sees both the
page and the page divided by that estimate, and predicts a residual on the divided page. Dividing
by the background turns shadows, yellowed paper and stains into flat white paper and keeps faint
ink as a fixed share of the paper's brightness, so the network sees faint strokes on dark paper the
same way it sees them on white. The estimate is part of ``forward``, so every backend and export
gets it. Old checkpoints have no ``background`` field and load with the old behaviour.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class DocUNetConfig:
    """Everything needed to rebuild a :class:`DocUNet` (stored in every checkpoint)."""

    unshuffle: int = 2
    widths: list[int] = field(default_factory=lambda: [32, 64, 96, 128])
    blocks: list[int] = field(default_factory=lambda: [1, 2, 2, 2])
    background: bool = False
    background_cell: int = 8

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class ConvAct(nn.Sequential):
    """3x3 convolution followed by a leaky ReLU (cheap on CPU, no dead units)."""

    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__(nn.Conv2d(cin, cout, 3, stride=stride, padding=1), nn.LeakyReLU(0.1, inplace=True))


class ResBlock(nn.Module):
    """Two 3x3 convolutions with an identity shortcut."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(width, width, 3, padding=1)
        self.conv2 = nn.Conv2d(width, width, 3, padding=1)
        self.act = nn.LeakyReLU(0.1, inplace=True)
        # A small residual branch at start keeps deep stacks stable without normalisation layers.
        with torch.no_grad():
            self.conv2.weight.mul_(0.1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(self.act(self.conv1(x)))


def estimate_background(u: torch.Tensor, cells: int = 2) -> torch.Tensor:
    """Paper brightness from a pixel-unshuffled page ``u`` (N, r*r, h, w; h and w multiples of
    ``cells``), at the unshuffled resolution (N, 1, h, w): the brightest pixel of each block of
    ``cells`` x ``cells`` positions, then a 5x5 max (so strokes up to about 4 blocks wide vanish) and
    a 5x5 mean (smooth), upsampled bilinearly. Nothing here runs at full resolution, so it costs a
    few percent of even a small network."""
    b = F.max_pool2d(u.amax(dim=1, keepdim=True), cells)
    b = F.max_pool2d(F.pad(b, (2, 2, 2, 2), mode="replicate"), 5, stride=1)
    b = F.avg_pool2d(F.pad(b, (2, 2, 2, 2), mode="replicate"), 5, stride=1)
    if cells == 1:
        return b
    return F.interpolate(b, scale_factor=float(cells), mode="bilinear", align_corners=False)


class DocUNet(nn.Module):
    """U-Net on a pixel-unshuffled page that predicts a residual; input and output are (N, 1, H, W)
    in 0..1 (output not clamped, so training gradients stay alive; the engine clamps)."""

    def __init__(self, config: DocUNetConfig | None = None) -> None:
        super().__init__()
        self.config = config or DocUNetConfig()
        r, widths, blocks = self.config.unshuffle, self.config.widths, self.config.blocks
        if len(widths) != len(blocks) or not widths:
            raise ValueError("widths and blocks must be non-empty lists of the same length")
        if self.config.background and self.config.background_cell % r:
            raise ValueError("background_cell must be a multiple of unshuffle")
        self.stem = ConvAct(r * r * (2 if self.config.background else 1), widths[0])
        self.enc = nn.ModuleList()
        self.down = nn.ModuleList()
        for i, (w, b) in enumerate(zip(widths, blocks)):
            if i > 0:
                self.down.append(ConvAct(widths[i - 1], w, stride=2))
            self.enc.append(nn.Sequential(*[ResBlock(w) for _ in range(b)]))
        self.up = nn.ModuleList()
        self.dec = nn.ModuleList()
        for i in range(len(widths) - 1, 0, -1):
            # 1x1 projection then nearest upsampling: far cheaper than a transposed 3x3 conv.
            self.up.append(nn.Conv2d(widths[i], widths[i - 1], 1))
            self.dec.append(ConvAct(widths[i - 1], widths[i - 1]))
        self.head = nn.Conv2d(widths[0], r * r, 3, padding=1)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def multiple(self) -> int:
        """Height and width are padded to a multiple of this."""
        m = self.config.unshuffle * 2 ** (len(self.config.widths) - 1)
        if self.config.background:
            m = m * self.config.background_cell // math.gcd(m, self.config.background_cell)
        return m

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        m = self.multiple()
        ph, pw = (-h) % m, (-w) % m
        # An export is traced on a padded example (the runtimes' tiles are padded before they run):
        # asking a traced size for its truth value would only warn.
        padded = not torch.jit.is_tracing() and bool(ph or pw)
        xp = F.pad(x, (0, pw, 0, ph), mode="replicate") if padded else x
        r = self.config.unshuffle
        u = F.pixel_unshuffle(xp, r)
        if self.config.background:
            # Everything after the unshuffle runs at 1/r of the resolution: a full-resolution
            # upsample and division would cost more than a small network.
            bg = estimate_background(u.float(), self.config.background_cell // r).clamp(min=0.05)
            base = (u / bg).clamp(max=1.5).to(u.dtype)
            f = self.stem(torch.cat([u, base], 1))
        else:
            base = u
            f = self.stem(u)
        skips = []
        for i, block in enumerate(self.enc):
            if i > 0:
                f = self.down[i - 1](f)
            f = block(f)
            skips.append(f)
        skips.pop()
        for up, dec in zip(self.up, self.dec):
            f = F.interpolate(up(f), scale_factor=2.0, mode="nearest") + skips.pop()
            f = dec(f)
        out = F.pixel_shuffle(base + self.head(f), r)
        return out[..., :h, :w]


ARCHITECTURES: dict[str, tuple[type[nn.Module], type]] = {"docunet": (DocUNet, DocUNetConfig)}


def build_model(arch: str, config: dict[str, Any] | None = None) -> nn.Module:
    """Build a network by architecture name from a plain config dict (as stored in checkpoints)."""
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch!r}; known: {', '.join(ARCHITECTURES)}")
    model_cls, config_cls = ARCHITECTURES[arch]
    return model_cls(config_cls(**(config or {})))
