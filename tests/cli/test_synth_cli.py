"""Tests for `docclean synth`: pairs written under noisy/ and clean/, the same for a seed."""

from typer.testing import CliRunner

from cli.main import app

runner = CliRunner()


def test_synth_writes_seeded_pairs(tmp_path):
    args = ["--n", "2", "--dpi", "150", "--size", "96", "--seed", "3"]
    result = runner.invoke(app, ["synth", str(tmp_path / "a"), *args])
    assert result.exit_code == 0, result.output
    noisy = sorted(p.name for p in (tmp_path / "a" / "noisy").iterdir())
    assert len(noisy) == 2 and noisy == sorted(p.name for p in (tmp_path / "a" / "clean").iterdir())
    assert runner.invoke(app, ["synth", str(tmp_path / "b"), *args]).exit_code == 0
    for name in noisy:
        assert (tmp_path / "a" / "noisy" / name).read_bytes() == (tmp_path / "b" / "noisy" / name).read_bytes()


def test_synth_rejects_bad_count(tmp_path):
    assert runner.invoke(app, ["synth", str(tmp_path), "--n", "0"]).exit_code == 2


def test_synth_uneven_changes_only_the_noisy_pages(tmp_path):
    args = ["--n", "1", "--dpi", "300", "--size", "256", "--seed", "2"]
    assert runner.invoke(app, ["synth", str(tmp_path / "plain"), *args]).exit_code == 0
    result = runner.invoke(app, ["synth", str(tmp_path / "faded"), *args, "--uneven", "1"])
    assert result.exit_code == 0, result.output
    (name,) = [p.name for p in (tmp_path / "plain" / "noisy").iterdir()]
    assert (tmp_path / "plain" / "clean" / name).read_bytes() == (tmp_path / "faded" / "clean" / name).read_bytes()
    assert (tmp_path / "plain" / "noisy" / name).read_bytes() != (tmp_path / "faded" / "noisy" / name).read_bytes()
    assert runner.invoke(app, ["synth", str(tmp_path / "x"), "--uneven", "1.5"]).exit_code == 2
