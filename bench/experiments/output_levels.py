"""Experiment behind docclean.whiten (2026-12-05): output levels on the cleaned grey page. The
default model leaves paper a little below white (55% of a cleaned 300-dpi page's pixels are
244-254, not 255) and ink a little above black. A levels map ``clip((x - black) / (white -
black), 0, 1)`` sends both to their ends; with a knee, grey up to the knee stays as it is and
only knee..white is stretched (what the engine ships). The engine's own white-paper step is
switched off here, so every row starts from the same network output. Scores, per setting: pooled
RMSE on the Dirty Documents *selection* texts (the model's ``select_pages``, for choosing) and
held-out texts (``val_pages``, for reporting), the grey RMSE of synthetic 300-dpi pages
(bench/quality_300dpi.py's page, seeds 0-2) and of 16 synthetic pages (``make_pair``, seeds
3000-3015), and the PNG size of the 300-dpi page; then the PNG sizes of cleaned real pages (the
first 4 of funsd-train, sroie-train and dibco-extra) without and with the shipped step (reported,
not chosen on).

    python bench/experiments/output_levels.py
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
os.chdir(ROOT)  # paths below are relative to the repository
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from docclean.engine import Denoiser  # noqa: E402
from docclean.io import read_gray  # noqa: E402
from docclean.metrics import pooled_rmse  # noqa: E402
from docclean.synth import degrade, render_page  # noqa: E402
from docclean.writer import encode_png  # noqa: E402

D = Path("../shared/data/dirty-documents")
GRID = [(0.0, 1.0, None), (0.0, 0.98, None), (0.0, 0.96, None), (0.0, 0.94, None), (0.0, 0.92, None),
        (0.03, 1.0, None), (0.06, 1.0, None), (0.03, 0.96, None), (0.06, 0.96, None), (0.06, 0.94, None),
        (0.1, 0.94, None), (0.0, 0.98, 0.9), (0.0, 0.97, 0.9), (0.0, 0.96, 0.9), (0.0, 0.97, 0.85)]


def levels(x: np.ndarray, black: float, white: float, knee: float | None = None) -> np.ndarray:
    """The linear map, or with ``knee``: grey up to the knee unchanged, the knee..white range
    stretched to knee..1, lighter than ``white`` to white (black unused)."""
    if knee is None:
        return np.clip((x - black) / (white - black), 0, 1).astype(np.float32)
    y = np.where(x > knee, knee + (x - knee) * (1 - knee) / (white - knee), x)
    return np.clip(y, 0, 1).astype(np.float32)


def main() -> None:
    import docclean.engine

    docclean.engine.whiten_paper = lambda page: page  # every row starts from the network's output
    den = Denoiser.load()
    sets = {}
    for key in ("select_pages", "val_pages"):
        pairs = [(read_gray(D / "train" / n), read_gray(D / "train_cleaned" / n)) for n in den.metadata[key]]
        sets[key] = [(den.clean(noisy), clean) for noisy, clean in pairs]
    page = render_page(font_pt=11.0)
    a4 = [(den.clean(degrade(page, np.random.default_rng(seed))), page) for seed in range(3)]
    synth = []
    from docclean.synth import make_pair  # the generator's own pages
    for i in range(16):
        noisy, clean = make_pair(np.random.default_rng(3000 + i))
        synth.append((den.clean(noisy), clean))
    print("| black | white | knee | DD selection RMSE | DD held-out RMSE | A4 300-dpi RMSE | synthetic RMSE "
          "| A4 PNG KB |")
    print("|---|---|---|---|---|---|---|---|")
    for black, white, knee in GRID:
        row = [pooled_rmse([(levels(o, black, white, knee), c) for o, c in sets[k]])
               for k in ("select_pages", "val_pages")]
        row.append(pooled_rmse([(levels(o, black, white, knee), c) for o, c in a4]))
        row.append(pooled_rmse([(levels(o, black, white, knee), c) for o, c in synth]))
        u8 = np.clip(levels(a4[0][0], black, white, knee) * 255 + 0.5, 0, 255).astype(np.uint8)
        kb = len(encode_png(u8, (300, 300))) // 1024
        print(f"| {black} | {white} | {knee or '-'} | " + " | ".join(f"{v:.4f}" for v in row) + f" | {kb} |")
    from docclean.whiten import whiten_paper

    real = Path("../shared/data/real-scans")
    folders = ("funsd-train/images", "sroie-train/images", "dibco-extra/noisy")
    files = [f for d in folders for f in sorted((real / d).iterdir())[:4]]
    print("\n| real page | cleaned PNG KB | with white paper KB | ratio |\n|---|---|---|---|")
    sizes = []
    for f in files:
        out = den.clean(read_gray(f))
        a, b = (len(encode_png(np.clip(x * 255 + 0.5, 0, 255).astype(np.uint8), None))
                for x in (out, whiten_paper(out.copy())))
        sizes.append((a, b))
        print(f"| {f.parent.parent.name}/{f.name} | {a // 1024} | {b // 1024} | {b / a:.2f} |")
    print(f"| all | {sum(a for a, _ in sizes) // 1024} | {sum(b for _, b in sizes) // 1024} | "
          f"{sum(b for _, b in sizes) / sum(a for a, _ in sizes):.2f} |")


if __name__ == "__main__":
    main()
