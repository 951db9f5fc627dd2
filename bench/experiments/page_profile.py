"""Where a 300-dpi page's time goes (docs/speed.md): three copies of the speed bench's
synthetic A4 page (bench/clean_speed.py) through ``clean_batch`` with OpenVINO and sequential I/O,
after one warm-up pass, under cProfile; prints seconds per page in the network, the engine's steps
around it, the ink-loss figure, reading and writing.

    python bench/experiments/page_profile.py
"""

from __future__ import annotations

import cProfile
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench.clean_speed import make_page  # noqa: E402
from docclean.batch import clean_batch  # noqa: E402
from docclean.engine import Denoiser  # noqa: E402
from docclean.settings import CleanSettings  # noqa: E402

#: What to report: a label, and the functions (file, name) whose cumulative time it sums.
PARTS = (("page end to end", [("filerun.py", "_clean_file")]),
         ("the network", [("openvino_backend.py", "run")]),
         ("the engine around the network", [("engine.py", "clean")]),
         ("  the stroke-width estimate", [("strokes.py", "stroke_width")]),
         ("  auto levels and the page's checks", [("levels.py", "network_page")]),
         ("  the area searches", [("solids.py", "solid_areas"), ("bars.py", "restore_bars"),
                                  ("shading.py", "shaded_areas"), ("pictures.py", "keep_pictures"),
                                  ("surround.py", "surround_areas"), ("solids.py", "shrunk")]),
         ("the ink-loss figure", [("inkloss.py", "ink_loss")]),
         ("reading the PNG", [("io.py", "read_pages")]),
         ("writing the PNG", [("writer.py", "encode_png")]))


def main() -> None:
    settings = CleanSettings(overwrite=True, backend="openvino")
    cleaner = Denoiser.from_settings(settings)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        make_page(300, src / "page-1.png")
        for i in (2, 3):
            shutil.copy(src / "page-1.png", src / f"page-{i}.png")
        clean_batch([str(src)], Path(tmp) / "out", settings, cleaner=cleaner, pipeline=False)
        profile = cProfile.Profile()
        start = time.perf_counter()
        profile.enable()
        clean_batch([str(src)], Path(tmp) / "out", settings, cleaner=cleaner, pipeline=False)
        profile.disable()
        wall = (time.perf_counter() - start) / 3
    stats = pstats.Stats(profile).stats  # (file, line, name) -> (calls, calls, tottime, cumtime, callers)
    print(f"seconds per 300-dpi page (wall {wall:.2f} s, cProfile on):")
    for label, wanted in PARTS:
        total = sum(v[3] for (f, _, name), v in stats.items() for wf, wn in wanted
                    if f.endswith("/" + wf) and name == wn)
        print(f"  {label}: {total / 3:.3f}")
    print("(the engine's figure includes the network; the area searches, their shared shrink)")


if __name__ == "__main__":
    main()
