"""Tests for training.loop: loss falls, best/last checkpoints, early stop, resume, seeding."""

import csv
from pathlib import Path

import pytest
import torch
from torch import nn

from docclean.checkpoint import load_model, read_metadata
from training.loop import Callback, FitConfig, fit, make_optimizer


class Line(nn.Module):
    def __init__(self, config=None):
        super().__init__()
        self.lin = nn.Linear(4, 1)

    def forward(self, x):
        return self.lin(x)


@pytest.fixture(autouse=True)
def register_line(monkeypatch):
    from docclean import model as model_module

    monkeypatch.setitem(model_module.ARCHITECTURES, "line", (Line, dict))


def data():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 4, generator=g)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]])
    return [(x[i:i + 16], y[i:i + 16]) for i in range(0, 64, 16)]


def mse(model, batch):
    x, y = batch
    pred = model(x)
    return nn.functional.mse_loss(pred, y), {"abs": float((pred - y).detach().abs().mean())}


def run(tmp_path, epochs, **kw):
    torch.manual_seed(0)
    cfg = FitConfig(out_dir=tmp_path / "run", epochs=epochs, lr=0.2, lr_schedule="none", **kw)
    return fit(Line(), mse, data(), cfg, arch="line", model_config={}, val_data=data()[:1])


def test_loss_falls_and_files_written(tmp_path):
    result = run(tmp_path, 8)
    losses = [row["train_loss"] for row in result.history]
    assert losses[-1] < losses[0] * 0.5
    for name in ("best.safetensors", "last.safetensors", "state.safetensors", "metrics.csv", "config.json"):
        assert (tmp_path / "run" / name).exists()
    rows = list(csv.DictReader((tmp_path / "run" / "metrics.csv").open()))
    assert len(rows) == 8 and {"train_loss", "val_loss", "val_abs", "lr"} <= set(rows[0])
    model, meta = load_model(result.best_path)
    assert meta["epoch"] == result.best_epoch and meta["metrics"]["val_loss"] == pytest.approx(result.best_metric)


def test_resume_continues_where_it_stopped(tmp_path):
    full = run(tmp_path / "a", 6)
    run(tmp_path / "b", 3)
    resumed = run(tmp_path / "b", 6)
    assert len(resumed.history) == 6
    assert resumed.history[-1]["train_loss"] == pytest.approx(full.history[-1]["train_loss"], rel=1e-5)


def test_early_stopping(tmp_path):
    torch.manual_seed(0)
    cfg = FitConfig(out_dir=tmp_path / "run", epochs=50, lr=0.0, patience=2, lr_schedule="none")
    result = fit(Line(), mse, data(), cfg, arch="line", model_config={}, val_data=data()[:1])
    assert result.stopped_early and result.epochs_run == 3


def test_callbacks_called(tmp_path):
    seen = []

    class Spy(Callback):
        def on_epoch_end(self, epoch, metrics):
            seen.append(epoch)

    torch.manual_seed(0)
    cfg = FitConfig(out_dir=tmp_path / "run", epochs=2, lr=0.01)
    fit(Line(), mse, data(), cfg, arch="line", model_config={}, callbacks=[Spy()])
    assert seen == [0, 1]


def test_unknown_optimizer():
    with pytest.raises(ValueError, match="unknown optimizer"):
        make_optimizer("lbfgs2", Line().parameters(), 0.1, 0.0)


# The loop owns the device: placement, autocast per device type, stop hook, resume guard.

def test_tiny_model_trains_one_step_on_cpu(tmp_path):
    import json

    torch.manual_seed(0)
    model = Line()
    before = model.lin.weight.detach().clone()
    cfg = FitConfig(out_dir=tmp_path / "run", epochs=1, lr=0.1, device="cpu", lr_schedule="none")
    result = fit(model, mse, data()[:1], cfg, arch="line", model_config={})
    assert result.epochs_run == 1 and not torch.equal(model.lin.weight.detach(), before)
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["device"] == "cpu" and saved["precision"] in ("fp32", "bf16")


def test_loop_has_no_cpu_only_autocast():
    import inspect

    import training.device as device_module
    import training.epoch as epoch_module
    import training.loop as loop_module

    for module in (loop_module, epoch_module, device_module):
        source = inspect.getsource(module).replace(" ", "")
        assert 'autocast("cpu"' not in source and "autocast('cpu'" not in source
    assert "precision.autocast()" in inspect.getsource(epoch_module)
    assert "torch.autocast(self.device_type" in inspect.getsource(device_module)


def test_batches_reach_the_loss_on_the_device(tmp_path, monkeypatch):
    from training import device as device_module

    seen = []

    def spy(model, batch):
        seen.append(batch)
        return mse(model, batch)

    moved = []
    real = device_module.move_to
    monkeypatch.setattr("training.epoch.move_to", lambda b, d: moved.append(d) or real(b, d))
    cfg = FitConfig(out_dir=tmp_path / "run", epochs=1, device="cpu")
    fit(Line(), spy, data(), cfg, arch="line", model_config={})
    assert len(moved) == len(data()) and all(d.type == "cpu" for d in moved)
    assert all(isinstance(b, tuple) and b[0].device.type == "cpu" for b in seen)


def test_move_to_handles_nested_batches():
    from training.device import move_to

    meta = torch.device("meta")  # a device every build has: proves the tensors really moved
    batch = {"x": torch.ones(2), "pair": (torch.zeros(1), [torch.ones(3), "label"]), "n": 4}
    out = move_to(batch, meta)
    assert out["x"].device == meta and out["pair"][0].device == meta and out["pair"][1][0].device == meta
    assert out["pair"][1][1] == "label" and out["n"] == 4 and isinstance(out["pair"], tuple)


def test_precision_is_chosen_per_device_type(monkeypatch):
    from training import device as device_module

    cpu = torch.device("cpu")
    monkeypatch.setattr(device_module, "cpu_has_native_bf16", lambda: True)
    assert device_module.resolve_precision(cpu, "bf16").dtype == torch.bfloat16
    monkeypatch.setattr(device_module, "cpu_has_native_bf16", lambda: False)
    assert device_module.resolve_precision(cpu, "bf16").name == "fp32"  # emulated bf16 is slower
    assert device_module.resolve_precision(cpu, "fp32").dtype is None
    with pytest.raises(ValueError, match="fp16"):
        device_module.resolve_precision(cpu, "fp16")
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    fp16 = device_module.resolve_precision(torch.device("cuda"), "bf16")
    assert fp16.dtype == torch.float16 and fp16.scaled  # old GPUs: fp16 with a gradient scaler


def test_unavailable_device_is_refused(monkeypatch):
    from training.device import resolve_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("cpu").type == "cpu"
    with pytest.raises(ValueError, match="no CUDA"):
        resolve_device("cuda")
    with pytest.raises(ValueError, match="unknown device"):
        resolve_device("tpu")


def test_resume_guard_refuses_a_different_model_or_task(tmp_path):
    from docclean.errors import UsageError

    def go(model_config, task, epochs=2, seed=0):
        cfg = FitConfig(out_dir=tmp_path / "run", epochs=epochs, lr=0.1, seed=seed)
        return fit(Line(), mse, data(), cfg, arch="line", model_config=model_config, info={"task": task})

    go({"width": 4}, {"limit": 10, "data_dir": "/a"}, epochs=1)
    with pytest.raises(UsageError, match=r"model_config\.width"):
        go({"width": 8}, {"limit": 10, "data_dir": "/a"})
    with pytest.raises(UsageError, match=r"fit\.seed differs \(0 there, 5 now\)"):
        go({"width": 4}, {"limit": 10, "data_dir": "/a"}, seed=5)
    with pytest.raises(UsageError, match=r"task\.limit"):
        go({"width": 4}, {"limit": 20, "data_dir": "/a"})
    # Where the data lives may change, and so may the number of epochs: that resumes.
    assert go({"width": 4}, {"limit": 10, "data_dir": "/b"}).epochs_run == 2


def test_stop_hook_stops_mid_epoch_and_resume_continues(tmp_path):
    full = run(tmp_path / "full", 3)
    calls = {"n": 0}

    def stop_after_six():  # 4 batches per epoch: stops after the 2nd batch of epoch 1
        calls["n"] += 1
        return calls["n"] >= 6

    torch.manual_seed(0)
    cfg = FitConfig(out_dir=tmp_path / "part" / "run", epochs=3, lr=0.2, lr_schedule="none")
    stopped = fit(Line(), mse, data(), cfg, arch="line", model_config={}, val_data=data()[:1],
                  should_stop=stop_after_six)
    assert stopped.stopped and stopped.epochs_run == 1
    assert (tmp_path / "part" / "run" / "last.safetensors").exists()
    resumed = run(tmp_path / "part", 3)
    assert not resumed.stopped and resumed.epochs_run == 3
    for a, b in zip(resumed.history, full.history):
        assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-5)


def test_sigterm_sets_the_stop_flag():
    # In a fresh process. pytest's faulthandler gives the main thread a small alternate signal
    # stack and Python delivers signal handlers on it; on a CPU with AMX, once earlier tests ran
    # bf16 inference (AMX tiles) on that thread, the kernel's signal frame no longer fits and it
    # kills the process with SIGSEGV (SI_KERNEL, seen in a core dump) instead of calling the
    # handler. A plain `docclean`/training process has no alternate stack.
    import subprocess
    import sys

    code = ("import signal\n"
            "from training.loop import StopFlag, stop_on_signals\n"
            "with stop_on_signals(StopFlag()) as flag:\n"
            "    signal.raise_signal(signal.SIGTERM)\n"
            "    print(flag())\n")
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=root)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True"


def test_a_diverging_loss_names_epoch_and_batch_from_one_and_the_learning_rate(tmp_path):
    def diverging(model, batch):
        loss, parts = mse(model, batch)
        return loss * float("nan"), parts

    cfg = FitConfig(out_dir=tmp_path / "run", epochs=2, lr=0.2)
    with pytest.raises(FloatingPointError, match=r"at epoch 1, batch 1; .*try a lower --lr than 0\.2$"):
        fit(Line(), diverging, data(), cfg, arch="line", model_config={}, val_data=data()[:1])


def test_a_damaged_run_folder_is_refused_in_one_line_and_another_kind_is_never_offered_a_start_over(tmp_path):
    from docclean.errors import DataError, UsageError

    def go(arch="line"):
        cfg = FitConfig(out_dir=tmp_path / "run", epochs=3, lr=0.1)
        return fit(Line(), mse, data(), cfg, arch=arch, model_config={})

    go()
    with pytest.raises(UsageError) as info:  # config.json says "line": another kind must not be started over
        go(arch="other")
    assert str(info.value).endswith("choose another --out") and "--no-resume" not in str(info.value)
    (tmp_path / "run" / "config.json").unlink()  # gone: the checkpoint itself says what it holds
    with pytest.raises(UsageError, match="holds a different model .'line', not 'other'.; choose another --out$"):
        go(arch="other")
    last = tmp_path / "run" / "last.safetensors"
    last.write_bytes(last.read_bytes()[:-8])  # cut short: the loader's own error was a traceback
    with pytest.raises(DataError, match="choose another --out or start over with --no-resume$") as info:
        go()
    assert "\n" not in str(info.value)


def test_a_resumed_epoch_counts_the_time_it_took_before_the_stop(tmp_path, monkeypatch):
    # A clock that only the batches move, one second each: 4 batches make a 4-second epoch, however
    # the epoch is cut. Resumed after 2 batches, epoch 2 counted only its last 2 (2 s, half the truth),
    # so `fashion compare` showed a resumed run's seconds per epoch too low.
    import types

    import training.loop as loop

    clock = {"now": 0.0}
    monkeypatch.setattr(loop, "time", types.SimpleNamespace(perf_counter=lambda: clock["now"]))

    def timed(model, batch):
        clock["now"] += 1.0
        return mse(model, batch)

    calls = {"n": 0}

    def stop_in_epoch_two():  # asked before each epoch and after each of its 4 batches: the 8th is after batch 2
        calls["n"] += 1
        return calls["n"] >= 8

    def go(**kw):
        cfg = FitConfig(out_dir=tmp_path / "run", epochs=2, lr=0.2, lr_schedule="none")
        return fit(Line(), timed, data(), cfg, arch="line", model_config={}, **kw)

    assert go(should_stop=stop_in_epoch_two).stopped
    assert read_metadata(tmp_path / "run" / "state.safetensors")["trainer"]["partial"]["batches"] == 2
    resumed = go()
    assert not resumed.stopped and [row["epoch_seconds"] for row in resumed.history] == [4.0, 4.0]


def test_a_stopped_epoch_saved_before_its_time_was_recorded_still_resumes(tmp_path):
    import json

    from safetensors import safe_open

    from docclean.checkpoint import atomic_save_tensors
    from training.fit_types import PartialEpoch

    calls = {"n": 0}

    def stop_in_epoch_two():  # as above: after the 2nd batch of the 2nd epoch
        calls["n"] += 1
        return calls["n"] >= 8

    cfg = FitConfig(out_dir=tmp_path / "run", epochs=2, lr=0.2, lr_schedule="none")
    assert fit(Line(), mse, data(), cfg, arch="line", model_config={}, should_stop=stop_in_epoch_two).stopped
    state_path = tmp_path / "run" / "state.safetensors"
    with safe_open(str(state_path), "pt") as f:  # rewritten as an older version wrote it: no "seconds"
        tensors, meta = {k: f.get_tensor(k) for k in f.keys()}, json.loads(f.metadata()["docclean"])
    assert meta["trainer"]["partial"].pop("seconds") > 0
    atomic_save_tensors(tensors, state_path, {"docclean": json.dumps(meta)})
    resumed = fit(Line(), mse, data(), cfg, arch="line", model_config={})
    assert resumed.epochs_run == 2 and resumed.history[1]["epoch_seconds"] >= 0
    assert PartialEpoch(epoch=1).seconds == 0.0


def test_fewer_epochs_than_the_run_has_done_are_refused_and_not_stored(tmp_path):
    import json

    from docclean.errors import UsageError, exit_code

    run(tmp_path, 3)
    saved = (tmp_path / "run" / "config.json").read_text()
    with pytest.raises(UsageError, match=r"^the run has already trained 3 epochs; give more than 3 to train it "
                                         r"further$") as info:
        run(tmp_path, 2)
    assert exit_code(info.value) == 2 and info.value.settings == ("epochs",)
    assert (tmp_path / "run" / "config.json").read_text() == saved  # the smaller figure is not stored
    assert json.loads(saved)["fit"]["epochs"] == 3
    assert run(tmp_path, 3).epochs_run == 3  # as many as done: a finished run, nothing to do
    assert run(tmp_path, 2, resume=False).epochs_run == 2  # starting over may train fewer


def guarded(tmp_path, arch="line", epochs=1, **kw):
    torch.manual_seed(0)
    cfg = FitConfig(out_dir=tmp_path / "run", epochs=epochs, lr=0.2, lr_schedule="none", **kw)
    return fit(Line(), mse, data(), cfg, arch=arch, model_config={}, val_data=data()[:1],
               derived_files=("eval.json", "anomalies.*"))


def test_a_fit_that_guards_its_folder_writes_over_no_other_files(tmp_path):
    from docclean.errors import UsageError

    out = tmp_path / "run"
    out.mkdir()
    (out / "config.json").write_text('{"project": "mine"}')
    (out / "101.png").write_bytes(b"scan")
    with pytest.raises(UsageError, match=r"already holds other files \(e\.g\. 101\.png\) but no earlier run"):
        guarded(tmp_path)
    assert sorted(p.name for p in out.iterdir()) == ["101.png", "config.json"]  # untouched
    assert (out / "config.json").read_text() == '{"project": "mine"}'
    (tmp_path / "afile").write_text("")
    with pytest.raises(UsageError, match="not a folder"):  # was [Errno 17] File exists
        fit(Line(), mse, data(), FitConfig(out_dir=tmp_path / "afile", epochs=1), arch="line", model_config={},
            derived_files=())


def test_starting_over_refuses_another_network_and_clears_what_the_last_run_left(tmp_path):
    from docclean.errors import UsageError

    out = tmp_path / "run"
    assert guarded(tmp_path, epochs=2).epochs_run == 2
    guarded(tmp_path, epochs=2)  # the same run again: resumed (nothing to do), as before
    before = (out / "best.safetensors").read_bytes()
    for name in ("eval.json", "anomalies.png", "notes.txt"):
        (out / name).write_text("of the earlier model")
    with pytest.raises(UsageError, match=r"cannot start over: .*\('line', not 'other'\); choose another --out$"):
        guarded(tmp_path, arch="other", resume=False)  # --no-resume overwrote a run of another kind
    assert (out / "best.safetensors").read_bytes() == before and (out / "eval.json").exists()
    result = guarded(tmp_path, epochs=1, resume=False)
    assert result.epochs_run == 1 and len((out / "metrics.csv").read_text().splitlines()) == 2
    assert not (out / "eval.json").exists() and not (out / "anomalies.png").exists()  # they described the old one
    assert (out / "notes.txt").exists()


def test_a_run_folder_that_cannot_be_made_is_one_output_error(tmp_path):
    from docclean.errors import OutputError

    (tmp_path / "afile").write_text("")
    cfg = FitConfig(out_dir=tmp_path / "afile" / "run", epochs=1)
    with pytest.raises(OutputError) as info:  # was "[Errno 20] Not a directory: ..."
        fit(Line(), mse, data(), cfg, arch="line", model_config={})
    assert info.value.reason == "cannot make the run folder (Not a directory)"
    assert info.value.path == tmp_path / "afile" / "run"


def test_a_run_whose_metrics_csv_counts_from_zero_resumes_counting_from_one(tmp_path):
    run(tmp_path, 2)
    metrics = tmp_path / "run" / "metrics.csv"
    rows = list(csv.DictReader(metrics.open()))
    assert [row["epoch"] for row in rows] == ["1", "2"]  # was 0.0, 1.0 while everything else counts from 1
    old = metrics.read_text().replace("\n1,", "\n0.0,", 1).replace("\n2,", "\n1.0,", 1)
    metrics.write_text(old)  # as runs made before wrote it
    result = run(tmp_path, 3)
    assert [row["epoch"] for row in result.history] == [0, 1, 2]
    assert [row["epoch"] for row in csv.DictReader(metrics.open())] == ["1", "2", "3"]


def test_a_save_cut_between_the_weights_and_the_trainer_state_does_not_train_that_epoch_twice(tmp_path):
    # A full disk (or a kill) after last.safetensors of epoch 3 and before its trainer state: the
    # resume trained epoch 3 again on epoch 3's own weights.
    full = run(tmp_path / "a", 4)
    folder = tmp_path / "b" / "run"
    run(tmp_path / "b", 2)
    state, csv_rows = (folder / "state.safetensors").read_bytes(), (folder / "metrics.csv").read_bytes()
    run(tmp_path / "b", 3)
    (folder / "state.safetensors").write_bytes(state)  # the state and the table of epoch 2, the weights of 3
    (folder / "metrics.csv").write_bytes(csv_rows)
    resumed = run(tmp_path / "b", 4)
    assert [row["epoch"] for row in resumed.history] == [0.0, 1.0, 2.0, 3.0]
    assert resumed.history[2]["train_loss"] == pytest.approx(full.history[2]["train_loss"], rel=1e-6)
    assert resumed.history[3]["train_loss"] == pytest.approx(full.history[3]["train_loss"], rel=0.05)
    assert read_metadata(folder / "best.safetensors")["epoch"] == resumed.best_epoch


def test_a_full_disk_while_a_checkpoint_is_saved_is_an_os_error_not_safetensors_own(tmp_path, monkeypatch):
    import errno

    from safetensors import SafetensorError

    import docclean.checkpoint

    def full(*args, **kwargs):
        raise SafetensorError("Error while serializing: I/O error: No space left on device (os error 28)")

    monkeypatch.setattr(docclean.checkpoint, "save_file", full)
    with pytest.raises(OSError) as info:
        docclean.checkpoint.atomic_save_tensors({"w": torch.zeros(2)}, tmp_path / "x.safetensors", {})
    assert info.value.errno == errno.ENOSPC and info.value.strerror == "No space left on device"
    assert list(tmp_path.iterdir()) == []  # nothing half-written left behind


def test_keep_every_keeps_those_epochs_weights_and_a_fresh_start_clears_them(tmp_path):
    out = tmp_path / "run"
    result = guarded(tmp_path, epochs=6, keep_every=2)
    kept = sorted(p.name for p in (out / "epochs").iterdir())
    assert kept == ["epoch_001.safetensors", "epoch_003.safetensors", "epoch_005.safetensors"]
    last, _ = load_model(out / "last.safetensors")
    fifth, meta = load_model(out / "epochs" / "epoch_005.safetensors")
    assert meta["epoch"] == 5 and meta["metrics"]["train_loss"] == result.history[5]["train_loss"]
    assert torch.equal(last.lin.weight, fifth.lin.weight)
    third, _ = load_model(out / "epochs" / "epoch_003.safetensors")
    assert not torch.equal(third.lin.weight, fifth.lin.weight)
    guarded(tmp_path, epochs=1, resume=False)  # a fresh run: the kept epochs were the old run's
    assert not (out / "epochs").exists()  # nothing left of them, not even their folder
    assert not (tmp_path / "plain").exists() and run(tmp_path / "plain", 2).epochs_run == 2
    assert not (tmp_path / "plain" / "run" / "epochs").exists()  # off by default
