"""Scoring a model on noisy/clean pairs: per page and overall RMSE, PSNR and SSIM, beside the raw
page's own figures, so the gain is plain. ``docclean eval`` prints it; training reports the same.

PSNR is capped at :data:`docclean.metrics.MAX_PSNR` (100 dB, identical pages), so the overall mean
stays finite; the JSON form holds only finite numbers (null where a figure is undefined).
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from docclean.metrics import pooled_rmse, psnr, rmse, ssim
from docclean.pairs import Pair, read_pair

if TYPE_CHECKING:
    from docclean.engine import Denoiser


@dataclass
class PageScore:
    """One pair: the cleaned page's and the raw page's scores against the clean target."""

    noisy: str
    clean: str
    page: int
    rmse: float
    psnr: float
    ssim: float
    raw_rmse: float
    raw_psnr: float
    raw_ssim: float
    name: str = ""  # the noisy file's path relative to the noisy folder (a/p1.png)


@dataclass
class Evaluation:
    """Every page's scores and the overall figures (pooled RMSE as Kaggle scored; mean PSNR, each
    page's capped at 100 dB; mean SSIM)."""

    model: str
    pages: list[PageScore] = field(default_factory=list)
    overall: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    """What the user should know of how pages were scored (a pair of different sizes lined up)."""

    def to_json(self) -> dict[str, Any]:
        """A dict for ``json.dumps`` that holds no NaN or infinity (null instead): strict JSON."""
        pages = [_finite(asdict(p)) for p in self.pages]
        return {"model": self.model, "overall": _finite(self.overall), "pages": pages}


def trained_on(pairs: list[Pair], meta: dict[str, Any]) -> int:
    """How many of ``pairs`` are among the training pages a model's metadata lists (``train_pages``),
    files compared with links resolved. ``docclean train`` lists ``PATH#PAGE``; the built-in models
    (``training/denoiser.py``) list bare names of Dirty Documents pages (``11.png``), which match a
    page of that name in a ``train`` folder beside a ``train_cleaned`` one: the data set's own
    layout, wherever a user keeps it. By path and name only: the metadata records no digest of a
    page's content, so a copy of the training pages under another path counts as unseen."""
    listed = meta.get("train_pages")
    if not isinstance(listed, list):
        return 0
    seen, names = set(), set()
    for entry in listed:
        path, _, page = str(entry).rpartition("#")
        if path and page.isdigit():
            seen.add((os.path.realpath(path), int(page)))
        elif not path and "/" not in page and "\\" not in page:
            names.add(page)

    def listed_page(pair: Pair) -> bool:
        noisy = Path(os.path.realpath(pair.noisy))
        if (str(noisy), pair.page) in seen:
            return True
        return (noisy.name in names and pair.page == 0 and noisy.parent.name == "train"
                and (noisy.parent.parent / "train_cleaned").is_dir())

    return sum(listed_page(p) for p in pairs)


def _finite(figures: dict[str, Any]) -> dict[str, Any]:
    return {k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in figures.items()}


def evaluate(cleaner: Denoiser, pairs: list[Pair], model: str = "") -> Evaluation:
    """Clean every pair's noisy page with ``cleaner`` and score it and the raw page. DataError for a
    pair that cannot be scored (see :func:`docclean.pairs.read_pair`); a blank clean page is scored
    (a stained blank sheet is a fair test page, and every figure is defined for it)."""
    result = Evaluation(model)
    cleaned_pairs, raw_pairs = [], []
    for pair in pairs:
        noisy, clean = read_pair(pair, blank_ok=True, notes=result.notes)
        out = cleaner.clean(noisy)
        cleaned_pairs.append((out, clean))
        raw_pairs.append((noisy, clean))
        result.pages.append(PageScore(str(pair.noisy), str(pair.clean), pair.page, rmse(out, clean), psnr(out, clean),
                                      ssim(out, clean), rmse(noisy, clean), psnr(noisy, clean), ssim(noisy, clean),
                                      pair.relative))
    result.overall = {
        "pages": len(result.pages),
        "rmse": pooled_rmse(cleaned_pairs), "psnr": float(np.mean([p.psnr for p in result.pages])),
        "ssim": float(np.mean([p.ssim for p in result.pages])),
        "raw_rmse": pooled_rmse(raw_pairs), "raw_psnr": float(np.mean([p.raw_psnr for p in result.pages])),
        "raw_ssim": float(np.mean([p.raw_ssim for p in result.pages])),
    }
    return result
