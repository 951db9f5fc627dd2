"""``docclean models``: the built-in models and any model files given, with what they say about
themselves (read from the file's header; no torch is loaded)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from cli.errors import error_line, reported_errors
from docclean.errors import DocCleanError, exit_code


def models(
    paths: Annotated[list[Path] | None, typer.Argument(
        metavar="[MODEL...]", show_default=False, help="Model files to describe besides the built-in ones.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """List the built-in models and the given model files: architecture, parameters, size,
    training data and command, validation metrics and the model each was fine-tuned from. A given
    file that is no model is named, with why, and nothing is listed (exit 2).

    Example: docclean models runs/mine/best.safetensors
    """
    from docclean.models import builtin_models, describe_lines, describe_model

    with reported_errors():
        builtins = builtin_models()  # a built-in named again is not listed twice
    described, failed = [], []
    for name in [*builtins, *(p for p in paths or [] if str(p) not in builtins)]:
        try:  # each file on its own: every bad file is named, not only the first
            described.append(describe_model(name))
        except (DocCleanError, OSError, ValueError) as exc:
            failed.append(exc)
    if failed:  # errors before any output: a script reading stdout never gets a list without a model it asked for
        for exc in failed:
            typer.echo(error_line(exc), err=True)
        raise typer.Exit(max(exit_code(exc) for exc in failed))
    if as_json:
        typer.echo(json.dumps(described, indent=2))
    else:
        for info in described:
            typer.echo("\n".join(describe_lines(info)))
