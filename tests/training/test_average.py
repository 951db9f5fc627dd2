"""training.average: a weight-by-weight average of a start and its fine-tune, saying what it is."""

from __future__ import annotations

import pytest
import torch

from docclean.checkpoint import load_model, save_model
from docclean.errors import ModelError
from docclean.model import DocUNet, DocUNetConfig
from docclean.models import describe_lines, describe_model
from training.average import average, main

CONFIG = DocUNetConfig(unshuffle=2, widths=[4, 8], blocks=[1, 1])


def _saved(path, seed: int, info: dict | None = None, config: DocUNetConfig = CONFIG):
    torch.manual_seed(seed)
    model = DocUNet(config)
    return save_model(model, path, "docunet", model.config.to_dict(), info)


def test_the_average_lies_at_the_weight_between_the_two_and_says_what_it_is(tmp_path):
    start = _saved(tmp_path / "start.safetensors", 0)
    tuned = _saved(tmp_path / "tuned.safetensors", 1, {"command": "python -m training.denoiser --out runs/t",
                                                        "epoch": 4, "metrics": {"val_rmse": 0.02}})
    out = average(start, tuned, tmp_path / "avg.safetensors", 0.25, command="python -m training.average ...")
    a, b, m = (load_model(p)[0].state_dict() for p in (start, tuned, out))
    for k, v in m.items():
        if v.is_floating_point():
            assert torch.allclose(v, 0.75 * a[k] + 0.25 * b[k], atol=1e-6), k
    info = describe_model(out)
    assert info["command"] == "python -m training.denoiser --out runs/t"
    assert info["val_metrics"] == {} and info["epoch"] is None  # the fine-tune's figures are not the average's
    assert info["averaged"]["tuned_metrics"] == {"val_rmse": 0.02} and info["averaged"]["weight"] == 0.25
    (line,) = [x for x in describe_lines(info) if x.strip().startswith("averaged")]
    assert str(start) in line and "(0.25 of it)" in line and line.endswith("python -m training.average ...")


def test_another_architecture_or_a_weight_outside_0_1_is_refused(tmp_path, capsys):
    start = _saved(tmp_path / "start.safetensors", 0)
    wider = _saved(tmp_path / "wider.safetensors", 1, config=DocUNetConfig(unshuffle=2, widths=[8, 8], blocks=[1, 1]))
    with pytest.raises(ModelError, match="another architecture"):
        average(start, wider, tmp_path / "avg.safetensors")
    with pytest.raises(SystemExit, match="weight must be between 0 and 1, not 1.5"):
        main([str(start), str(start), str(tmp_path / "avg.safetensors"), "--weight", "1.5"])
    assert not (tmp_path / "avg.safetensors").exists()


def test_the_mean_of_a_runs_epochs_is_their_plain_average_and_says_so(tmp_path, capsys):
    paths = [_saved(tmp_path / f"e{i}.safetensors", i, {"command": "python -m training.denoiser --out runs/r",
                                                         "epoch": 9 + 10 * i, "metrics": {"val_rmse": 0.02}})
             for i in range(3)]
    out = tmp_path / "mean.safetensors"
    main(["--mean", str(out), *map(str, paths)])
    assert capsys.readouterr().out.strip() == f"wrote {out}"
    states = [load_model(p)[0].state_dict() for p in paths]
    for k, v in load_model(out)[0].state_dict().items():
        assert torch.allclose(v, sum(s[k] for s in states) / 3, atol=1e-6), k
    info = describe_model(out)
    assert info["epoch"] is None and info["val_metrics"] == {} and info["command"].endswith("--out runs/r")
    (line,) = [x for x in describe_lines(info) if x.strip().startswith("averaged")]
    assert "the mean of 3 checkpoints (epochs 10, 20, 30): python -m training.average --mean" in line
    with pytest.raises(SystemExit, match="two checkpoints or more, not 1"):
        main(["--mean", str(tmp_path / "one.safetensors"), str(paths[0])])
    wider = _saved(tmp_path / "wider.safetensors", 1, config=DocUNetConfig(unshuffle=2, widths=[8, 8], blocks=[1, 1]))
    with pytest.raises(SystemExit, match="another architecture"):
        main(["--mean", str(tmp_path / "bad.safetensors"), str(paths[0]), str(wider)])
    assert not (tmp_path / "one.safetensors").exists() and not (tmp_path / "bad.safetensors").exists()


def test_an_average_with_the_mean_of_a_runs_epochs_keeps_both_records(tmp_path):
    """The marks recipe: the mean of a run's kept epochs, then averaged with the start model."""
    paths = [_saved(tmp_path / f"e{i}.safetensors", i, {"command": "python -m training.denoiser --out runs/r",
                                                         "epoch": 9 + 10 * i}) for i in range(2)]
    mean = tmp_path / "mean.safetensors"
    main(["--mean", str(mean), *map(str, paths)])
    start = _saved(tmp_path / "start.safetensors", 5)
    out = average(start, mean, tmp_path / "avg.safetensors", 0.5, command="python -m training.average S T O")
    info = describe_model(out)
    assert info["averaged"]["tuned_averaged"]["epochs"] == [9, 19]
    lines = [x.strip() for x in describe_lines(info) if x.strip().startswith("averaged")]
    assert lines[0].startswith("averaged      the mean of 2 checkpoints (epochs 10, 20): "
                               "python -m training.average --mean")
    assert str(start) in lines[1] and lines[1].endswith("(0.5 of it): python -m training.average S T O")
