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


def test_a_blank_clean_page_is_scored_not_refused(tmp_path: Path) -> None:
    for kind, value in (("noisy", 200), ("clean", 255)):  # a stained blank sheet and its white target
        (tmp_path / kind).mkdir()
        Image.fromarray(np.full((20, 30), value, np.uint8)).save(tmp_path / kind / "blank.png")
    result = evaluate(Identity(), find_pairs(tmp_path / "noisy", tmp_path / "clean").pairs, "identity")
    assert abs(result.pages[0].raw_rmse - 55 / 255) < 1e-6 and result.overall["pages"] == 1


def test_pages_a_model_was_trained_on_are_counted_through_links(tmp_path: Path) -> None:
    from docclean.evaluate import trained_on

    page = np.random.default_rng(1).integers(0, 256, (20, 30), dtype=np.uint8)
    for kind in ("noisy", "clean"):
        (tmp_path / kind).mkdir()
        for name in ("a", "b"):
            Image.fromarray(page).save(tmp_path / kind / f"{name}.png")
    (tmp_path / "link").symlink_to(tmp_path / "noisy")
    pairs = find_pairs(tmp_path / "link", tmp_path / "clean").pairs
    meta = {"train_pages": [f"{tmp_path / 'noisy' / 'a.png'}#0", f"{tmp_path / 'noisy' / 'a.png'}#1", "junk"]}
    assert trained_on(pairs, meta) == 1 and trained_on(pairs, {}) == 0


def test_a_built_in_model_s_bare_page_names_count_in_the_data_set_s_own_layout(tmp_path: Path) -> None:
    """The shipped models list Dirty Documents pages by name (``11.png``); ``docclean eval`` of the
    default on its own training pages gave no warning."""
    from docclean.evaluate import trained_on

    page = np.random.default_rng(2).integers(0, 256, (20, 30), dtype=np.uint8)
    for root in ("kaggle", "mine"):
        for kind in ("train", "train_cleaned" if root == "kaggle" else "clean"):
            (tmp_path / root / kind).mkdir(parents=True)
            for name in ("11.png", "12.png"):
                Image.fromarray(page).save(tmp_path / root / kind / name)
    meta = {"train_pages": ["11.png", "51.png"]}
    kaggle = find_pairs(tmp_path / "kaggle" / "train", tmp_path / "kaggle" / "train_cleaned").pairs
    assert trained_on(kaggle, meta) == 1
    # A page of the same name elsewhere is another page: no false warning.
    assert trained_on(find_pairs(tmp_path / "mine" / "train", tmp_path / "mine" / "clean").pairs, meta) == 0
