"""Quality on a synthetic 300-dpi A4 page: render text at 11 pt, degrade it (shadow, stains, a
crease, noise, blur, JPEG), then score the noisy page, the median-filter baseline and docclean
against the rendered original. Also writes a before/after crop for people to look at (into
bench/results for the shipped default, the README's picture; for another model only with --out).

    python bench/quality_300dpi.py [--model default] [--seeds 3] [--out bench/results]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.baselines import median_background_division  # noqa: E402
from docclean import Denoiser  # noqa: E402
from docclean.metrics import rmse, ssim  # noqa: E402
from docclean.synth import degrade, render_page  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="default")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--font-pt", type=float, default=11.0)
    p.add_argument("--out", type=Path, default=None,
                   help="folder for the before/after picture (default: bench/results for the shipped default "
                        "model, none for another, so that the README's picture stays the shipped model's)")
    a = p.parse_args()
    if a.out is None and a.model == "default":
        a.out = Path(__file__).resolve().parent / "results"
    den = Denoiser.load(a.model)
    clean = render_page(font_pt=a.font_pt)
    scores: dict[str, list[tuple[float, float]]] = {"noisy page": [], "median background division": [], "docclean": []}
    for seed in range(a.seeds):
        noisy = degrade(clean, np.random.default_rng(seed))
        outputs = {"noisy page": noisy, "median background division": median_background_division(noisy, 61),
                   "docclean": den.clean(noisy)}
        for method, out in outputs.items():
            scores[method].append((rmse(out, clean), ssim(out, clean)))
        if seed == 0 and a.out is not None:
            a.out.mkdir(parents=True, exist_ok=True)
            ys, xs = slice(700, 1300), slice(200, 1100)
            strip = np.concatenate([noisy[ys, xs], np.ones((600, 12), np.float32), outputs["docclean"][ys, xs]], axis=1)
            Image.fromarray((strip * 255).round().astype(np.uint8)).save(a.out / "page300_before_after.png")
    print(f"synthetic A4 page at 300 dpi, {a.font_pt:g} pt text, {a.seeds} degradations")
    print("| method | RMSE | SSIM |")
    print("|---|---|---|")
    for method, vals in scores.items():
        r, s = np.mean(vals, axis=0)
        print(f"| {method} | {r:.4f} | {s:.3f} |")


if __name__ == "__main__":
    main()
