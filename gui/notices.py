"""The small widgets around the window's preview: what the engine warned about the page and the
ink-loss line under it, the equivalent command line below them, and the tile progress in the status
bar (the error banner above it is ``gui.banner``). Widgets only: the window decides what they say.

No label's text may widen the window (a long warning once raised its minimum width past the
screen's): a label of variable text wraps (:func:`wrapping`) and its width is the layout's to give.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QResizeEvent, QTextOption
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QStyle,
    QTextEdit,
    QWidget,
)

from docclean.postprocess import layer_warning
from docclean.report import ink_loss_text
from docclean.report import ink_warns as report_ink_warns
from gui.banner import fit_lines

STALE = "(out of date)"
#: Lines the page's warnings take before they scroll (two long warnings in an 800-pixel window fit):
#: more must not push the page away.
WARNING_LINES = 6


def wrapping(label: QLabel) -> QLabel:
    """``label`` wrapped at word boundaries, its width ignored by the layout: a long text grows it
    downwards, never the window sideways (a word longer than the line is clipped, so a label
    that may hold one, a path, also keeps its whole text in its tooltip)."""
    label.setWordWrap(True)
    policy = label.sizePolicy()
    policy.setHorizontalPolicy(QSizePolicy.Policy.Ignored)
    label.setSizePolicy(policy)
    return label


def ink_warns(loss: float, limit: float, show_through: float | None = None) -> bool:
    """Whether a page's ink-loss figure (and show-through share) is worth a warning at ``limit``:
    the batch's rule (``docclean.report.ink_warns``)."""
    return report_ink_warns(loss, limit) or layer_warning(show_through)


def percent(value: float, decimals: int = 2) -> str:
    """``value`` (0..1) in percent with at most ``decimals`` decimals: 0.025 is "2.5%", 0.1 "10%"."""
    text = f"{value * 100:.{decimals}f}".rstrip("0").rstrip(".")
    return f"{text}%"


def loss_text(loss: float, limit: float) -> str:
    """The figure as the line shows it: one decimal, or two where one would contradict the rule
    (0.04% against a limit of 0 reads "0.0%", yet warns)."""
    return ink_loss_text(loss, limit, decimals=1)


class InkLine(QLabel):
    """The page's ink-loss figure; amber and bold above the warning threshold. It wraps: with a
    show-through warning it runs to two lines."""

    def __init__(self) -> None:
        super().__init__()
        wrapping(self)
        self.setStyleSheet("padding:4px;")

    def set_loss(self, loss: float, limit: float, show_through: float | None = None) -> bool:
        """Show ``loss`` (0..1) against ``limit`` (shown as set: 2.5%, not 2%) and, when "Remove
        show-through" turned a lighter ink layer to paper, its share of the ink; returns True when
        either is a warning. The rule is the batch's (:func:`ink_warns`)."""
        layer = (f" Remove show-through turned a lighter ink layer ({show_through:.1%} of the ink) to paper: "
                 "check that it showed through from the other side.") if layer_warning(show_through) else ""
        figure, above = loss_text(loss, limit), f"(warning above {percent(limit)})"
        if ink_warns(loss, limit, show_through):
            text = (f"⚠ Cleaning removed {figure} of this page's dark strokes {above}: check the difference view."
                    if report_ink_warns(loss, limit) else f"⚠ Ink loss {figure} of the dark strokes {above}.")
            self.setText(text + layer)
            self.setStyleSheet("padding:4px; background:#f9a825; color:black; font-weight:bold;")
            return True
        self.setText(f"Ink loss {figure} of the dark strokes {above}.")
        self.setStyleSheet("padding:4px;")
        return False

    def mark_stale(self) -> None:
        """The figure belongs to a preview that is out of date: say so, in grey, until the next one."""
        if self.text() and not self.text().startswith(STALE):
            self.setText(f"{STALE} {self.text()}")
            self.setStyleSheet("padding:4px; color:grey;")


class PageWarnings(QFrame):
    """What the engine warned about the page shown while reading and cleaning it (a damaged group 4
    page, a PDF page without a size: ``gui.caught``), in amber under the page: wrapped, selectable,
    at most :data:`WARNING_LINES` lines high (then it scrolls); hidden when there is none."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pageWarnings")
        self.setStyleSheet("#pageWarnings { background: #f9a825; } "
                           "QTextEdit { color: black; background: transparent; border: none; } "
                           "QScrollBar:vertical { background: #c17900; width: 10px; } "
                           "QScrollBar::handle:vertical { background: #fff3c4; min-height: 16px; border-radius: 4px; } "
                           "QScrollBar::add-line, QScrollBar::sub-line { height: 0; }")
        self.setToolTip("What docclean warned about this page while reading and cleaning it; "
                        "docclean clean reports the same for its file")
        self.view = QTextEdit()
        self.view.setReadOnly(True)  # selectable and copyable, as the banner's messages
        self.view.setFrameShape(QFrame.Shape.NoFrame)
        self.view.viewport().setAutoFillBackground(False)
        self.view.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)  # a path breaks anywhere
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 4, 2)
        layout.addWidget(self.view)
        self.warnings: tuple[str, ...] = ()
        self.hide()

    def set_warnings(self, warnings: tuple[str, ...] | list[str]) -> None:
        """Show ``warnings`` (the engine's words, each on its own line); none hides the line."""
        self.warnings = tuple(warnings)
        self.view.setPlainText(warning_text(self.warnings))
        self.setVisible(bool(self.warnings))
        fit_lines(self.view, WARNING_LINES)

    def text(self) -> str:
        """What the line says ("" when hidden)."""
        return self.view.toPlainText()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        fit_lines(self.view, WARNING_LINES)


def warning_text(warnings: tuple[str, ...] | list[str]) -> str:
    """How the window words the engine's warnings about a page: "⚠ Warning: …", or a count and a
    bullet per warning."""
    if len(warnings) == 1:
        return f"⚠ Warning: {warnings[0]}"
    return "\n".join([f"⚠ {len(warnings)} warnings:", *(f"• {w}" for w in warnings)]) if warnings else ""


class CommandRow(QWidget):
    """The command line equivalent to the window's settings, read-only, with a Copy button. Where
    it is wider than its field it shows "…" and its end (the options and the output folder), all
    of it in the tooltip; focused, the field holds all of it, to select and scroll through. Copy
    copies all of it either way."""

    def __init__(self) -> None:
        super().__init__()
        self.command = ""
        self.line = QLineEdit()
        self.line.setReadOnly(True)
        self.line.installEventFilter(self)
        self.copy_button = QPushButton("Copy")
        self.copy_button.clicked.connect(lambda: QApplication.clipboard().setText(self.command))
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Command:"))
        row.addWidget(self.line, 1)
        row.addWidget(self.copy_button)

    def set_command(self, text: str) -> None:
        """Show the command ``text``."""
        self.command = text
        self.line.setToolTip(text)
        self._show()

    def text(self) -> str:
        """The whole command, however much of it the field shows."""
        return self.command

    def _show(self) -> None:
        if self.line.hasFocus():
            text = self.command
        else:
            # The field's own margins and frame: what is left for text.
            room = self.line.contentsRect().width() - 2 * self.line.style().pixelMetric(
                QStyle.PixelMetric.PM_DefaultFrameWidth) - 6
            # Its end, not its start, and marked as cut: only the tail, unmarked, read as the whole.
            text = self.line.fontMetrics().elidedText(self.command, Qt.TextElideMode.ElideLeft, max(room, 20))
        if self.line.text() != text:
            self.line.setText(text)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.line and event.type() in (QEvent.Type.Resize, QEvent.Type.FocusIn, QEvent.Type.FocusOut):
            self._show()
        return False


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
