"""Pure functions that cut a page into overlapping tiles and blend processed tiles back.

All tiles of a page share one size, chosen per page so that the fewest tiles of at most the
requested size cover it with little wasted overlap (the last row and column end on the border,
so every tile holds real pixels); neighbours overlap, and the overlap is blended with
weights that fall linearly towards a tile's inner edges. Weights never reach zero and are
normalised per pixel, so an identity model gives back the input exactly.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Tile:
    """A tile's top-left corner and size in page coordinates."""

    y: int
    x: int
    h: int
    w: int

    @property
    def slices(self) -> tuple[slice, slice]:
        return slice(self.y, self.y + self.h), slice(self.x, self.x + self.w)


def _axis(length: int, tile: int, overlap: int, multiple: int) -> tuple[int, list[int]]:
    """Tile length and start offsets along one axis: as few tiles as ``tile`` allows, each made
    just long enough (rounded up to ``multiple``) to cover the axis with ``overlap`` between
    neighbours, so little work is wasted on overlap; the last tile ends on the border."""
    if length <= tile:
        return length, [0]
    count = -(-(length - overlap) // (tile - overlap))
    size = -(-(length + (count - 1) * overlap) // count)
    size = min(tile, -(-size // multiple) * multiple)
    step = (length - size) / (count - 1)
    return size, [round(i * step) for i in range(count)]


def plan_tiles(height: int, width: int, tile_size: int, overlap: int, multiple: int = 1) -> list[Tile]:
    """Tiles of at most ``tile_size`` covering a ``height`` x ``width`` page, neighbours
    overlapping by at least ``overlap`` pixels; all tiles share one shape (so they batch), a
    multiple of ``multiple`` where the page allows. A page smaller than a tile is one tile."""
    if tile_size <= 0 or overlap < 0 or overlap >= tile_size:
        raise ValueError(f"need 0 <= overlap < tile_size, got overlap={overlap}, tile_size={tile_size}")
    th, ys = _axis(height, tile_size, overlap, multiple)
    tw, xs = _axis(width, tile_size, overlap, multiple)
    return [Tile(y, x, th, tw) for y in ys for x in xs]


def blend_weights(h: int, w: int, overlap: int) -> np.ndarray:
    """Per-pixel weights of one tile: 1 inside, falling linearly to a small positive value over
    ``overlap`` pixels at each edge (float32, h x w)."""
    def ramp(n: int) -> np.ndarray:
        r = np.ones(n, dtype=np.float32)
        k = min(overlap, n // 2)
        if k > 0:
            edge = (np.arange(k, dtype=np.float32) + 1) / (k + 1)
            r[:k] = edge
            r[n - k:] = edge[::-1]
        return r

    return np.outer(ramp(h), ramp(w))


def iter_tiles(page: np.ndarray, tiles: list[Tile]) -> Iterator[np.ndarray]:
    """The pixels of each tile, in order (views, not copies)."""
    for t in tiles:
        yield page[t.slices]


class Blender:
    """Accumulates processed tiles into a weighted sum and returns the normalised page."""

    def __init__(self, height: int, width: int, overlap: int) -> None:
        self.acc = np.zeros((height, width), dtype=np.float32)
        self.norm = np.zeros((height, width), dtype=np.float32)
        self.overlap = overlap
        self._weights: dict[tuple[int, int], np.ndarray] = {}

    def add(self, tile: Tile, values: np.ndarray) -> None:
        key = (tile.h, tile.w)
        if key not in self._weights:
            self._weights[key] = blend_weights(tile.h, tile.w, self.overlap)
        wgt = self._weights[key]
        ys, xs = tile.slices
        self.acc[ys, xs] += values * wgt
        self.norm[ys, xs] += wgt

    def result(self) -> np.ndarray:
        """The blended page; normalises in place, so call it once, after the last tile."""
        if not np.all(self.norm > 0):
            raise RuntimeError("some pixels were covered by no tile")
        np.divide(self.acc, self.norm, out=self.acc)
        self.norm = np.empty(0, np.float32)  # release it before the caller allocates more
        return self.acc
