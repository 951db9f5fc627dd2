"""The ``docclean`` command: a thin Typer app whose sub-commands call docclean and training."""

from __future__ import annotations

import warnings
from typing import Annotated

import typer

from cli import clean, evaluate, faces, fashion, models, train, vae, watch


def _one_line(message: Warning | str, category: type[Warning], filename: str, lineno: int,
              line: str | None = None) -> str:
    # Python's own format adds the file, line and source of the call that warned: noise to a user.
    return f"warning: {' '.join(str(message).split())}\n"


warnings.formatwarning = _one_line

app = typer.Typer(
    name="docclean",
    help="Clean scanned documents: crisp dark text on white paper, offline, with a model that ships inside.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",  # paragraphs reflow to the terminal ("rich" keeps each source line break)
)


def _print_version(value: bool) -> None:
    if value:
        from docclean import __version__

        typer.echo(f"docclean {__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                                help="Print docclean's version and exit.")] = False) -> None:
    # Options of ``docclean`` itself, before any command (the app's help is Typer(help=...)'s).
    pass


app.command("clean")(clean.clean)
app.command("gui")(__import__("cli.gui", fromlist=["gui"]).gui)
app.command("watch")(watch.watch)
app.command("eval")(evaluate.evaluate)
app.command("models")(models.models)
app.command("synth")(__import__("cli.synth", fromlist=["synth"]).synth)
app.command("train")(train.train)
app.add_typer(fashion.app, name="fashion")
app.add_typer(vae.app, name="vae")
app.add_typer(faces.app, name="faces")


if __name__ == "__main__":
    app()
