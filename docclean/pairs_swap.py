"""Whether a noisy/clean pair looks swapped (:func:`looks_swapped`): the folders given the wrong way
round, so that a run would learn to dirty pages. ``training.page_store`` refuses a run where nearly
every pair looks so (``bench/swap_check.py`` measures how often it fires).
"""

from __future__ import annotations

import numpy as np

#: How far a pair's clean page must fall behind its scan, in share of the page, on both evenness
#: and whiteness, to look like the scan of the two (:func:`looks_swapped`).
SWAP_MARGIN = 0.05


def _paper(page: np.ndarray) -> tuple[float, float]:
    """(share of pixels within 0.02 of the page's median: even paper; share at 0.9 or lighter: white
    paper) of a grey page, floats 0..1 or integers up to their type's maximum (pages kept compact)."""
    top = float(np.iinfo(page.dtype).max) if np.issubdtype(page.dtype, np.integer) else 1.0
    step = max(1, int((page.size / 1e6) ** 0.5))  # a million pixels tell the shares as well as all
    sample = page[::step, ::step]
    median = float(np.median(sample))
    return (float(np.mean(np.abs(sample - median) <= 0.02 * top)), float(np.mean(sample >= 0.9 * top)))


def looks_swapped(noisy: np.ndarray, clean: np.ndarray) -> bool:
    """Whether a pair's clean page looks more like a scan than its scan does: less of it is even
    paper and less of it white, each by more than :data:`SWAP_MARGIN` of the page. Clean pages are
    flat white paper and ink; scans carry stains, shading and noise. Of the 144 Dirty Documents
    pairs and 500 ``docclean synth`` pairs none looks swapped as given; swapped, all 144 and 476 of
    the 500 do (``python bench/swap_check.py --synth 500``)."""
    (even_n, white_n), (even_c, white_c) = _paper(noisy), _paper(clean)
    return even_c < even_n - SWAP_MARGIN and white_c < white_n - SWAP_MARGIN
