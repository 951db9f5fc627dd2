"""training.rescore: a checkpoint scored again with its run's own validation pages gets the figures
its training log recorded; other models score on the same pages; a folder without a run is one error."""

import numpy as np
import pytest
from PIL import Image

from docclean.checkpoint import read_metadata
from docclean.model import DocUNetConfig
from training.denoiser import DenoiserTaskConfig, train
from training.loop import FitConfig
from training.rescore import main


def _pairs(folder):
    rng = np.random.default_rng(0)
    for t in range(4):
        clean = np.ones((48, 64), np.float32)
        for _ in range(10):
            y, x = rng.integers(2, 40), rng.integers(2, 58)
            clean[y:y + 5, x:x + 2] = 0.0
        for v in range(2):
            for sub, page in (("train", clean * 0.8 + 0.1 * rng.random((48, 64))), ("train_cleaned", clean)):
                (folder / sub).mkdir(parents=True, exist_ok=True)
                Image.fromarray((np.clip(page, 0, 1) * 255).astype(np.uint8)).save(folder / sub / f"{t * 2 + v}.png")
    return folder


def test_a_runs_best_checkpoint_scores_what_its_log_recorded_and_others_score_beside_it(tmp_path, capsys):
    cfg = DenoiserTaskConfig(data=_pairs(tmp_path / "dd"), val_texts=1, crop=32, batch_size=4, batches_per_epoch=3,
                             scales=[1.0], select_texts=1, synth_dir=tmp_path / "synth", synth_n=2, synth_val_n=2,
                             synth_size=64, eval_x2=False)
    run = tmp_path / "run"
    result = train(cfg, FitConfig(out_dir=run, epochs=2, lr=3e-3, keep_every=1),
                   DocUNetConfig(unshuffle=2, widths=[4, 8], blocks=[1, 1]))
    main([str(run), str(result.best_path), str(run / "epochs" / "epoch_000.safetensors")])
    best_line, first_line = capsys.readouterr().out.strip().splitlines()
    logged = read_metadata(result.best_path)["metrics"]
    scores = dict(part.rsplit(" ", 1) for part in best_line.split(": ", 1)[1].split(", "))
    assert {"val_rmse", "sel_rmse", "syn_rmse", "syn_bin_f", "select"} <= set(scores)
    for key in ("val_rmse", "sel_rmse", "syn_rmse", "syn_bin_f", "select"):
        assert float(scores[key]) == pytest.approx(logged[key], rel=1e-4), key
    first = read_metadata(run / "epochs" / "epoch_000.safetensors")["metrics"]["select"]
    assert first_line.startswith(str(run / "epochs" / "epoch_000.safetensors") + ": ")
    assert f"select {first:.5g}" in first_line


def test_a_folder_without_a_denoiser_run_is_one_error(tmp_path):
    with pytest.raises(SystemExit, match="no denoiser run's config.json there"):
        main([str(tmp_path), str(tmp_path / "m.safetensors")])
