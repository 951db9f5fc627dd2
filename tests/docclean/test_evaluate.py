"""docclean.evaluate: every figure finite and strict JSON, pages named by their relative path."""

import json
from pathlib import Path

import numpy as np
from PIL import Image

from docclean.evaluate import Evaluation, PageScore, evaluate
from docclean.metrics import MAX_PSNR
from docclean.pairs import find_pairs


class Identity:
    """A cleaner that returns the page unchanged."""

    def clean(self, page: np.ndarray) -> np.ndarray:
        return page


def strict(text: str) -> object:
    def refuse(name: str) -> None:
        raise ValueError(f"not strict JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def test_identical_pages_score_the_capped_psnr_and_strict_json(tmp_path: Path) -> None:
    page = np.random.default_rng(1).integers(0, 256, (20, 30), dtype=np.uint8)
    for kind in ("noisy", "clean"):
        (tmp_path / kind / "a").mkdir(parents=True)
        Image.fromarray(page).save(tmp_path / kind / "a" / "p.png")
    result = evaluate(Identity(), find_pairs(tmp_path / "noisy", tmp_path / "clean").pairs, "identity")
    assert result.pages[0].psnr == result.pages[0].raw_psnr == MAX_PSNR
    assert result.overall["psnr"] == result.overall["raw_psnr"] == MAX_PSNR
    assert result.pages[0].name == "a/p.png"
    data = strict(json.dumps(result.to_json(), allow_nan=False))
    assert data["overall"]["psnr"] == 100.0 and data["pages"][0]["name"] == "a/p.png"


def test_undefined_figures_are_null_in_json() -> None:
    score = PageScore("n.png", "c.png", 0, 0.0, float("inf"), float("nan"), 0.0, 1.0, 1.0)
    result = Evaluation("m", [score], {"pages": 1, "psnr": float("-inf")})
    data = strict(json.dumps(result.to_json(), allow_nan=False))
    assert data["overall"] == {"pages": 1, "psnr": None}
    assert data["pages"][0]["psnr"] is None and data["pages"][0]["ssim"] is None and data["pages"][0]["raw_psnr"] == 1.0
