"""The shape of a dark region on a page, as the wide-area searches measure it: whether it reaches
the page's edge (:func:`on_edge`, and by how many pixels: :func:`edge_runs`), its outline and the
region with its holes filled (:func:`filled_outline`), whether it is near a rectangle
(:func:`rectangular`), and a mask found on the shrunk page brought to the full page
(:func:`full_size`).

Regions are uint8 masks over their bounding box, or rows of OpenCV's connected-component stats.
``docclean.solids`` and the searches beside it (``docclean.surround``, ``docclean.shading``,
``docclean.bars``, ``docclean.pictures``, ``docclean.inkwide``, ``docclean.widestrokes``) share
them, importing them from here.
"""

from __future__ import annotations

import cv2
import numpy as np


def on_edge(stats: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Whether each region of OpenCV's connected-component ``stats`` (one row, or a row per label)
    on a page of ``shape`` reaches the page's edge (:func:`edge_runs`: by pixels, over a box)."""
    x, y, bw, bh = (stats[..., i] for i in range(4))
    h, w = shape
    return (x == 0) | (y == 0) | (x + bw >= w) | (y + bh >= h)


def edge_runs(labels: np.ndarray, count: int, at: tuple[int, int], shape: tuple[int, int]) -> np.ndarray:
    """Per label of ``labels`` (non-negative integers over a bounding box at ``at`` on a shrunk page
    of ``shape``; ``count`` labels), how many pixels of the page's edge it lies on."""
    x, y = at
    bh, bw = labels.shape
    runs = np.zeros(count, np.int64)
    for on, line in ((y == 0, labels[0]), (y + bh == shape[0], labels[-1]), (x == 0, labels[:, 0]),
                     (x + bw == shape[1], labels[:, -1])):
        if on:
            runs += np.bincount(line, minlength=count)
    return runs


def filled_outline(region: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The outer outline of a region (uint8 mask; its largest piece) and the region with its holes
    filled, as a mask of the same box."""
    contours, _ = cv2.findContours(region, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    outline = max(contours, key=cv2.contourArea)
    filled = np.zeros_like(region)
    cv2.drawContours(filled, [outline], -1, 1, thickness=cv2.FILLED)
    return outline, filled


def rectangular(outline: np.ndarray, share: float, pixels: float | None = None) -> bool:
    """Whether an outline fills at least ``share`` of the smallest rectangle around it, at any tilt
    (a disc fills 0.79 of its square). ``pixels``: the region's pixel count instead of the outline's
    area, against the rectangle grown by a pixel (the outline runs through its edge pixels' middles):
    on a small region (``docclean.inkwide``'s) that half pixel all round is much of it."""
    (_, _), (w, h), _ = cv2.minAreaRect(outline)
    if pixels is not None:
        return pixels / max((w + 1) * (h + 1), 1.0) >= share
    return cv2.contourArea(outline) >= share * w * h


def full_size(keep: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``keep`` (uint8 on the shrunk page) as a boolean mask of the full page's ``shape``, and a
    pixel of its grey edge."""
    keep = cv2.resize(keep, shape[::-1], interpolation=cv2.INTER_NEAREST)
    return cv2.dilate(keep, np.ones((3, 3), np.uint8)).astype(bool)
