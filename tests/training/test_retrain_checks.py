"""``docclean train`` checks what it can before it trains: noisy and clean folders given the wrong
way round are refused (and real and synthetic pairs given the right way are not), a run folder in
use is refused before any pair is looked at, and a --max-time that ends the run before --epochs
anneals the learning rate into the time instead of stopping near the peak. Tiny pairs, a tiny
model, CPU."""

import csv
from pathlib import Path

import numpy as np
import pytest

from cli.main import app
from tests.training.test_retrain_guards import make_pairs, no_pictures, one_error_line, runner, train  # noqa: F401 (a fixture)

DIRTY_DOCUMENTS = Path("/work/shared/data/dirty-documents")


def test_swapped_folders_are_refused_naming_both(tmp_path: Path, tiny_model_path: Path) -> None:
    data = make_pairs(tmp_path / "data")
    out = tmp_path / "run"
    result = train(data / "clean", data / "noisy", out, model=tiny_model_path)
    assert result.exit_code == 2, result.output
    line = one_error_line(result.output)
    assert line.startswith("error: --noisy, --clean: the folders look swapped: on 6 of 6 pairs"), line
    assert f"the clean page (in {data / 'noisy'})" in line and f"its scan (in {data / 'clean'})" in line
    assert "--allow-swapped" in line
    assert not out.exists()  # refused before anything of the run was written


def test_swapped_validation_folders_are_refused_on_their_own(tmp_path: Path, tiny_model_path: Path) -> None:
    data, val = make_pairs(tmp_path / "data"), make_pairs(tmp_path / "val", first=3)
    result = train(data / "noisy", data / "clean", tmp_path / "run", "--val-noisy", str(val / "clean"),
                   "--val-clean", str(val / "noisy"), model=tiny_model_path)
    assert result.exit_code == 2, result.output
    line = one_error_line(result.output)
    assert line.startswith("error: --val-noisy, --val-clean: the folders look swapped: on 6 of 6 pairs"), line
    assert f"the clean page (in {val / 'noisy'})" in line


@pytest.mark.usefixtures("no_pictures")
def test_allow_swapped_trains_on_them_as_given(tmp_path: Path, tiny_model_path: Path) -> None:
    data = make_pairs(tmp_path / "data")
    result = train(data / "clean", data / "noisy", tmp_path / "run", "--allow-swapped", model=tiny_model_path)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "run" / "best.safetensors").is_file()


def test_synthetic_pairs_do_not_look_swapped(tmp_path: Path) -> None:
    from docclean.pairs_swap import looks_swapped
    from docclean.synth import write_pairs

    names = write_pairs(tmp_path, 12, seed=5, size=160)
    pages = [(_gray(tmp_path / "noisy" / n), _gray(tmp_path / "clean" / n)) for n in names]
    assert not any(looks_swapped(n, c) for n, c in pages)


@pytest.mark.skipif(not (DIRTY_DOCUMENTS / "train").is_dir(), reason="the Dirty Documents pairs are not here")
def test_dirty_documents_pairs_look_right_and_swapped_look_swapped() -> None:
    from docclean.pairs_swap import looks_swapped

    names = sorted(p.name for p in (DIRTY_DOCUMENTS / "train").glob("*.png"))[::12]  # 12 of the 144 pairs
    pages = [(_gray(DIRTY_DOCUMENTS / "train" / n), _gray(DIRTY_DOCUMENTS / "train_cleaned" / n)) for n in names]
    assert not any(looks_swapped(n, c) for n, c in pages)
    assert all(looks_swapped(c, n) for n, c in pages)


def _gray(path: Path) -> np.ndarray:
    from docclean.io import read_gray

    return read_gray(path)


def test_a_run_folder_in_use_is_refused_before_any_pair_is_looked_at(tmp_path: Path, tiny_model_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import training.retrain
    from docclean.outputs import output_lock
    from training.retrain_config import LOCK_NAME

    data = make_pairs(tmp_path / "data")
    out = tmp_path / "run"

    def no_reading(*args, **kwargs):
        raise AssertionError("the pairs were looked at before the run folder's lock")

    monkeypatch.setattr(training.retrain, "load_split", no_reading)
    with output_lock(out, name=LOCK_NAME, holder="docclean train run"):
        result = train(data / "noisy", data / "clean", out, model=tiny_model_path)
    assert result.exit_code == 1, result.output
    assert "another docclean train run (pid" in one_error_line(result.output)


@pytest.mark.usefixtures("no_pictures")
def test_max_time_anneals_the_learning_rate_into_the_time(tmp_path: Path, tiny_model_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import math
    import types

    import training.loop
    import training.retrain

    # The training loop's clock, moved only by the batches, one second each: the figures are exact
    # however busy the machine is.
    clock = {"now": 0.0}
    monkeypatch.setattr(training.loop, "time", types.SimpleNamespace(perf_counter=lambda: clock["now"]))
    real_loss = training.retrain.ink_weighted_loss

    def timed_loss(*args, **kwargs):
        loss = real_loss(*args, **kwargs)

        def timed(model, batch):
            clock["now"] += 1.0
            return loss(model, batch)
        return timed

    monkeypatch.setattr(training.retrain, "ink_weighted_loss", timed_loss)
    data = make_pairs(tmp_path / "data")
    out = tmp_path / "run"
    # Two one-second batches an epoch: 16 s hold 8 of the 10000 epochs asked for.
    result = train(data / "noisy", data / "clean", out, "--epochs", "10000", "--batches-per-epoch", "2",
                   "--max-time", "16s", "--lr", "0.001", model=tiny_model_path)
    assert result.exit_code == 0 and "stopped" in result.output, result.output
    rates = [float(row["lr"]) for row in csv.DictReader((out / "metrics.csv").open())]
    assert len(rates) == 8 and rates[0] == pytest.approx(0.001)  # the first epoch measures, at the peak
    assert all(a > b for a, b in zip(rates, rates[1:])), rates
    # The last epoch that fits trains where the last of 8 epochs would, near the floor (2% of --lr).
    assert rates[-1] == pytest.approx(0.001 * (0.02 + 0.49 * (1 + math.cos(math.pi * 7 / 8))))
    # A resume without --max-time goes on along the cosine the limit fitted, whose floor the 9th epoch
    # (cut by the limit) reached: it went back up to the --epochs schedule (9/12 of the way: 8 times the floor).
    resumed = runner.invoke(app, ["train", "--resume", str(out), "--epochs", "12"])
    assert resumed.exit_code == 0, resumed.output
    rates = [float(row["lr"]) for row in csv.DictReader((out / "metrics.csv").open())]
    assert len(rates) == 12 and rates[8:] == pytest.approx([0.001 * 0.02] * 4)
