"""White paper: the last step of the engine. Near-white grey on the cleaned page becomes white.

The network draws paper a little below white, unevenly: on a cleaned 300-dpi synthetic page 55% of
the pixels were 244-254 instead of 255. Nobody sees that grain, but it is what a PNG encoder spends
its bytes on, and a page meant to be printed or archived should have white paper. So
:func:`whiten_paper` maps grey above :data:`KNEE` linearly from ``KNEE..WHITE`` to ``KNEE..1`` and
everything lighter than :data:`WHITE` to white; grey at or below the knee (ink, faint strokes, the
darker half of a stroke's edge) is left exactly as it was, so no stroke the network kept gets
lighter than the knee, and the binarization's global cut (at most 0.85) sees the same ink; its
local (Sauvola) test moves a little (bench/results/binarize_synthetic.md: F 83.48 to 83.30,
strokes lost 0.62% to 0.56%).

Measured with ``python bench/experiments/output_levels.py`` (bench/results/white_paper.md): the
cleaned grey PNGs of 12 real pages (forms, receipts, a historical diary) came out at 30-68% of their
size (57% in all), and RMSE fell on every set that has a clean target (Dirty Documents 0.0236 to
0.0230 on the selection texts and 0.0225 to 0.0223 on the held-out ones; the synthetic 300-dpi page
0.0960 to 0.0953). The knee was set by reasoning (above every binarization cut and the darker half
of an edge). White points of 0.96, 0.97 and 0.98 tie on the selection texts (0.0229-0.0230); 0.96
makes the smallest files. Nothing was chosen on the real scans.
"""

from __future__ import annotations

import numpy as np

#: Grey at or below this is left as it is ...
KNEE = 0.9
#: ... grey at or above this becomes white, and between them the range is stretched to ``KNEE..1``.
WHITE = 0.96
#: Rows per block: the stretch needs one float temporary, and a 600-dpi page is 140 MB of float32.
_ROWS = 256


def whiten_paper(page: np.ndarray) -> np.ndarray:
    """Map a float32 cleaned page's near-white grey to white, in place (see the module); returns it."""
    gain = np.float32((1.0 - KNEE) / (WHITE - KNEE))
    offset = np.float32(KNEE) * (np.float32(1) - gain)
    for top in range(0, page.shape[0], _ROWS):
        rows = page[top:top + _ROWS]
        # The stretch lies above the grey itself exactly where the grey is above the knee.
        np.maximum(rows, rows * gain + offset, out=rows)
        np.minimum(rows, np.float32(1), out=rows)
    return page
