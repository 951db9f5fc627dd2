"""Tiny synthetic pages, and a stand-in network, that the engine-step tests share."""

from __future__ import annotations

import numpy as np


def letter_rows(shape: tuple[int, int], paper: float, rows: range, cols: range, ink: float = 0.15,
                size: tuple[int, int] = (12, 3)) -> np.ndarray:
    """Paper of grey ``paper`` with a short dark bar (a 'letter' ``size`` high and wide, grey
    ``ink``) at every ``rows`` x ``cols`` position: text with no solid area in it."""
    page = np.full(shape, paper, np.float32)
    for y in rows:
        for x in cols:
            page[y:y + size[0], x:x + size[1]] = ink
    return page


class Hollower:
    """A backend that turns every dark area to paper, as the network does to wide ones."""

    name, device, precision, multiple, metadata = "hollower", "cpu", "fp32", 4, {}

    def run(self, tiles: np.ndarray) -> np.ndarray:
        return np.where(tiles < 0.5, 1.0, tiles).astype(np.float32)


class Greyer:
    """A backend that draws every pixel mid-grey: it loses white writing and black fill alike."""

    name, device, precision, multiple, metadata = "greyer", "cpu", "fp32", 4, {}

    def run(self, tiles: np.ndarray) -> np.ndarray:
        return np.full_like(tiles, 0.5, dtype=np.float32)
