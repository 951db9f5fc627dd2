"""``docclean models``: the built-in models and any model files given, with what they say about
themselves (read from the file's header; no torch is loaded)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from cli.errors import reported_errors


def models(
    paths: Annotated[list[Path] | None, typer.Argument(
        metavar="[MODEL...]", show_default=False, help="Model files to describe besides the built-in ones.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """List the built-in models and the given model files: architecture, parameters, size,
    training data and command, validation metrics and the model each was fine-tuned from.

    Example: docclean models runs/mine/best.safetensors
    """
    from docclean.models import builtin_models, describe_lines, describe_model

    with reported_errors():
        builtins = builtin_models()  # a built-in named again is not listed twice
        described = [describe_model(name) for name in builtins] + [describe_model(p) for p in paths or []
                                                                    if str(p) not in builtins]
    if as_json:
        typer.echo(json.dumps(described, indent=2))
        return
    for info in described:
        typer.echo("\n".join(describe_lines(info)))
