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
