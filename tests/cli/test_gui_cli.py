"""``docclean gui`` and ``docclean-gui`` without the gui extra: one line naming the extra, exit 2.
Each runs in a fresh interpreter where PySide6 cannot be imported, installed or not (taking a
loaded Qt out of this process's modules would crash it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MESSAGE = "error: the desktop app needs PySide6: pip install 'docclean[gui]'"


def without_qt(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "import sys; sys.modules['PySide6'] = None\n" + code],
                          cwd=REPO, capture_output=True, text=True, timeout=120)


def test_docclean_gui_without_pyside6_says_which_extra_to_install() -> None:
    result = without_qt("from cli.main import app\napp(['gui'])")
    assert result.returncode == 2 and result.stderr.strip() == MESSAGE, result.stderr


def test_the_docclean_gui_entry_point_without_pyside6_too() -> None:
    result = without_qt("from gui.app import main\nsys.exit(main([]))")
    assert result.returncode == 2 and result.stderr.strip() == MESSAGE, result.stderr
    assert without_qt("from gui.app import main\nsys.exit(main(['--help']))").returncode == 0  # needs no Qt
