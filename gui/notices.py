"""The small widgets around the window's preview: the red banner of error messages above it, the
ink-loss line and the equivalent command line below it, and the tile progress in the status bar.
Widgets only: the window decides what they say."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QProgressBar, QPushButton, QWidget

from docclean.postprocess import layer_warning

#: Messages the banner lists before it says how many more there are.
SHOWN = 8


class Banner(QLabel):
    """One-line error messages in red. Problems found when opening stay until the next open; other
    messages last until the next preview. ``history`` keeps every message shown, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.setWordWrap(True)
        self.setStyleSheet("background:#b3261e; color:white; padding:6px;")
        self.hide()
        self.history: list[str] = []
        self._opening: list[str] = []
        self._other: list[str] = []

    def show_messages(self, messages: list[str], *, opening: bool = False) -> None:
        """Replace the opening problems (``opening``) or the other messages; an empty list clears
        them. The banner hides when nothing is left to show."""
        if opening:
            self._opening = list(messages)
        else:
            self._other = list(messages)
        self.history.extend(messages)
        shown = self._opening + self._other
        more = f"\n… and {len(shown) - SHOWN} more" if len(shown) > SHOWN else ""
        self.setText("\n".join(shown[:SHOWN]) + more)
        self.setVisible(bool(shown))


STALE = "(out of date)"


class InkLine(QLabel):
    """The page's ink-loss figure; amber and bold above the warning threshold."""

    def __init__(self) -> None:
        super().__init__()
        self.setStyleSheet("padding:4px;")

    def set_loss(self, loss: float, limit: float, show_through: float | None = None) -> bool:
        """Show ``loss`` (0..1) against ``limit`` and, when "Remove show-through" turned a lighter
        ink layer to paper, its share of the ink; returns True when either is a warning."""
        layer = (f" Remove show-through turned a lighter ink layer ({show_through:.1%} of the ink) to paper: "
                 "check that it showed through from the other side.") if layer_warning(show_through) else ""
        if loss > limit or layer:
            text = (f"⚠ Cleaning removed {loss:.1%} of this page's dark strokes (warning above {limit:.0%}): "
                    "check the difference view." if loss > limit else
                    f"⚠ Ink loss {loss:.1%} of the dark strokes (warning above {limit:.0%}).")
            self.setText(text + layer)
            self.setStyleSheet("padding:4px; background:#f9a825; color:black; font-weight:bold;")
            return True
        self.setText(f"Ink loss {loss:.1%} of the dark strokes (warning above {limit:.0%}).")
        self.setStyleSheet("padding:4px;")
        return False

    def mark_stale(self) -> None:
        """The figure belongs to a preview that is out of date: say so, in grey, until the next one."""
        if self.text() and not self.text().startswith(STALE):
            self.setText(f"{STALE} {self.text()}")
            self.setStyleSheet("padding:4px; color:grey;")


class CommandRow(QWidget):
    """The command line equivalent to the window's settings, read-only, with a Copy button."""

    def __init__(self) -> None:
        super().__init__()
        self.line = QLineEdit()
        self.line.setReadOnly(True)
        copy = QPushButton("Copy")
        copy.clicked.connect(lambda: (self.line.selectAll(), self.line.copy()))
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Command:"))
        row.addWidget(self.line, 1)
        row.addWidget(copy)

    def set_command(self, text: str) -> None:
        self.line.setText(text)


class TileBar(QProgressBar):
    """Tiles of the page being cleaned, shown only while there are some left."""

    def __init__(self) -> None:
        super().__init__()
        self.setMaximumWidth(220)
        self.setFormat("tiles %v/%m")
        self.hide()

    def set_tiles(self, done: int, total: int) -> None:
        self.setRange(0, total)
        self.setValue(done)
        self.setVisible(done < total)
