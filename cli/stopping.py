"""How the training commands stop: Ctrl-C and SIGTERM ask the run to stop after its batch, it saves
what resume needs, and the command exits with the documented code (130 Ctrl-C, 143 SIGTERM)."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from docclean.errors import EXIT_INTERRUPTED, EXIT_TERMINATED


@contextmanager
def stoppable() -> Iterator:
    """A stop flag that Ctrl-C and SIGTERM set, for ``fit(should_stop=...)``."""
    from training.stop import StopFlag, stop_on_signals

    with stop_on_signals(StopFlag(), (signal.SIGINT, signal.SIGTERM)) as flag:
        yield flag


def exit_stopped(flag, how_to_continue: str) -> None:  # type: ignore[no-untyped-def]
    """When a signal stopped the run: say how to continue it, and exit 130 or 143."""
    if not flag.requested:
        return
    typer.echo(f"stopped; {how_to_continue}", err=True)
    raise typer.Exit(EXIT_TERMINATED if flag.signum == signal.SIGTERM else EXIT_INTERRUPTED)


def continue_hint(out: Path, resume: bool) -> str:
    """How to continue a suite run stopped in ``out``."""
    if resume:
        return f"rerun the same command to continue the run in {out}"
    return f"rerun it without --no-resume to continue the run in {out}"
