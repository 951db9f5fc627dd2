"""The ``docclean`` app as a whole: how it prints what is not an error."""

from __future__ import annotations

import warnings


def test_a_warning_is_one_line_without_python_s_file_and_source() -> None:
    import cli.main  # noqa: F401 - sets the format

    text = warnings.formatwarning(RuntimeWarning("backend 'openvino' could not load\n x"), RuntimeWarning,
                                  "/a/b.py", 3, "backend = open_backend(path, settings)")
    assert text == "warning: backend 'openvino' could not load x\n"


def test_a_ctrl_c_before_a_command_began_is_one_line_and_exit_130(monkeypatch, capsys) -> None:
    import pytest
    import typer

    import cli.main
    from cli.entry import main

    def interrupted_while_building() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli.main, "app", interrupted_while_building)
    with pytest.raises(SystemExit) as stop:
        main()
    assert stop.value.code == 130 and capsys.readouterr().err == "interrupted; nothing was written\n"

    # Typer turns a Ctrl-C no command handled into a silent exit 130; the entry point says it.
    app = typer.Typer()

    @app.command()
    def parse() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli.main, "app", lambda: app([], prog_name="docclean"))
    with pytest.raises(SystemExit) as stop:
        main()
    assert stop.value.code == 130 and capsys.readouterr().err == "interrupted\n"

    # A command that says how it stopped and exits 130 itself is not said twice.
    @app.command()
    def own() -> None:
        raise typer.Exit(130)

    monkeypatch.setattr(cli.main, "app", lambda: app(["own"], prog_name="docclean"))
    with pytest.raises(SystemExit) as stop:
        main()
    assert stop.value.code == 130 and capsys.readouterr().err == ""


def test_version_prints_the_package_version_and_exits() -> None:
    from pathlib import Path

    import tomllib
    from typer.testing import CliRunner

    from cli.main import app

    result = CliRunner().invoke(app, ["--version"])
    declared = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())["project"]["version"]
    assert result.exit_code == 0 and result.output == f"docclean {declared}\n"
