"""Test inputs for the cluster tests: synthetic pages, multi-page TIFF and PDF, tree comparison, and a
second run started while a first one plans."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from PIL import Image

from docclean.progress import CleanProgress


def import_or_skip(name: str, reason: str) -> ModuleType:
    """Import ``name``, or skip (the whole module when called at its top) when it cannot be
    imported at all: missing, or installed but broken."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        pytest.skip(f"{reason} ({type(exc).__name__}: {exc})", allow_module_level=True)


def page(seed: int, h: int = 96, w: int = 128) -> np.ndarray:
    """A grey uint8 page: light paper with a gradient and dark strokes."""
    rng = np.random.default_rng(seed)
    img = np.clip(200 - np.linspace(0, 40, w)[None] + rng.normal(0, 12, (h, w)), 0, 255).astype(np.uint8)
    for _ in range(h * w // 800):
        y, x = rng.integers(2, h - 10), rng.integers(2, w - 4)
        img[y:y + 8, x:x + 2] = 30
    return img


def write_image(path: Path, seed: int, pages: int = 1, h: int = 96, w: int = 128) -> Path:
    """A PNG/JPEG/TIFF (``pages`` > 1: a multi-page TIFF) of synthetic pages."""
    path.parent.mkdir(parents=True, exist_ok=True)
    images = [Image.fromarray(page(seed + i, h, w)) for i in range(pages)]
    images[0].save(path, save_all=pages > 1, append_images=images[1:], dpi=(150, 150))
    return path


def write_pdf(path: Path, seed: int, pages: int) -> Path:
    """A multi-page PDF of scanned-looking pages, written by docclean's own PDF writer."""
    from docclean.writer import PageWriter

    path.parent.mkdir(parents=True, exist_ok=True)
    with PageWriter(path) as writer:
        for i in range(pages):
            writer.add(page(seed + i).astype(np.float32) / 255, (150.0, 150.0))
    return path


def tree(folder: Path) -> dict[str, bytes]:
    """Every visible file under ``folder`` by relative path, with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)}


def hidden(folder: Path) -> list[str]:
    """Hidden files or folders left under ``folder`` (temporary outputs, staging, locks)."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob(".*"))


def second_run_during(real: Callable[..., Any], source: Path, out: Path, settings: Any
                      ) -> tuple[Callable[..., Any], list[Any]]:
    """A stand-in for ``real`` that, on its first call, runs a local ``clean_batch`` of ``source``
    into ``out``; the list gets "started" and then that run's Report or its OutputBusy."""
    from docclean.batch import clean_batch
    from docclean.outputs import OutputBusy

    other: list[Any] = []

    def wrapped(*args: Any, **kw: Any) -> Any:
        if not other:  # another run starts while this one is deciding what is left to do
            other.append("started")
            try:
                other.append(clean_batch([str(source)], out, settings))
            except OutputBusy as exc:
                other.append(exc)
        return real(*args, **kw)

    return wrapped, other


class CancelAfterPages(CleanProgress):
    """Progress that asks the run to stop once ``pages`` pages are done (a Ctrl-C, in effect)."""

    def __init__(self, pages: int) -> None:
        self.pages, self.limit = 0, pages

    def on_page_done(self, job, page) -> None:  # noqa: ANN001
        self.pages += 1

    def cancelled(self) -> bool:
        return self.pages >= self.limit


def read_report(path: Path) -> dict[str, Any]:
    """A JSON report as written."""
    return json.loads(path.read_text(encoding="utf-8"))


def by_name(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A report's file entries by the source's name."""
    return {Path(entry["source"]).name: entry for entry in data["files"]}


def record(data: dict[str, Any], name: str) -> dict[str, Any]:
    """What a file carries of the run that cleaned it, from that run's report."""
    entry = by_name(data)[name]
    return {"started": data["started"], "pages": entry["pages"], "warnings": entry["warnings"]}


class StopAfterFiles(CleanProgress):
    """Asks the run to stop once ``files`` files are done (a Ctrl-C between two files, in effect)."""

    def __init__(self, files: int) -> None:
        self.files, self.done = files, 0

    def on_file_done(self, result: Any) -> None:
        self.done += 1

    def cancelled(self) -> bool:
        return self.done >= self.files
