"""The Qt binding itself: PySide6-Essentials 6.12.0 on Python 3.11 drops a reference to None on
every Qt call that returns nothing and one to True on every signal emitted, so the app aborted
("Fatal Python error: bool_dealloc") after some thousands of signals: an export's tile progress,
a long session's previews. constraints.txt pins a version that does not; this test keeps it so."""

from __future__ import annotations

import subprocess
import sys
import textwrap

# In a child process: the bug aborts the interpreter, which would take the test run with it.
_CHECK = textwrap.dedent("""
    import sys
    from PySide6.QtCore import QObject, Signal
    from PySide6.QtWidgets import QApplication, QListWidget

    class Emitter(QObject):
        ping = Signal()

    app = QApplication([])
    emitter, widget = Emitter(), QListWidget()
    none, true = sys.getrefcount(None), sys.getrefcount(True)
    for i in range(300):
        emitter.ping.emit()
        widget.addItem(str(i))
    print(sys.getrefcount(None) - none, sys.getrefcount(True) - true)
""")


def test_signals_and_qt_calls_keep_the_references_of_none_and_true() -> None:
    child = subprocess.run([sys.executable, "-c", _CHECK], capture_output=True, text=True, timeout=60)
    assert child.returncode == 0, child.stderr[-500:]
    lost_none, lost_true = map(int, child.stdout.split())
    assert lost_none > -50 and lost_true > -50, (lost_none, lost_true)  # 6.12.0: -300 each, or an abort
