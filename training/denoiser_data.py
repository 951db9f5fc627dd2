"""Data of the denoiser task: pairing scans, whole-text splits, and random crop batches drawn
from real noisy/clean pairs (at several scales) and from cached synthetic pages.

Pages whose clean images are identical are versions of one text, so every split holds out whole
texts. Crops are drawn from the RNG state that the training loop seeds per epoch, so runs and
resumed runs are reproducible.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch

from docclean.errors import DataError
from docclean.io import read_gray
from docclean.synth import shadow_field, stain_field
from docclean.synth.pairs import SHOW_THROUGH

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"}


@dataclass
class DenoiserTaskConfig:
    """Data, split, augmentation and loss options of the paired-scans task. The defaults of the
    fields added for synthetic pages (``synth_*``, ``select_texts``, ``ink_weight``) reproduce the
    older, real-pairs-only task."""

    data: Path = Path("../shared/data/dirty-documents")
    noisy_dir: str = "train"
    clean_dir: str = "train_cleaned"
    val_texts: int = 6
    split_seed: int = 0
    crop: int = 160
    batch_size: int = 24
    batches_per_epoch: int = 100
    scales: list[float] = field(default_factory=lambda: [1.0, 1.5, 2.0, 3.0])
    augment_prob: float = 0.3
    select_texts: int = 0
    synth_dir: Path | None = None
    synth_n: int = 0
    synth_val_n: int = 0
    synth_size: int = 512
    synth_seed: int = 0
    synth_graded: bool = True
    synth_uneven: float = 0.0
    synth_show_through: float = SHOW_THROUGH
    synth_markers: float = 0.0
    synth_lines: float = 0.0
    synth_boxes: float = 0.0
    synth_share: float = 0.5
    ink_weight: float = 0.0
    ink_halo: int = 0
    ink_level: float = 0.6
    exposure: float = 0.0
    texts_from: Path | None = None
    eval_x2: bool = True


def find_pairs(data: Path, noisy_dir: str = "train", clean_dir: str = "train_cleaned") -> list[tuple[Path, Path]]:
    """Pair every noisy page with the clean page of the same name; raise DataError on gaps."""
    noisy_root, clean_root = Path(data) / noisy_dir, Path(data) / clean_dir
    for root in (noisy_root, clean_root):
        if not root.is_dir():
            raise DataError("folder not found (expected noisy and clean folders with the same file names)", root)
    noisy = sorted(p for p in noisy_root.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not noisy:
        raise DataError("no images found", noisy_root)
    missing = [p.name for p in noisy if not (clean_root / p.name).exists()]
    if missing:
        raise DataError(f"no clean page for {len(missing)} noisy page(s), e.g. {missing[0]}", clean_root)
    return [(p, clean_root / p.name) for p in noisy]


def split_by_text(pairs: list[tuple[Path, Path]], val_texts: int, seed: int = 0,
                  texts_from: Path | None = None) -> tuple[list[tuple[Path, Path]], list[tuple[Path, Path]]]:
    """Split pairs into (train, val), holding out ``val_texts`` whole texts (pages that share
    an identical clean image), so no validation text is ever seen in training. ``texts_from``: a
    folder of clean pages of the same names that says which pages share a text, for targets that
    differ page by page (a model's own output, for distillation)."""
    groups: dict[str, list[tuple[Path, Path]]] = {}
    for noisy, clean in pairs:
        text = clean if texts_from is None else Path(texts_from) / clean.name
        digest = hashlib.md5(read_gray(text).tobytes()).hexdigest()
        groups.setdefault(digest, []).append((noisy, clean))
    keys = sorted(groups, key=lambda k: min(p.name for p, _ in groups[k]))
    if val_texts >= len(keys):
        raise DataError(f"only {len(keys)} distinct texts; cannot hold out {val_texts}", pairs[0][0].parent)
    random.Random(seed).shuffle(keys)
    val_keys = set(keys[:val_texts])
    train = [p for k in keys if k not in val_keys for p in groups[k]]
    val = [p for k in keys if k in val_keys for p in groups[k]]
    return train, val


def resize(img: np.ndarray, scale: float) -> np.ndarray:
    """``img`` scaled by ``scale`` (bicubic, clipped to 0..1); the same array at scale 1."""
    if scale == 1.0:
        return img
    h, w = img.shape
    return cv2.resize(img, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_CUBIC).clip(0, 1)


#: ``exposure`` draws a darker crop's gain and a paler crop's contrast factor from these ranges.
DARKER, PALER = (0.6, 1.0), (0.5, 1.0)


def reexpose(noisy: np.ndarray, darker: bool, amount: float) -> np.ndarray:
    """``noisy`` as if scanned darker (every grey level times a gain from :data:`DARKER`) or paler
    (contrast towards white times a factor from :data:`PALER`); ``amount`` in 0..1 picks where in
    the range. The target stays as it was: the same page, exposed differently, has the same text."""
    lo, hi = DARKER if darker else PALER
    f = np.float32(lo + (hi - lo) * amount)
    return noisy * f if darker else 1 - (1 - noisy) * f


def read_u8(path: Path) -> np.ndarray:
    """A grey page as uint8 (synthetic sets are kept in memory at one byte per pixel)."""
    img = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if img is None:
        raise DataError("cannot read image", path)
    return img


class CropBatches:
    """An epoch of random (noisy, clean) crop batches, each of shape (B, 1, crop, crop): real pairs
    resized once per scale up front (sometimes with a synthetic shadow or stain over the noisy
    crop), and, with ``synth`` pairs given, a share ``cfg.synth_share`` of crops from those."""

    def __init__(self, pairs: list[tuple[Path, Path]], cfg: DenoiserTaskConfig,
                 synth: list[tuple[Path, Path]] | None = None) -> None:
        self.cfg = cfg
        images = [(read_gray(n), read_gray(c)) for n, c in pairs]
        self.pages = {s: [(resize(n, s), resize(c, s)) for n, c in images] for s in cfg.scales}
        for s, pages in self.pages.items():
            too_small = [i for i, (n, _) in enumerate(pages) if min(n.shape) < cfg.crop]
            if too_small:
                raise DataError(f"page smaller than the {cfg.crop}-pixel crop at scale {s}", pairs[too_small[0]][0])
        self.synth = [(read_u8(n), read_u8(c)) for n, c in (synth or [])]
        if any(min(n.shape) < cfg.crop for n, _ in self.synth):
            raise DataError(f"synthetic page smaller than the {cfg.crop}-pixel crop", synth[0][0])

    def __len__(self) -> int:
        return self.cfg.batches_per_epoch

    def _real_crop(self) -> tuple[np.ndarray, np.ndarray]:
        cfg = self.cfg
        pages = self.pages[cfg.scales[np.random.randint(len(cfg.scales))]]
        noisy, clean = pages[np.random.randint(len(pages))]
        y = np.random.randint(noisy.shape[0] - cfg.crop + 1)
        x = np.random.randint(noisy.shape[1] - cfg.crop + 1)
        n, c = noisy[y:y + cfg.crop, x:x + cfg.crop], clean[y:y + cfg.crop, x:x + cfg.crop]
        if np.random.rand() < cfg.augment_prob:
            rng = np.random.default_rng(np.random.randint(2**31))
            # A crop is a small part of a page: lay the field over a page-sized area and cut it.
            big = cfg.crop * 4
            fy, fx = rng.integers(0, big - cfg.crop, size=2)
            fieldfn = shadow_field if rng.random() < 0.6 else stain_field
            n = n * fieldfn(big, big, rng)[fy:fy + cfg.crop, fx:fx + cfg.crop]
        return n, c

    def _synth_crop(self) -> tuple[np.ndarray, np.ndarray]:
        crop = self.cfg.crop
        noisy, clean = self.synth[np.random.randint(len(self.synth))]
        y = np.random.randint(noisy.shape[0] - crop + 1)
        x = np.random.randint(noisy.shape[1] - crop + 1)
        scale = np.float32(1 / 255)
        return noisy[y:y + crop, x:x + crop] * scale, clean[y:y + crop, x:x + crop] * scale

    def _crop(self) -> tuple[np.ndarray, np.ndarray]:
        if self.synth and np.random.rand() < self.cfg.synth_share:
            n, c = self._synth_crop()
        else:
            n, c = self._real_crop()
        if self.cfg.exposure:  # three draws whatever the chance: the same crops, exposed or not
            expose, darker, amount = np.random.rand(3)
            if expose < self.cfg.exposure:
                n = reexpose(n, darker < 0.5, amount)
        if np.random.rand() < 0.5:
            n, c = n[:, ::-1], c[:, ::-1]
        if np.random.rand() < 0.5:
            n, c = n[::-1], c[::-1]
        return np.ascontiguousarray(n, np.float32), np.ascontiguousarray(c, np.float32)

    def __iter__(self):
        for _ in range(len(self)):
            crops = [self._crop() for _ in range(self.cfg.batch_size)]
            noisy = torch.from_numpy(np.stack([n for n, _ in crops]))[:, None]
            clean = torch.from_numpy(np.stack([c for _, c in crops]))[:, None]
            yield noisy, clean
