"""The preview area: side by side, split, or difference, all on one shared zoom and position.

Switching view only changes which canvases are visible; they all hold the same pictures and the
same :class:`~gui.canvas.ViewState`, so the zoom and the place on the page stay put.
"""

from __future__ import annotations

from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QStackedWidget, QWidget

from gui.canvas import Canvas, ViewState
from gui.images import LevelImage

SIDE_BY_SIDE, SPLIT, DIFFERENCE = "side by side", "split", "difference"
VIEWS = (SIDE_BY_SIDE, SPLIT, DIFFERENCE)


class _Pair(QWidget):
    """Two canvases side by side, always equally wide: the gap between them takes the odd pixel,
    so the same point of the page lies at the same place in both (half a pixel apart otherwise)."""

    GAP = 6

    def __init__(self) -> None:
        super().__init__()
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(0, 0, 0, 0)
        self.row.setSpacing(self.GAP)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        self.row.setSpacing(self.GAP + (event.size().width() - self.GAP) % 2)
        super().resizeEvent(event)


class PreviewArea(QStackedWidget):
    """Holds the canvases of the three views; :meth:`set_view` picks one."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = ViewState(self)
        self.original = Canvas(self.state, label="Original")
        self.cleaned = Canvas(self.state, label="Cleaned")
        pair = _Pair()
        pair.row.addWidget(self.original)
        pair.row.addWidget(self.cleaned)
        self.split = Canvas(self.state, split=True, label="Original|Cleaned")
        self.difference = Canvas(self.state, label="Marks removed by cleaning in red")
        self.addWidget(pair)
        self.addWidget(self.split)
        self.addWidget(self.difference)
        self.view = SIDE_BY_SIDE

    @property
    def canvases(self) -> list[Canvas]:
        return [self.original, self.cleaned, self.split, self.difference]

    def set_view(self, view: str) -> None:
        """Show one of :data:`VIEWS`."""
        if view not in VIEWS:
            raise ValueError(f"unknown view {view!r}")
        self.view = view
        self.setCurrentIndex(VIEWS.index(view))

    def next_view(self) -> str:
        """Cycle to the next view; returns its name."""
        self.set_view(VIEWS[(VIEWS.index(self.view) + 1) % len(VIEWS)])
        return self.view

    def set_original(self, image: LevelImage | None) -> None:
        """Show the original page in every view."""
        self.original.set_images(image)
        self.split.set_images(image, self.split.images[1])

    def set_cleaned(self, cleaned: LevelImage | None, difference: LevelImage | None) -> None:
        """Show the cleaned page and its difference picture."""
        self.cleaned.set_images(cleaned)
        self.split.set_images(self.split.images[0], cleaned)
        self.difference.set_images(difference)

    def set_placeholder(self, text: str) -> None:
        """Text shown where a picture is still missing (cleaning progress, an error)."""
        for canvas in self.canvases:
            canvas.placeholder = text
            canvas.update()

    def set_note(self, text: str) -> None:
        """A line drawn over the cleaned pictures ("out of date…"); empty hides it."""
        for canvas in (self.cleaned, self.split, self.difference):
            canvas.note = text
            canvas.update()

    def current_canvas(self) -> Canvas:
        """The canvas zoom keys act on (any: they share the state)."""
        return {SIDE_BY_SIDE: self.cleaned, SPLIT: self.split, DIFFERENCE: self.difference}[self.view]
