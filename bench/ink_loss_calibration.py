"""Calibration of the ink-loss measure (``docclean.postprocess.ink_loss``) on Dirty Documents:
the ground truth as a "perfect clean" of its noisy page should score near 0, and erasing the left
half of the ground truth's text about 0.5.

    python bench/ink_loss_calibration.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from docclean.io import read_gray  # noqa: E402
from docclean.postprocess import ink_loss  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "dirty-documents"


def main() -> None:
    perfect, half = [], []
    for noisy_path in sorted((DATA / "train").glob("*.png")):
        noisy, clean = read_gray(noisy_path), read_gray(DATA / "train_cleaned" / noisy_path.name)
        erased = clean.copy()
        erased[:, : erased.shape[1] // 2] = 1.0
        perfect.append(ink_loss(noisy, clean))
        half.append(ink_loss(noisy, erased))
    print(f"{len(perfect)} pages: ground truth mean {np.mean(perfect):.3f} (max {np.max(perfect):.3f}); "
          f"left half erased mean {np.mean(half):.3f}")


if __name__ == "__main__":
    main()
