"""training.rescore: a checkpoint scored again with its run's own validation pages gets the figures
its training log recorded; other models score on the same pages; a folder without a run is one error."""

import pytest

from docclean.checkpoint import read_metadata
from docclean.model import DocUNetConfig
from training.denoiser import DenoiserTaskConfig, train
from training.loop import FitConfig
from training.rescore import main


def test_a_runs_best_checkpoint_scores_what_its_log_recorded_and_others_score_beside_it(pairs_dir, tmp_path,
                                                                                      capsys):
    cfg = DenoiserTaskConfig(data=pairs_dir, val_texts=1, crop=32, batch_size=4, batches_per_epoch=3,
                             scales=[1.0], select_texts=1, synth_dir=tmp_path / "synth", synth_n=2, synth_val_n=2,
                             synth_size=64, eval_x2=False)
    run = tmp_path / "run"
    result = train(cfg, FitConfig(out_dir=run, epochs=2, lr=3e-3, keep_every=1),
                   DocUNetConfig(unshuffle=2, widths=[4, 8], blocks=[1, 1]))
    # A page written into the synthetic folder later, named to sort first, is not one the run validated on.
    val = tmp_path / "synth" / "val"
    for sub in ("noisy", "clean"):
        (val / sub / "0000_later.png").write_bytes(sorted((val / "noisy").glob("*.png"))[0].read_bytes())
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
