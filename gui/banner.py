"""The red banner of error messages above the preview.

Messages come in kinds that last differently: problems found when opening stay until the next
open, an export's failure until the next export, other messages (a preview's, Save's) until the
next preview. The banner lists every message, wrapped (a long path breaks anywhere, so no message
widens the window), in a box at most :data:`LINES` lines high that scrolls beyond that; its ✕
hides it until a new message comes.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent, QTextOption
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QTextEdit, QToolButton, QVBoxLayout, QWidget

#: Lines of text the banner shows before it scrolls: 30 broken files must not push the preview away.
LINES = 5
OPENING, EXPORT, OTHER = "opening", "export", "other"


class Banner(QFrame):
    """Error messages in red, by kind (:data:`OPENING`, :data:`EXPORT`, :data:`OTHER`), each kind
    replaced on its own. ``history`` keeps every message shown, in order."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.setStyleSheet("#banner { background: #b3261e; } QTextEdit, QLabel, QToolButton { color: white; "
                           "background: transparent; border: none; } QToolButton { font-weight: bold; } "
                           "QScrollBar:vertical { background: #8c1d18; width: 10px; } "
                           "QScrollBar::handle:vertical { background: #f2b8b5; min-height: 16px; border-radius: 4px; } "
                           "QScrollBar::add-line, QScrollBar::sub-line { height: 0; }")
        self.view = QTextEdit()
        self.view.setReadOnly(True)  # selectable and copyable: a path can be pasted into a terminal
        self.view.setFrameShape(QFrame.Shape.NoFrame)
        self.view.viewport().setAutoFillBackground(False)
        self.view.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.close_button = QToolButton()
        self.close_button.setText("✕")
        self.close_button.setToolTip("Hide these messages (a new message shows the banner again)")
        self.close_button.clicked.connect(self.dismiss)
        self.count = QLabel()  # "30 messages": the scroll bar alone is easy to miss
        side = QVBoxLayout()
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignRight)
        side.addWidget(self.count)
        side.addStretch(1)
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 4, 4, 4)
        row.addWidget(self.view, 1)
        row.addLayout(side)
        self.hide()
        self.history: list[str] = []
        self._kinds: dict[str, list[str]] = {OPENING: [], EXPORT: [], OTHER: []}

    def show_messages(self, messages: list[str], *, opening: bool = False, kind: str = OTHER) -> None:
        """Replace the messages of one kind (``opening``: :data:`OPENING`); an empty list clears
        them. New messages show the banner even if it was dismissed; it hides when none is left."""
        self._kinds[OPENING if opening else kind] = list(messages)
        self.history.extend(messages)
        self._show(bool(messages))

    def add(self, messages: list[str], *, kind: str = OTHER) -> None:
        """Add messages to those of ``kind``, the others staying: an answer that comes late (a
        Save's, written on a thread of its own) must not take away what came meanwhile."""
        self._kinds[kind] = [*self._kinds[kind], *messages]
        self.history.extend(messages)
        self._show(bool(messages))

    def withdraw(self, message: str) -> None:
        """Take ``message`` back, of whatever kind, once it no longer holds ("nothing to save yet:
        the page is still being cleaned", when the page is cleaned): the others stay."""
        if message in self.messages():
            for kind, messages in self._kinds.items():
                self._kinds[kind] = [m for m in messages if m != message]
            self._show(False)

    def _show(self, new: bool) -> None:
        """Show the messages held; ``new``: some just came, so show the banner even if dismissed."""
        shown = self.messages()
        # A bullet per message where there are several: a wrapped one reads as one message.
        self.view.setPlainText("\n".join(f"• {m}" for m in shown) if len(shown) > 1 else self.text())
        self.count.setText(f"{len(shown)} messages" if len(shown) > 1 else "")
        if new:
            self.show()
        elif not shown:
            self.hide()
        self._fit()

    def messages(self) -> list[str]:
        """Every message the banner holds, in order of kind."""
        return [m for kind in (OPENING, EXPORT, OTHER) for m in self._kinds[kind]]

    def text(self) -> str:
        """The messages, one a line."""
        return "\n".join(self.messages())

    def dismiss(self) -> None:
        """Hide the banner (✕); the messages it held stand, and a new one shows it again."""
        self.hide()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        fit_lines(self.view, LINES)


def fit_lines(view: QTextEdit, lines: int) -> None:
    """Make ``view`` as high as its wrapped text, at most ``lines`` lines (then it scrolls)."""
    document = view.document()
    document.setTextWidth(view.viewport().width())
    cap = lines * view.fontMetrics().lineSpacing() + 2 * document.documentMargin()
    height = int(min(document.size().height(), cap)) + 2 * view.frameWidth()
    if view.height() != height:
        view.setFixedHeight(height)
