"""The ``--backend`` help of ``docclean clean`` and ``docclean watch`` names the CPU runtimes in the
order ``open_backend`` tries them with ``--backend auto`` (the help is made from that order)."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

import docclean.backends as backends
from cli.clean import clean
from cli.watch import watch
from docclean.settings import CleanSettings


def _backend_help(command: object) -> str:
    """The help text of ``command``'s ``backend`` option, as Typer shows it."""
    annotation = inspect.signature(command, eval_str=True).parameters["backend"].annotation
    return next(meta.help for meta in annotation.__metadata__ if hasattr(meta, "help"))


def _order_auto_tries(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The backends ``open_backend`` tries with ``auto`` on a CPU where every runtime is installed
    and each but torch fails to load the model."""
    tried: list[str] = []

    def opening(name: str, model_path: Path, settings: CleanSettings) -> object:
        tried.append(name)
        if name != "torch":
            raise RuntimeError("cannot load")
        return object()

    monkeypatch.setattr(backends, "_importable", lambda module: True)
    monkeypatch.setattr(backends, "check_page_model", lambda path: None)
    monkeypatch.setattr(backends, "_open_named", opening)
    with pytest.warns(RuntimeWarning):
        backends.open_backend(Path("model.safetensors"), CleanSettings(backend="auto", device="cpu"))
    return tried


@pytest.mark.parametrize("command", [clean, watch], ids=["clean", "watch"])
def test_backend_help_names_the_runtimes_in_the_order_auto_tries_them(
        command: object, monkeypatch: pytest.MonkeyPatch) -> None:
    tried = _order_auto_tries(monkeypatch)
    assert tried == list(backends.CPU_ORDER)
    help_text = _backend_help(command)
    said = ", then ".join(backends.RUNTIME_NAMES[name] for name in tried)
    assert f"auto: on a CPU, {said}, the first installed" in help_text
