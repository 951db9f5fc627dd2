"""Where the solid-area mask changed with a band's thin strips and the dark between its letters
(``docclean.solids.inner_parts``, 2026-12-07): old mask against new in one run, no network.

A black strip hanging off the scanner's surround (a microfilm frame's foot) with a white label at
the page's edge, as high as most of the strip, was put back only where a seed square fits: beside
the label the strip is thinner, runs to the page's edge, and was neither solid nor surround, so
the network drew it as a grey smear, with a hard edge where the put-back part began; the dark
between bold white digits, cut off the strip with strokes, came out as grey smudges. Now a hanging
band takes the thin dark pixels joined to it within its own rows or columns, and its dark pixels
between its letters.

For every page set of bench/experiments/lid_writing.py (the real scans, Dirty Documents, the
synthetic pages, and those and the historical pages laid on a dark lid), prints on how many pages
the mask of ``solid_areas`` (on the page the network is given) changed, and on which, with the
pixels it gained and lost as a share of the page. The old mask comes from ``git show
REV:docclean/solids.py`` (default 5864ff9~1, the commit before the change). The real scans are
validation only: nothing here was chosen on them.

    python bench/experiments/strip_beside_label.py [--rev 5864ff9~1]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import types
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench.experiments.lid_writing import page_groups  # noqa: E402
from docclean.levels import network_page  # noqa: E402
from docclean.solids import solid_areas  # noqa: E402


def old_solids(rev: str) -> types.ModuleType:
    """``docclean/solids.py`` as it was at ``rev``, as a module."""
    source = subprocess.run(["git", "show", f"{rev}:docclean/solids.py"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    module = types.ModuleType("old_solids")
    sys.modules[module.__name__] = module  # its dataclass looks itself up there
    exec(compile(source, f"{rev}:docclean/solids.py", "exec"), module.__dict__)
    return module


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rev", default="5864ff9~1")
    old = old_solids(p.parse_args().rev)
    print("| pages | mask changed | pages (gained, lost: share of the page) |\n|---|---|---|")
    for title, _, pages in page_groups():
        changed = []
        for name, page in pages:
            levelled = network_page(page)
            before, after = old.solid_areas(levelled), solid_areas(levelled)
            before = np.zeros(page.shape, bool) if before is None else before
            after = np.zeros(page.shape, bool) if after is None else after
            if (before != after).any():
                changed.append(f"{name} (+{(after & ~before).mean():.2%}, -{(before & ~after).mean():.2%})")
        print(f"| {title} ({len(pages)} pages) | {len(changed)} | {', '.join(changed) or '-'} |", flush=True)


if __name__ == "__main__":
    main()
