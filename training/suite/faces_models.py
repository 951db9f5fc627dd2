"""A deep convolutional autoencoder for 64x64 grey faces (network code only: no I/O, devices or saving).

``faces-conv``: four stride-2 convolutions take 64 -> 32 -> 16 -> 8 -> 4 (widths 32-64-128-128 by
default), a linear layer squeezes the 4x4 feature map into a small code (64 numbers by default,
1/64 of the 4,096 pixels), and the mirror image decodes it: a linear layer back to 4x4 features,
then four stride-2 transposed convolutions up to 64x64 and a 3x3 convolution to one channel of
logits. The denoising autoencoder is the same network trained on corrupted faces (the task's
``noise``), so one architecture serves both.

Like the Fashion-MNIST networks it exposes ``encode`` and ``decode_logits``; ``forward`` returns
``sigmoid(decode_logits(encode(x)))``, an image in 0..1.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from itertools import pairwise
from typing import Any

from torch import nn

from training.suite.autoencoder import LogitAutoencoder

FACE_SIDE = 64


@dataclass
class FacesAEConfig:
    """Everything needed to rebuild a :class:`FacesAutoencoder`: encoder widths per stride-2 stage
    (the map is ``64 / 2**len(widths)`` pixels wide at the bottom) and the code length."""

    widths: list[int] = field(default_factory=lambda: [32, 64, 128, 128])
    code: int = 64

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _down(c_in: int, c_out: int) -> list[nn.Module]:
    # The conv bias is redundant in front of batch norm, which has its own shift.
    return [nn.Conv2d(c_in, c_out, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]


def _up(c_in: int, c_out: int) -> list[nn.Module]:
    # kernel 4, stride 2, padding 1 doubles the size exactly (no output_padding guesswork).
    return [nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]


class FacesAutoencoder(LogitAutoencoder):
    """64x64 face -> ``config.code`` numbers -> 64x64 face (see the module docstring)."""

    def __init__(self, config: FacesAEConfig | None = None) -> None:
        super().__init__()
        self.config = c = config or FacesAEConfig()
        self.side = FACE_SIDE
        if not c.widths or FACE_SIDE % 2 ** len(c.widths):
            raise ValueError(f"widths {c.widths}: need 1..6 stride-2 stages for a {FACE_SIDE}-pixel face")
        if c.code < 1:
            raise ValueError(f"code length must be at least 1, got {c.code}")
        self.bottom = FACE_SIDE // 2 ** len(c.widths)
        features = c.widths[-1] * self.bottom * self.bottom
        down: list[nn.Module] = []
        for a, b in pairwise([1, *c.widths]):
            down += _down(a, b)
        self.encoder = nn.Sequential(*down, nn.Flatten(), nn.Linear(features, c.code))
        up: list[nn.Module] = [nn.Linear(c.code, features), nn.ReLU(),
                               nn.Unflatten(1, (c.widths[-1], self.bottom, self.bottom))]
        rev = c.widths[::-1]
        for a, b in pairwise([*rev, rev[-1]]):
            up += _up(a, b)
        up.append(nn.Conv2d(rev[-1], 1, 3, padding=1))
        self.decoder = nn.Sequential(*up)


FACES_ARCHS: dict[str, type[nn.Module]] = {"faces-conv": FacesAutoencoder}
"""Checkpoint architecture name -> network class."""


def build_faces_model(arch: str = "faces-conv", config: dict[str, Any] | None = None) -> FacesAutoencoder:
    """Build ``arch`` from a config dict (missing fields take defaults; unknown ones raise TypeError)."""
    if arch not in FACES_ARCHS:
        raise ValueError(f"unknown faces architecture {arch!r}; choose {', '.join(FACES_ARCHS)}")
    return FacesAutoencoder(FacesAEConfig(**(config or {})))
