"""Where the surround shows light writing on a lid dark on white (``docclean.surround``, 2026-12-05).

Before, the part of a lid within a seed's width of light writing (a microfilm frame's number,
flecks of dust grouped like letters) was left to the network, which drew it as a grey blotch in the
white surround. Now it is turned over (``Surround.apply``) where its letters lie on the lid itself,
the lid around them is flat and nothing that would vanish lies next to it.

Prints, for every page set as it is and for the synthetic and historical pages laid on a dark lid
(``bench/surround.py``'s placements), how many pages have a surround and on how many light writing
is shown, with the share of the page shown and the pages' names; then writes a picture of the first
real scan that has some: the scan, the page cleaned with the writing left to the network, and as
shipped (bench/results/lid_writing.png). The real scans are validation only: nothing here was
chosen on them.

    python bench/experiments/lid_writing.py
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench.experiments.scoring import page_sets  # noqa: E402
from bench.surround import PLACES, SHARED, on_lid  # noqa: E402
from docclean.engine import Denoiser  # noqa: E402
from docclean.io import read_gray  # noqa: E402
from docclean.levels import network_page  # noqa: E402
from docclean.surround import Surround, find_surround  # noqa: E402

SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}


def shown(page: np.ndarray) -> tuple[Surround | None, float]:
    """The surround the engine finds on ``page`` and the share of the page shown turned over."""
    surround = find_surround(network_page(page))
    if surround is None or surround.writing is None:
        return surround, 0.0
    return surround, float(surround.writing.mean())


def report(title: str, pages: list[tuple[str, np.ndarray]]) -> list[str]:
    """One table row for ``pages`` (name, grey page); returns the names with writing shown."""
    found, names, share = 0, [], []
    for name, page in pages:
        surround, part = shown(page)
        found += surround is not None
        if part > 0:
            names.append(name)
            share.append(part)
    where = ", ".join(f"{n} ({s:.2%})" for n, s in zip(names, share)) or "-"
    print(f"| {title} ({len(pages)} pages) | {found} | {len(names)} | {where} |", flush=True)
    return names


def files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES)


def picture(path: Path, out: Path) -> None:
    """The scan, the writing left to the network, and as shipped, around the writing shown."""
    page = read_gray(path)
    shipped = Denoiser.load("default").clean(page)
    before = Denoiser.load("default", clear_surround=False).clean(page)
    surround = find_surround(network_page(page))
    paint = surround.lid.copy()
    before[paint] = 1.0  # the lid cleared as before, the writing's part left to the network
    ys, xs = np.nonzero(surround.writing)
    cy, cx = int(ys.mean()), int(xs.mean())
    h, w = page.shape
    y0, x0 = max(0, min(h - 200, cy - 100)), max(0, min(w - 300, cx - 150))
    crops = [p[y0:y0 + 200, x0:x0 + 300] for p in (page, before, shipped)]
    gap = np.full((200, 6), 0.5, np.float32)
    cv2.imwrite(str(out), np.clip(np.hstack([crops[0], gap, crops[1], gap, crops[2]]) * 255, 0, 255).astype(np.uint8))
    print(f"\npicture: {out.relative_to(ROOT)} ({path.name}, 300 x 200 px at 100% from ({x0}, {y0}))")


def page_groups() -> Iterator[tuple[str, list[Path], list[tuple[str, np.ndarray]]]]:
    """The page sets of this bench and of bench/experiments/hanging_bands.py, one at a time:
    (title, the real scans' paths or [], [(name, grey page)]): the real scans, Dirty Documents and
    the synthetic pages as they are, then the synthetic and historical pages laid on a dark lid."""
    for sub in ("dibco-extra/noisy", "funsd-train/images", "sroie-train/images"):
        paths = files(SHARED / "real-scans" / sub)
        yield f"real-scans/{sub.split('/')[0]}", paths, [(p.name, read_gray(p)) for p in paths]
    yield "dirty-documents", [], [(p.name, read_gray(p)) for p in files(SHARED / "dirty-documents/train")]
    with tempfile.TemporaryDirectory() as tmp:
        dibco, synth = page_sets(Path(tmp), 56).values()
        yield "synthetic, seed 3000", [], [(n.name, read_gray(n)) for n, _ in synth]
        for title, pairs in (("synthetic, seed 3000", synth), ("dibco-extra", dibco)):
            for place in PLACES:
                yield (f"{title}, on a lid, {place}", [],
                       [(n.name, on_lid(read_gray(n), place, np.random.default_rng(i))[0])
                        for i, (n, _) in enumerate(pairs)])


def run(header: str, report, picture, out: Path) -> None:  # type: ignore[no-untyped-def]
    """The loop of this bench and bench/experiments/hanging_bands.py: print ``header``, then
    ``report(title, pages)`` per group (it returns the names of the pages it found), and draw the
    first real scan found with ``picture(path, out)``."""
    print(header)
    real = []
    for title, paths, pages in page_groups():
        names = report(title, pages)
        real += [p for p in paths if p.name in names]
    if real:
        picture(real[0], out)


def main() -> None:
    run("| pages | with a surround | light writing shown | pages (share of the page shown) |\n|---|---|---|---|",
        report, picture, ROOT / "bench/results/lid_writing.png")


if __name__ == "__main__":
    main()
