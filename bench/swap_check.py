"""How often `docclean train`'s swapped-folders check (``docclean.pairs_swap.looks_swapped``) fires on
pairs given the right way round and on the same pairs swapped: the Dirty Documents pairs and
synthetic ``docclean.synth`` pairs made in memory.

    python bench/swap_check.py [--synth 200] [--seed 11] [--size 768]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from docclean.pairs import find_pairs, read_pairs  # noqa: E402
from docclean.pairs_swap import looks_swapped  # noqa: E402
from docclean.synth.pairs import make_pair, pair_specs  # noqa: E402

DIRTY = Path(__file__).resolve().parents[2] / "shared" / "data" / "dirty-documents"


def _count(pages: list[tuple[np.ndarray, np.ndarray]]) -> tuple[int, int]:
    """(pairs that look swapped as given, pairs that look swapped when swapped)."""
    return sum(looks_swapped(n, c) for n, c in pages), sum(looks_swapped(c, n) for n, c in pages)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--synth", type=int, default=200, help="synthetic pairs to make (0: none)")
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--size", type=int, default=768)
    args = p.parse_args()
    began = time.perf_counter()
    pages = read_pairs(find_pairs(DIRTY / "train", DIRTY / "train_cleaned").pairs)
    given, swapped = _count(pages)
    print(f"Dirty Documents: {len(pages)} pairs; look swapped as given {given}, swapped {swapped}")
    if args.synth:
        made = []
        for spec in pair_specs(args.synth, args.seed, size=args.size):
            made.append(make_pair(np.random.default_rng([spec.seed, spec.index]), spec.dpi, spec.height, spec.width))
        given, swapped = _count(made)
        print(f"docclean synth (seed {args.seed}, {args.size} px): {len(made)} pairs; look swapped as given {given}, "
              f"swapped {swapped}")
    print(f"({time.perf_counter() - began:.0f} s)")


if __name__ == "__main__":
    main()
