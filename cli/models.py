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
    from docclean.models import builtin_models, describe_model

    with reported_errors():
        described = [describe_model(name) for name in builtin_models()] + [describe_model(p) for p in paths or []]
    if as_json:
        typer.echo(json.dumps(described, indent=2))
        return
    for info in described:
        label = f"{info['name']} (built-in)" if info["builtin"] else info["path"]
        typer.echo(label)
        typer.echo(f"  architecture  {info['arch']} {json.dumps(info['config'])}")
        typer.echo(f"  parameters    {info['parameters']:,}; file {info['bytes'] / 1e6:.1f} MB")
        metrics = ", ".join(f"{k} {v:.4f}" for k, v in dict(info["val_metrics"]).items()) or "none recorded"
        typer.echo(f"  validation    {metrics}" + (f" (epoch {info['epoch'] + 1})" if info["epoch"] is not None else ""))
        data = info["data"]
        if isinstance(data, dict):  # a retrained model's folders: {"noisy": ..., "clean": ...}
            data = ", ".join(f"{k} {v}" for k, v in data.items())
        typer.echo(f"  data          {data or 'not recorded'}")
        typer.echo(f"  command       {info['command'] or 'not recorded'}")
        if info["init_from"]:
            typer.echo(f"  fine-tuned from {info['init_from']}")
