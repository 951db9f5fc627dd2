"""The shape every teaching-suite autoencoder shares (Fashion-MNIST and faces): an ``encoder``, a
``decoder`` that yields logits, and a sigmoid image out. Losses take the logits
(``binary_cross_entropy_with_logits`` is the stable form of BCE on a sigmoid); evaluation reads the
code through ``encode``."""

from __future__ import annotations

import torch
from torch import nn


class LogitAutoencoder(nn.Module):
    """Base of the suite's autoencoders: subclasses build ``self.encoder`` and ``self.decoder`` and
    set ``self.side``, the square image's side in pixels."""

    encoder: nn.Module
    decoder: nn.Module
    side: int

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 1, side, side) in 0..1 -> the code (its shape is the architecture's)."""
        return self.encoder(x)

    def decode_logits(self, code: torch.Tensor) -> torch.Tensor:
        """Code -> pre-sigmoid image (N, 1, side, side)."""
        return self.decoder(code).view(-1, 1, self.side, self.side)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.decode_logits(self.encode(x)))
