"""training.loop.fit with a time limit: the cosine schedule is fitted into the epochs the time
leaves, a resumed epoch keeps the rate it began with, and each epoch's time counts its validation.
A fake clock that the batches and validation move, so every figure is exact."""

import types

import pytest
import torch

import training.loop as loop
from docclean.checkpoint import read_metadata
from tests.training.test_loop import Line, data, mse, register_line  # noqa: F401
from training.fit_types import FitConfig, lr_at


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> dict[str, float]:
    """The loop's clock, moved by hand: a batch costs one second (see ``timed``)."""
    now = {"now": 0.0}
    monkeypatch.setattr(loop, "time", types.SimpleNamespace(perf_counter=lambda: now["now"]))
    return now


def go(tmp_path, clock, epochs=100, validation=0.0, **kw):
    """A run of 4 one-second batches an epoch and ``validation`` seconds of scoring after each."""
    def timed(model, batch):
        clock["now"] += 1.0
        return mse(model, batch)

    def evaluate(model):
        clock["now"] += validation
        return {"val_loss": 1.0}

    torch.manual_seed(0)
    cfg = FitConfig(out_dir=tmp_path / "run", epochs=epochs, lr=0.1, patience=None)
    return fit_line(cfg, timed, evaluate, **kw)


def fit_line(cfg, loss, evaluate, **kw):
    return loop.fit(Line(), loss, data(), cfg, arch="line", model_config={}, evaluate=evaluate, **kw)


def test_epoch_seconds_count_validation(tmp_path, clock):
    result = go(tmp_path, clock, epochs=2, validation=3.0)
    assert [row["epoch_seconds"] for row in result.history] == [7.0, 7.0]  # 4 s of batches, 3 s of validation


def test_a_time_limit_anneals_the_schedule_into_the_epochs_that_fit(tmp_path, clock):
    # 4 s of batches and 1 s of validation an epoch: 40 s fit 8 epochs of the 100 asked for.
    result = go(tmp_path, clock, validation=1.0, time_limit=40.5)
    assert result.stopped and result.epochs_run == 8
    rates = [row["lr"] for row in result.history]
    assert rates[0] == pytest.approx(0.1)  # the first epoch measures, at the peak
    assert all(a > b for a, b in zip(rates, rates[1:])), rates
    # The last of the 8 trains where the last of 8 epochs would: one step short of the floor.
    assert rates[-1] == pytest.approx(lr_at(FitConfig(out_dir=tmp_path, epochs=8, lr=0.1), 7))


def test_a_time_limit_that_leaves_room_changes_nothing(tmp_path, clock):
    limited = go(tmp_path / "a", clock, epochs=5, time_limit=1000.0)
    plain = go(tmp_path / "b", clock, epochs=5)
    assert [row["lr"] for row in limited.history] == [row["lr"] for row in plain.history]
    assert not limited.stopped
    assert "schedule" not in read_metadata(tmp_path / "a" / "run" / "state.safetensors")["trainer"]  # the plain one


def test_an_epoch_cut_by_the_time_resumes_at_the_rate_it_began_with(tmp_path, clock):
    cut = go(tmp_path, clock, validation=1.0, time_limit=41.5)  # stops in the 9th epoch, after its 2nd batch
    assert cut.stopped and cut.epochs_run == 8
    partial = read_metadata(tmp_path / "run" / "state.safetensors")["trainer"]["partial"]
    assert partial["epoch"] == 8 and partial["batches"] == 2 and partial["position"] > 0.9
    resumed = go(tmp_path, clock, epochs=10)  # no limit: the cut epoch finishes at its own rate
    assert resumed.history[8]["lr"] == pytest.approx(lr_at(FitConfig(out_dir=tmp_path, epochs=10, lr=0.1), 0,
                                                           partial["position"]))
    # and the next goes on along the fitted cosine, which ended at its floor (it went back up to 9/10 of
    # the --epochs schedule: a restart of the cosine)
    assert resumed.history[9]["lr"] == pytest.approx(0.1 * 0.02)


def test_the_budget_spreads_what_is_left_evenly_and_never_goes_back():
    from training.fit_types import TimeBudget

    budget = TimeBudget(deadline=100.0, epochs=50)
    assert budget.position(3, now=0.0, previous=None) == 3 / 50  # nothing measured yet
    budget.lengths.append(10.0)
    assert budget.position(4, now=10.0, previous=0.06) == pytest.approx(0.06 + 0.94 / 10)  # 9 fit, then the floor
    budget.lengths.append(10.0)
    assert budget.position(49, now=10.0, previous=0.48) == pytest.approx(0.48 + 0.52 / 2)  # --epochs ends first
    assert budget.position(5, now=95.0, previous=0.5) == 1.0  # nothing more fits: the floor
    assert not budget.spent(100.0) and budget.spent(100.1)


def stopped_after_four(tmp_path, clock):
    """A run of 12 epochs whose 40.5 s fit 8 (5 s an epoch, validation included), stopped (Ctrl-C)
    before its 5th epoch, at 20 s: the trainer state keeps the fitted cosine."""
    cut = go(tmp_path, clock, epochs=12, validation=1.0, time_limit=40.5, should_stop=lambda: clock["now"] >= 20.0)
    assert cut.stopped and cut.epochs_run == 4
    return read_metadata(tmp_path / "run" / "state.safetensors")["trainer"]["schedule"]


def test_a_resume_without_a_limit_finishes_the_cosine_the_limit_fitted(tmp_path, clock):
    whole = go(tmp_path / "whole", clock, epochs=12, validation=1.0, time_limit=40.5)  # not stopped: 8 epochs
    fitted = [row["lr"] for row in whole.history]
    assert len(fitted) == 8
    clock["now"] = 0.0
    schedule = stopped_after_four(tmp_path / "cut", clock)
    # Epoch 3 (from 0) trained at 3 / 12 + ..., and the fitted cosine reaches its floor at epoch 8 of the 12.
    assert schedule["epoch"] == 3 and schedule["end"] == 8
    resumed = go(tmp_path / "cut", clock, epochs=12)  # no limit: it went back to 4/12 of the --epochs schedule
    rates = [row["lr"] for row in resumed.history]
    assert rates[:8] == pytest.approx(fitted, rel=1e-9)  # as if it had never stopped
    assert rates[8:] == pytest.approx([0.1 * 0.02] * 4)  # past the fitted end: the floor, never back up
    assert lr_at(FitConfig(out_dir=tmp_path, epochs=12, lr=0.1), 4) > fitted[3]  # where it went: back up


def test_a_resume_with_a_new_limit_fits_the_rest_of_the_cosine_from_where_the_run_stands(tmp_path, clock):
    schedule = stopped_after_four(tmp_path, clock)
    here = schedule["position"] + (1 - schedule["position"]) / (schedule["end"] - schedule["epoch"])  # epoch 4's
    resumed = go(tmp_path, clock, epochs=12, validation=1.0, time_limit=10.5)  # 2 more epochs fit, then the floor
    assert resumed.stopped and resumed.epochs_run == 6
    rates = [row["lr"] for row in resumed.history]
    cosine = FitConfig(out_dir=tmp_path, epochs=12, lr=0.1)
    # The first epoch of the call trains where the fitted cosine puts it and is timed (it trained at 4/12),
    # then what is left of the cosine is spread over the epochs that fit: the 2nd of 2 near the floor.
    assert rates[4] == pytest.approx(lr_at(cosine, 4, here))
    assert rates[5] == pytest.approx(lr_at(cosine, 5, here + (1 - here) / 2))
    assert all(a > b for a, b in zip(rates, rates[1:])), rates


def test_a_fitted_schedule_rises_evenly_to_its_end_then_stays_at_the_floor():
    from training.fit_types import FittedSchedule, TimeBudget, plan_epoch

    schedule = FittedSchedule(epoch=3, position=0.4, end=6)
    assert [schedule.position_of(e, 50) for e in (3, 4, 5, 6, 9)] == pytest.approx([0.4, 0.6, 0.8, 1.0, 1.0])
    assert FittedSchedule(3, 0.4).position_of(5, 7) == pytest.approx(0.7)  # no end: the floor at --epochs
    assert FittedSchedule.saved(None) is None and FittedSchedule.saved({"epoch": 3, "position": 0.4, "end": 6}) \
        == schedule
    # Without a limit an epoch follows the schedule kept (None: the plain one, epoch / epochs).
    assert plan_epoch(4, 50, schedule, None, 0.0, 0.4) == (pytest.approx(0.6), schedule)
    assert plan_epoch(4, 50, None, None, 0.0, 0.4) == (None, None)
    budget = TimeBudget(deadline=100.0, epochs=50, lengths=[10.0])
    # A limit's first epoch follows it too, and only then does the limit refit: 4 fit, so the floor at 4 + 4 = 8.
    assert plan_epoch(4, 50, schedule, budget, 0.0, None) == (pytest.approx(0.6), schedule)
    position, refitted = plan_epoch(5, 50, schedule, budget, 60.0, 0.6)
    assert position == pytest.approx(0.6 + 0.4 / 5) and refitted == FittedSchedule(5, position, 9)
    # A limit that has never bound keeps nothing: the run still follows the plain schedule.
    assert plan_epoch(5, 50, None, TimeBudget(1e9, 50, [10.0]), 0.0, 0.08)[1] is None
