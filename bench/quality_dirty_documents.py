"""Quality on held-out texts of the Dirty Documents set: RMSE of the noisy page, the median-filter
baseline and a docclean model, on the validation texts recorded in the model's own metadata
(texts it never trained on), at native scale and at 2x (letters the size of a 300-dpi scan's).

    python bench/quality_dirty_documents.py [--model default] [--data ../shared/data/dirty-documents]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.baselines import median_background_division  # noqa: E402
from docclean import Denoiser  # noqa: E402
from docclean.io import read_gray  # noqa: E402
from docclean.metrics import pooled_rmse  # noqa: E402


def save_before_after(den: Denoiser, noisy_path: Path, out: Path) -> None:
    """Noisy page above its cleaned version, for people to look at."""
    noisy = read_gray(noisy_path)
    gap = np.ones((8, noisy.shape[1]), np.float32)
    out.parent.mkdir(parents=True, exist_ok=True)
    both = np.concatenate([noisy, gap, den.clean(noisy)])
    Image.fromarray((both * 255).round().astype(np.uint8)).save(out)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="default")
    p.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/dirty-documents")
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    a = p.parse_args()
    results: dict[str, dict[str, float]] = {}
    for precision in ("bf16", "fp32"):
        den = Denoiser.load(a.model, precision=precision)
        val_pages = den.metadata.get("val_pages")
        if not val_pages:
            raise SystemExit("the model's metadata lists no held-out pages; cannot score it honestly")
        for scale in (1, 2):
            rows: dict[str, list] = {"noisy page": [], "median background division": [], f"docclean ({precision})": []}
            for name in val_pages:
                noisy, clean = read_gray(a.data / "train" / name), read_gray(a.data / "train_cleaned" / name)
                if scale != 1:
                    size = (noisy.shape[1] * scale, noisy.shape[0] * scale)
                    noisy = cv2.resize(noisy, size, interpolation=cv2.INTER_CUBIC).clip(0, 1)
                    clean = cv2.resize(clean, size, interpolation=cv2.INTER_CUBIC).clip(0, 1)
                rows["noisy page"].append((noisy, clean))
                rows["median background division"].append((median_background_division(noisy, 21 * scale), clean))
                rows[f"docclean ({precision})"].append((den.clean(noisy), clean))
            for method, pairs in rows.items():
                results.setdefault(method, {})[f"x{scale}"] = pooled_rmse(pairs)
    save_before_after(den, a.data / "train" / val_pages[0], a.out / "dirty_before_after.png")
    print(f"held-out pages: {len(val_pages)} ({len(val_pages) // 4} texts x 4 noise types)")
    print("| method | RMSE (native) | PSNR dB | RMSE (2x upscaled) |")
    print("|---|---|---|---|")
    for method, r in results.items():
        print(f"| {method} | {r['x1']:.4f} | {20 * np.log10(1 / r['x1']):.1f} | {r['x2']:.4f} |")


if __name__ == "__main__":
    main()
