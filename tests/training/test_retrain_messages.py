"""What ``docclean train`` tells its user beyond the checks: temporaries a killed run left are
cleared, a full disk says how to go on, pairs that cannot be split say how to split them, the page
count includes --synthetic pages, and --from names its built-in models. Tiny pairs, CPU."""

from pathlib import Path

import pytest

from cli.main import app
from docclean.errors import DiskFullError
from tests.training.test_retrain_guards import make_pairs, no_pictures, one_error_line, runner, train  # noqa: F401 (a fixture)


def test_temporaries_a_killed_run_left_are_removed_and_synthetic_pages_counted(tmp_path: Path,
                                                                                tiny_model_path: Path) -> None:
    data, out = make_pairs(tmp_path / "data"), tmp_path / "run"
    out.mkdir()
    stale = out / ".samples.png.a1b2c3d4.tmp"  # as docclean.atomic names them; kill -9 mid-write leaves it
    stale.touch()
    other = out / ".notes.txt.a1b2c3d4.tmp"  # not a temporary of the run's own files: kept
    other.touch()
    result = train(data / "noisy", data / "clean", out, "--synthetic", "2", model=tiny_model_path)
    assert result.exit_code == 0, result.output
    assert not stale.exists() and other.exists()
    assert "6 training pages (2 of them synthetic) and 2 validation pages" in result.output  # 6 split 4 + 2


def test_a_full_disk_says_how_to_go_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import training.retrain

    data, out = make_pairs(tmp_path / "data"), tmp_path / "run"

    def full(cfg, **kwargs):  # the run folder holds the run (retrain.json), then the disk fills
        out.mkdir()
        (out / "retrain.json").write_text("{}")
        raise DiskFullError("cannot write in the run folder (No space left on device)", out)

    monkeypatch.setattr(training.retrain, "retrain", full)
    result = train(data / "noisy", data / "clean", out)
    assert result.exit_code == 1
    assert one_error_line(result.output).endswith(
        f"No space left on device); once there is space, continue with: docclean train --resume {out}")


def test_pairs_of_one_original_suggest_group_or_a_validation_set(tmp_path: Path) -> None:
    data = make_pairs(tmp_path / "data", texts=1)  # two scans of one original: one group
    result = train(data / "noisy", data / "clean", tmp_path / "run")
    line = one_error_line(result.output)
    assert result.exit_code == 1 and "cannot hold any out for validation: give --group PATTERN" in line
    assert "--group '^([^_]+)_'" in line and "(--val-noisy, --val-clean)" in line


def test_from_help_names_the_built_in_models() -> None:
    result = runner.invoke(app, ["train", "--help"], terminal_width=200)
    assert "'fast'" in result.output


def test_a_full_disk_met_outside_the_run_folder_writers_says_it_too(tmp_path: Path) -> None:
    import errno

    from cli.train import disk_full

    (tmp_path / "retrain.json").write_text("{}")
    said = disk_full(OSError(errno.ENOSPC, "No space left on device"), tmp_path)
    assert isinstance(said, DiskFullError)
    assert said.reason.endswith(f"once there is space, continue with: docclean train --resume {tmp_path}")
    other = PermissionError(errno.EACCES, "Permission denied")
    assert disk_full(other, tmp_path) is other  # told as it was
