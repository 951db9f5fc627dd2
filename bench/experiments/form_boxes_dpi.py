"""The form of ``bench/form_boxes.py`` drawn at other resolutions (100 and 200 dpi by default), pencil
only, cleaned in this process with the engine's step for writing between rules (``docclean.ruled``)
switched off and on: the share of each entry's pixels darker than 0.5, in the box and on open paper.

    python bench/experiments/form_boxes_dpi.py [--dpis 100 200] [--inks 0.78 0.70] [--model M]

``--inks``: the writing's grey as a share of the paper's (0.78 and 0.70 are the pencils, 0.25 the
blue-black ink of ``bench/form_boxes.py``); ``--model``: a model name or weights file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.form_boxes import HEIGHTS, form, without_ruled_step  # noqa: E402
from docclean import Denoiser  # noqa: E402


def kept(page: np.ndarray, masks: list[np.ndarray]) -> float:
    return float(np.mean(np.concatenate([page[m] for m in masks]) < 0.5))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dpis", type=int, nargs="+", default=[100, 200])
    p.add_argument("--inks", type=float, nargs="+", default=[0.78, 0.70])
    p.add_argument("--model", default="default")
    a = p.parse_args()
    den = Denoiser.load(a.model)
    print(f"model: {a.model}")
    print("| dpi | ink | box height | kept in the box, without the step | with it | kept on open paper |")
    print("|---|---|---|---|---|---|")
    for dpi in a.dpis:
        for ink in a.inks:
            scan, _, entries = form(dpi, ink, 7)
            with without_ruled_step(den):
                before = den.clean(scan)
            now = den.clean(scan)
            for height in HEIGHTS:
                boxed = [m for h, m, b in entries if h == height and b]
                open_paper = [m for h, m, b in entries if h == height and not b]
                name = f"pencil {ink:.2f}" if ink >= 0.5 else f"ink {ink:.2f}"
                print(f"| {dpi} | {name} | {height} in ({int(height * dpi)} px) | {kept(before, boxed):.1%} "
                      f"| {kept(now, boxed):.1%} | {kept(now, open_paper):.1%} |")


if __name__ == "__main__":
    main()
