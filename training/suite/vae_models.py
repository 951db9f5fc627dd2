"""Variational autoencoders for 28x28 grey images (network code only: no I/O, devices or saving).

Both networks share one shape of interface:

* ``encode(x) -> (mean, logvar)``: the parameters of the diagonal Gaussian q(z|x);
* ``reparameterize(mean, logvar, generator=None) -> z``: ``mean + exp(logvar / 2) * eps`` with
  ``eps ~ N(0, I)`` (from ``generator`` when given), so the sample is a differentiable function of
  the encoder's outputs;
* ``decode(z) -> logits``: Bernoulli logits per pixel, shape (N, 1, 28, 28); ``sigmoid(logits)`` is
  the image. Returning logits lets the loss use ``binary_cross_entropy_with_logits``, which stays
  finite where a sigmoid followed by a logarithm would underflow;
* ``forward(x) -> (logits, mean, logvar)``.

:func:`build_vae` rebuilds a network from the architecture name and config dict stored in a
checkpoint.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import nn

IMAGE_SIDE = 28


@dataclass
class MLPVAEConfig:
    """Everything needed to rebuild an :class:`MLPVAE`."""

    latent_dim: int = 2
    hidden: int = 256

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ConvVAEConfig:
    """Everything needed to rebuild a :class:`ConvVAE`; ``widths`` are the three encoder stages."""

    latent_dim: int = 2
    widths: list[int] = field(default_factory=lambda: [32, 64, 128])

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class VAEBase(nn.Module):
    """The parts every VAE shares: reparameterization and the forward pass."""

    latent_dim: int

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    @staticmethod
    def reparameterize(mean: torch.Tensor, logvar: torch.Tensor,
                       generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw z ~ N(mean, exp(logvar)) as a differentiable function of mean and logvar. ``eps`` comes
        from torch's global random state on ``mean``'s device, or, given a ``generator`` (a CPU one),
        drawn on the CPU, the same draws on every device, then moved to ``mean``'s."""
        if generator is None:
            eps = torch.randn_like(mean)
        else:
            eps = torch.randn(mean.shape, generator=generator, dtype=mean.dtype).to(mean.device)
        return mean + torch.exp(0.5 * logvar) * eps

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(N, 1, 28, 28) images in 0..1 -> (logits of the reconstruction, mean, logvar)."""
        mean, logvar = self.encode(x)
        return self.decode(self.reparameterize(mean, logvar)), mean, logvar


class MLPVAE(VAEBase):
    """784 -> hidden -> (mean, logvar) encoder and latent -> hidden -> 784 decoder, ReLU between."""

    def __init__(self, config: MLPVAEConfig | None = None) -> None:
        super().__init__()
        self.config = config or MLPVAEConfig()
        c = self.config
        self.latent_dim = c.latent_dim
        pixels = IMAGE_SIDE * IMAGE_SIDE
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(pixels, c.hidden), nn.ReLU())
        # One linear layer emits mean and log-variance together; chunk splits them.
        self.to_stats = nn.Linear(c.hidden, 2 * c.latent_dim)
        self.decoder = nn.Sequential(nn.Linear(c.latent_dim, c.hidden), nn.ReLU(), nn.Linear(c.hidden, pixels),
                                     nn.Unflatten(1, (1, IMAGE_SIDE, IMAGE_SIDE)))

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, logvar = self.to_stats(self.encoder(x)).chunk(2, dim=1)
        return mean, logvar

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)


class ConvVAE(VAEBase):
    """Strided 3x3 convolutions 28 -> 14 -> 7 -> 4 (widths 32-64-128), a linear map to the latent
    statistics, and the mirror image back up with transposed convolutions 4 -> 7 -> 14 -> 28."""

    def __init__(self, config: ConvVAEConfig | None = None) -> None:
        super().__init__()
        self.config = config or ConvVAEConfig()
        c = self.config
        if len(c.widths) != 3:
            raise ValueError(f"ConvVAE needs three widths (28 -> 14 -> 7 -> 4), got {c.widths}")
        self.latent_dim = c.latent_dim
        w1, w2, w3 = c.widths
        self.encoder = nn.Sequential(
            nn.Conv2d(1, w1, 3, stride=2, padding=1), nn.ReLU(),   # 28 -> 14
            nn.Conv2d(w1, w2, 3, stride=2, padding=1), nn.ReLU(),  # 14 -> 7
            nn.Conv2d(w2, w3, 3, stride=2, padding=1), nn.ReLU(),  # 7 -> 4
            nn.Flatten(),
        )
        features = w3 * 4 * 4
        self.to_stats = nn.Linear(features, 2 * c.latent_dim)
        self.decoder = nn.Sequential(
            nn.Linear(c.latent_dim, features), nn.ReLU(), nn.Unflatten(1, (w3, 4, 4)),
            # output_padding picks the odd or even size: 4 -> 7 needs none, 7 -> 14 and 14 -> 28 need 1.
            nn.ConvTranspose2d(w3, w2, 3, stride=2, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(w2, w1, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
            nn.ConvTranspose2d(w1, 1, 3, stride=2, padding=1, output_padding=1),
        )

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, logvar = self.to_stats(self.encoder(x)).chunk(2, dim=1)
        return mean, logvar

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)


VAE_PREFIX = "vae-"
"""Every VAE architecture name starts with this, so a checkpoint's name says whether it is a VAE."""

VAE_REGISTRY: dict[str, tuple[type[VAEBase], type]] = {
    "vae-mlp": (MLPVAE, MLPVAEConfig),
    "vae-conv": (ConvVAE, ConvVAEConfig),
}
"""Checkpoint architecture name -> (network class, config dataclass)."""

ARCH_NAMES: dict[str, str] = {"mlp": "vae-mlp", "conv": "vae-conv"}
"""Short names used on the command line -> checkpoint architecture names."""


def build_vae(arch: str, config: dict[str, Any] | None = None) -> VAEBase:
    """Build the VAE called ``arch`` (``mlp``/``conv`` or ``vae-mlp``/``vae-conv``) from a config dict.

    Raises ValueError for an unknown architecture and TypeError for a config key it does not know.
    """
    name = ARCH_NAMES.get(arch, arch)
    if name not in VAE_REGISTRY:
        raise ValueError(f"unknown VAE architecture {arch!r}; choose {', '.join(ARCH_NAMES)}")
    model_cls, config_cls = VAE_REGISTRY[name]
    return model_cls(config_cls(**(config or {})))
