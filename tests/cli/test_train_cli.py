"""Tests for `docclean train denoiser`: a one-batch run on tiny pairs, and clear data errors."""

import numpy as np
from PIL import Image
from typer.testing import CliRunner

from cli.main import app
from docclean.checkpoint import read_metadata

runner = CliRunner()


def make_pairs(root, texts=3, size=176):
    rng = np.random.default_rng(0)
    for t in range(texts):
        clean = np.full((size, size), 255, np.uint8)
        clean[rng.integers(0, size, 40), rng.integers(0, size, 40)] = 0
        for v in range(2):
            noisy = (clean * 0.8 + rng.integers(0, 40, clean.shape)).astype(np.uint8)
            for folder, img in (("train", noisy), ("train_cleaned", clean)):
                (root / folder).mkdir(parents=True, exist_ok=True)
                Image.fromarray(img).save(root / folder / f"{t}-{v}.png")


def test_train_denoiser_one_batch(tmp_path):
    make_pairs(tmp_path / "data")
    out = tmp_path / "run"
    result = runner.invoke(app, ["train", "denoiser", "--data", str(tmp_path / "data"), "--out", str(out),
                                 "--epochs", "1", "--batches-per-epoch", "1", "--val-texts", "1", "--threads", "1"])
    assert result.exit_code == 0, result.output
    meta = read_metadata(out / "best.safetensors")
    assert meta["task"] == "denoiser" and "val_rmse" in meta["metrics"] and len(meta["val_pages"]) == 2


def test_train_denoiser_missing_data_names_folder(tmp_path):
    result = runner.invoke(app, ["train", "denoiser", "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "r")])
    assert result.exit_code == 1
    assert "nowhere" in result.output and "folder not found" in result.output
