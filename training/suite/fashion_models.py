"""Autoencoders for 28x28 Fashion-MNIST images, after the classic Keras tutorials (network code only).

* ``dense``  784 -> 32 -> 784, ReLU code, sigmoid output.
* ``sparse`` the same network; the L1 activity penalty on the code lives in the task's loss
  (``training.suite.fashion``), which reads the code through :meth:`MLPAutoencoder.encode`.
* ``deep``   784-128-64-32-64-128-784.
* ``contractive`` 784 -> 32 -> 784 with a sigmoid code: one dense sigmoid layer, so the Frobenius norm
  of the encoder's Jacobian has a closed form (:meth:`ContractiveAutoencoder.jacobian_penalty`) that
  the task's loss adds (the contractive autoencoder of Rifai et al., 2011).
* ``conv``   conv + batch norm + max-pool encoder down to a 16x4x4 code, conv + nearest upsampling
  decoder back to 28x28 (a valid 3x3 conv takes 16 -> 14 so no padding to 32 is needed), sigmoid
  output. The denoising autoencoder is this network trained on corrupted inputs.

Every model maps (N, 1, 28, 28) in 0..1 to (N, 1, 28, 28) in 0..1 and exposes ``encode`` and
``decode_logits``; losses use the logits (``binary_cross_entropy_with_logits`` is the stable form of
BCE on a sigmoid). Each architecture has a config dataclass; a checkpoint stores the architecture
name and ``asdict(config)``, and :func:`build_fashion_model` rebuilds the network from them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from itertools import pairwise
from typing import Any

import torch
from torch import nn

from training.suite.autoencoder import LogitAutoencoder

ARCH_PREFIX = "fashion-"
"""Checkpoints name architectures ``fashion-<name>`` so they never collide with docclean.model's."""


@dataclass
class MLPAEConfig:
    """A fully connected autoencoder: ``hidden`` widths on the way down (mirrored up), then ``code``."""

    image_size: int = 28
    hidden: list[int] = field(default_factory=list)
    code: int = 32


@dataclass
class ConvAEConfig:
    """The convolutional autoencoder: encoder widths per stage (the last is the code's channels)."""

    channels: list[int] = field(default_factory=lambda: [32, 32, 16])
    batch_norm: bool = True


class MLPAutoencoder(LogitAutoencoder):
    """Dense autoencoder with ReLU layers and a ReLU code (as in the Keras tutorials)."""

    def __init__(self, config: MLPAEConfig) -> None:
        super().__init__()
        self.config = config
        self.side = config.image_size
        pixels = config.image_size * config.image_size
        widths = [pixels, *config.hidden, config.code]
        down: list[nn.Module] = [nn.Flatten()]
        for a, b in pairwise(widths):
            down += [nn.Linear(a, b), nn.ReLU()]
        up: list[nn.Module] = []
        rev = widths[::-1]
        for i, (a, b) in enumerate(pairwise(rev)):
            up.append(nn.Linear(a, b))
            if i < len(rev) - 2:  # no activation on the last layer: it yields logits
                up.append(nn.ReLU())
        self.encoder = nn.Sequential(*down)
        self.decoder = nn.Sequential(*up)
        # Keras initialisation (Glorot-uniform weights, zero biases). With torch's default init about
        # half of the 32 ReLU code units die early under Adam, and test BCE stalls near 0.30.
        for layer in self.modules():
            if isinstance(layer, nn.Linear):
                nn.init.xavier_uniform_(layer.weight)
                nn.init.zeros_(layer.bias)


@dataclass
class ContractiveAEConfig:
    """The contractive autoencoder: one dense sigmoid encoder layer to ``code`` units, one dense decoder layer."""

    image_size: int = 28
    code: int = 32


class ContractiveAutoencoder(LogitAutoencoder):
    """``h = sigmoid(W x + b)``, logits ``= W' h + b'``; the encoder is one layer so that its
    Jacobian ``dh/dx = diag(h (1 - h)) W`` is known exactly."""

    def __init__(self, config: ContractiveAEConfig) -> None:
        super().__init__()
        self.config = config
        self.side = config.image_size
        pixels = config.image_size * config.image_size
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(pixels, config.code), nn.Sigmoid())
        self.decoder = nn.Linear(config.code, pixels)
        for layer in (self.encoder[1], self.decoder):  # Keras initialisation, as for the dense networks
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)

    def jacobian_penalty(self, code: torch.Tensor) -> torch.Tensor:
        """Squared Frobenius norm of the encoder's Jacobian at each input, from its code (N,):
        ``sum_j (h_j (1 - h_j))**2 * sum_i W_ji**2``, exact for the one sigmoid layer (no autograd
        through a Jacobian, so it costs one extra pass over the code)."""
        weight = self.encoder[1].weight  # (code, pixels)
        slope = (code * (1.0 - code)).float()
        return slope.square() @ weight.float().square().sum(dim=1)


def _conv_block(c_in: int, c_out: int, batch_norm: bool, padding: int = 1) -> list[nn.Module]:
    # The conv bias is redundant in front of batch norm, which has its own shift.
    layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, 3, padding=padding, bias=not batch_norm)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(c_out))
    layers.append(nn.ReLU())
    return layers


class ConvAutoencoder(LogitAutoencoder):
    """28 -> 14 -> 7 -> 4 by conv + BN + max-pool; 4 -> 8 -> 16 -(valid conv)-> 14 -> 28 back up."""

    def __init__(self, config: ConvAEConfig) -> None:
        super().__init__()
        if len(config.channels) != 3:
            raise ValueError(f"ConvAEConfig.channels needs 3 widths, got {config.channels}")
        self.config = config
        self.side = 28
        c1, c2, c3 = config.channels
        bn = config.batch_norm
        self.encoder = nn.Sequential(
            *_conv_block(1, c1, bn), nn.MaxPool2d(2),                    # 28 -> 14
            *_conv_block(c1, c2, bn), nn.MaxPool2d(2),                   # 14 -> 7
            *_conv_block(c2, c3, bn), nn.MaxPool2d(2, ceil_mode=True),   # 7 -> 4 (Keras padding="same")
        )
        self.decoder = nn.Sequential(
            *_conv_block(c3, c3, bn), nn.Upsample(scale_factor=2),               # 4 -> 8
            *_conv_block(c3, c2, bn), nn.Upsample(scale_factor=2),               # 8 -> 16
            *_conv_block(c2, c1, bn, padding=0), nn.Upsample(scale_factor=2),    # 16 -> 14 -> 28
            nn.Conv2d(c1, 1, 3, padding=1),
        )


FASHION_ARCHS: dict[str, tuple[type[nn.Module], type, dict[str, Any]]] = {
    "dense": (MLPAutoencoder, MLPAEConfig, {"hidden": [], "code": 32}),
    "sparse": (MLPAutoencoder, MLPAEConfig, {"hidden": [], "code": 32}),
    "deep": (MLPAutoencoder, MLPAEConfig, {"hidden": [128, 64], "code": 32}),
    "contractive": (ContractiveAutoencoder, ContractiveAEConfig, {"code": 32}),
    "conv": (ConvAutoencoder, ConvAEConfig, {}),
}
"""Short name -> (module class, config class, default config fields)."""


def short_arch(arch: str) -> str:
    """``fashion-conv`` or ``conv`` -> ``conv``; raise ValueError for an unknown name."""
    name = arch.removeprefix(ARCH_PREFIX)
    if name not in FASHION_ARCHS:
        raise ValueError(f"unknown Fashion-MNIST architecture {arch!r}; choose {', '.join(FASHION_ARCHS)}")
    return name


def default_config(arch: str) -> dict[str, Any]:
    """The full config dict of an architecture's default network (what a checkpoint stores)."""
    _, config_cls, defaults = FASHION_ARCHS[short_arch(arch)]
    return asdict(config_cls(**defaults))


def build_fashion_model(arch: str, config: dict[str, Any] | None = None) -> nn.Module:
    """Build an architecture by name (``conv`` or ``fashion-conv``) from a config dict.

    Missing fields take the architecture's defaults; unknown fields raise TypeError, so a checkpoint
    from another version fails loudly instead of silently building a different network.
    """
    name = short_arch(arch)
    module_cls, config_cls, defaults = FASHION_ARCHS[name]
    return module_cls(config_cls(**{**defaults, **(config or {})}))
