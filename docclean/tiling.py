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

import cv2
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
    """Accumulates processed tiles of one :func:`plan_tiles` grid into the blended page.

    The weights are separable (a ramp down each axis) and the tiles form a grid, so the per-pixel
    normalisation is an outer product too: each tile's weights are normalised up front and added
    in one fused multiply-add per pixel (OpenCV), with no page-sized sum of weights to accumulate
    and divide by. A 300-dpi page blends in about a tenth of the time the straightforward sum took.
    """

    def __init__(self, height: int, width: int, overlap: int, tiles: list[Tile]) -> None:
        ys, xs = sorted({t.y for t in tiles}), sorted({t.x for t in tiles})
        shapes = {(t.h, t.w) for t in tiles}
        if len(shapes) != 1 or len(tiles) != len(ys) * len(xs) or \
                {(t.y, t.x) for t in tiles} != {(y, x) for y in ys for x in xs}:
            raise ValueError("Blender needs the tiles of one plan_tiles grid (one shape, every row x column)")
        (th, tw), = shapes
        self._wy = _normalised_ramps(height, ys, th, overlap)
        self._wx = _normalised_ramps(width, xs, tw, overlap)
        self.acc = np.zeros((height, width), dtype=np.float32)

    def add(self, tile: Tile, values: np.ndarray) -> None:
        """Add one processed tile (float32, the tile's shape)."""
        wgt = np.multiply(self._wy[tile.y][:, None], self._wx[tile.x][None, :])
        cv2.accumulateProduct(np.ascontiguousarray(values, dtype=np.float32), wgt, self.acc[tile.slices])

    def result(self) -> np.ndarray:
        """The blended page (the accumulator itself: call it once, after the last tile)."""
        return self.acc


def _normalised_ramps(length: int, starts: list[int], size: int, overlap: int) -> dict[int, np.ndarray]:
    """Each tile's 1-D blend ramp along one axis divided by the sum of all ramps over that axis."""
    ramp = blend_weights(size, 1, overlap)[:, 0]
    total = np.zeros(length, dtype=np.float32)
    for s in starts:
        total[s:s + size] += ramp
    if not np.all(total > 0):
        raise ValueError("some pixels are covered by no tile")
    return {s: ramp / total[s:s + size] for s in starts}
