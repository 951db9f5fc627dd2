"""Page arrays as images to show: 8-bit display pixels, the "removed" overlay, zoom levels, QImages.

Everything here is numpy or QImage, so it runs in worker threads; QPixmaps are only made on the
GUI thread (see ``canvas``). The cleaned page is converted with ``docclean.pixels.to_pil``, the
very function the writer uses, so the 8-bit pixels shown are the 8-bit pixels written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
from PySide6.QtGui import QImage

from docclean.inkloss import removed_marks
from docclean.pixels import to_pil

#: Zoom levels are halved until the longest side is at most this many pixels; the canvas draws
#: from the smallest level that is still at least as large as the zoom, so a 600-dpi page at
#: "fit" is drawn from a small image instead of being scaled down from 35 megapixels each paint.
LEVEL_MIN_SIDE = 1024

def display_pixels(pixels: np.ndarray) -> np.ndarray:
    """8-bit pixels of a page as written: float grey, bool 1-bit or uint8 RGB -> uint8 (H, W) or
    (H, W, 3), through the writer's own conversion."""
    image = to_pil(pixels)
    if image.mode == "1":
        image = image.convert("L")
    return np.asarray(image)


def gray_of(display: np.ndarray) -> np.ndarray:
    """float32 grey 0..1 of 8-bit display pixels (RGB through BT.601 luma, like docclean.io)."""
    if display.ndim == 3:
        return cv2.cvtColor(display, cv2.COLOR_RGB2GRAY).astype(np.float32) / np.float32(255.0)
    return display.astype(np.float32) / np.float32(255.0)


def removed_overlay(original: np.ndarray, output: np.ndarray, dpi: tuple[float, float] | None = None) -> np.ndarray:
    """The "difference" view: the original page faded to light grey, with every mark the output
    removed drawn in red, stronger the more of it went. ``original`` and ``output`` are float grey
    0..1 of the same shape. Returns uint8 RGB.

    A mark's strength is how much darker than its local paper it was (``inkloss.median_paper``,
    the engine's own estimate), less how dark the output still is there. Paper turning from
    stained grey to white is the point of cleaning and stays uncoloured; text, lines and specks
    that turned into paper light up, which is what a user checking for lost ink needs to see. A
    dithered area of a 1-bit page of ``dpi`` counts as the grey it prints (``inkloss.descreened``)."""
    strength = removed_marks(original, output, dpi)
    # Fading the original keeps the page readable as context without competing with the red.
    faded = original * np.float32(115.0)
    faded += 140.0
    faded *= 1.0 - strength
    red = (faded + strength * np.float32(220.0)).astype(np.uint8)
    other = (faded + strength * np.float32(20.0)).astype(np.uint8)
    return cv2.merge((red, other, other))


def to_qimage(pixels: np.ndarray, copy: bool = True) -> QImage:
    """A QImage of uint8 grey (H, W) or RGB (H, W, 3) pixels. With ``copy`` it owns its pixels;
    without, it borrows the array's memory and the caller must keep the array alive."""
    if not copy and not pixels.flags.c_contiguous:
        raise ValueError("a borrowing QImage needs C-contiguous pixels")  # a temporary copy would dangle
    pixels = np.ascontiguousarray(pixels)
    h, w = pixels.shape[:2]
    if pixels.ndim == 2:
        image = QImage(pixels.data, w, h, pixels.strides[0], QImage.Format.Format_Grayscale8)
    else:
        image = QImage(pixels.data, w, h, pixels.strides[0], QImage.Format.Format_RGB888)
    return image.copy() if copy else image


def qimage_array(image: QImage) -> np.ndarray:
    """uint8 pixels of a Grayscale8 (H, W) or RGB888 (H, W, 3) QImage (a copy); for tests and saving."""
    channels = 1 if image.format() == QImage.Format.Format_Grayscale8 else 3
    if channels == 3 and image.format() != QImage.Format.Format_RGB888:
        image = image.convertToFormat(QImage.Format.Format_RGB888)
    h, w = image.height(), image.width()
    raw = np.frombuffer(image.constBits(), np.uint8, count=image.bytesPerLine() * h).reshape(h, -1)
    rows = raw[:, :w * channels]
    return rows.reshape(h, w, 3).copy() if channels == 3 else rows.copy()


@dataclass
class LevelImage:
    """One page picture at several sizes: ``levels[0]`` is full size, each next one half of it."""

    levels: list[QImage] = field(default_factory=list)
    arrays: list[np.ndarray] = field(default_factory=list, repr=False)
    """The pixels the levels borrow (kept alive here; copying a 600-dpi page into a QImage held
    the GIL, and so the window, for a quarter of a second)."""

    @property
    def width(self) -> int:
        return self.levels[0].width()

    @property
    def height(self) -> int:
        return self.levels[0].height()

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.arrays) or sum(level.sizeInBytes() for level in self.levels)

    @property
    def full(self) -> QImage:
        return self.levels[0]


def level_image(pixels: np.ndarray) -> LevelImage:
    """A :class:`LevelImage` of uint8 display pixels (area-averaged halvings)."""
    arrays = [np.ascontiguousarray(pixels)]
    while max(arrays[-1].shape[:2]) > LEVEL_MIN_SIDE:
        h, w = arrays[-1].shape[:2]
        arrays.append(cv2.resize(arrays[-1], (max(1, w // 2), max(1, h // 2)), interpolation=cv2.INTER_AREA))
    return LevelImage([to_qimage(a, copy=False) for a in arrays], arrays)


def thumbnail(gray: np.ndarray, height: int = 96) -> QImage:
    """A small grey QImage of a float page for the page list."""
    h, w = gray.shape
    scale = height / max(1, h)
    small = cv2.resize(gray, (max(1, round(w * scale)), height), interpolation=cv2.INTER_AREA)
    return to_qimage(np.clip(small * 255.0 + 0.5, 0, 255).astype(np.uint8))
