"""Zoomable page views that share one zoom and position.

:class:`ViewState` holds the zoom (None = fit to window) and the point of the page at the centre
of the view, in page fractions (0..1), not pixels: so the same zoom and place stay on screen when
the page or the view changes, which is what users of ScanTailor and NAPS2 expect. Every
:class:`Canvas` bound to one state repaints when it changes: side by side is two canvases on one
state (synchronized zoom and pan for free), the split view is one canvas drawing the original left
of a draggable divider and the cleaned page right of it.

Canvases draw only the visible part of the page, from the smallest zoom level that is still
sharp at the current zoom (``images.LevelImage``), so painting a 600-dpi page stays fast.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from gui.images import LevelImage

ZOOM_MIN, ZOOM_MAX, ZOOM_STEP = 0.02, 16.0, 1.25
#: Zoom levels larger than this are drawn from their QImage instead of a pixmap (see Canvas._source).
PIXMAP_MAX_PIXELS = 4_000_000
_DIVIDER_GRAB = 8  # pixels either side of the divider that grab it instead of panning
#: Share of the canvas an arrow key pans by (Shift: a whole screenful less this share).
PAN_STEP = 0.1
_ARROWS = {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0), Qt.Key.Key_Up: (0, -1), Qt.Key.Key_Down: (0, 1)}


class ViewState(QObject):
    """Zoom (None: fit) and centre (page fractions) shared by the views; ``changed`` on edits."""

    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.zoom: float | None = None
        self.center = QPointF(0.5, 0.5)
        self.split = 0.5  # divider position in the split view, as a fraction of its width

    def set_zoom(self, zoom: float | None, center: QPointF | None = None) -> None:
        """Set the zoom (None: fit, which also re-centres) and optionally the centre."""
        if zoom is not None:
            zoom = min(ZOOM_MAX, max(ZOOM_MIN, zoom))
        self.zoom = zoom
        if zoom is None:
            self.center = QPointF(0.5, 0.5)
        elif center is not None:
            self.center = QPointF(min(1.0, max(0.0, center.x())), min(1.0, max(0.0, center.y())))
        self.changed.emit()

    def set_center(self, center: QPointF) -> None:
        """Move the view (page fractions, clamped to the page)."""
        self.center = QPointF(min(1.0, max(0.0, center.x())), min(1.0, max(0.0, center.y())))
        self.changed.emit()

    def set_split(self, fraction: float) -> None:
        """Move the split view's divider (fraction of the width)."""
        self.split = min(1.0, max(0.0, fraction))
        self.changed.emit()


class Canvas(QWidget):
    """Draws a page (or, with ``split=True``, two pages either side of a divider) at the shared
    zoom. Wheel zooms around the cursor, dragging or the arrow keys pan, dragging the divider moves
    it. It takes focus by click and Tab (the arrow keys need it), and shows it with a frame."""

    def __init__(self, state: ViewState, *, split: bool = False, label: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state, self.split, self.label = state, split, label
        self.images: list[LevelImage | None] = [None, None] if split else [None]
        self._pixmaps: dict[tuple[int, int], QPixmap] = {}
        self._drag: QPointF | None = None
        self._drag_divider = False
        self.placeholder = ""
        self.note = ""  # drawn over the page, e.g. that the preview shown is out of date
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(120, 120)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        state.changed.connect(self.update)

    def set_images(self, *images: LevelImage | None) -> None:
        """Show these pictures (left/right in a split view); None leaves that side empty."""
        self.images = list(images) + [None] * (len(self.images) - len(images))
        self._pixmaps.clear()
        self.update()

    def page_size(self) -> tuple[int, int] | None:
        """(width, height) of the page shown, from the first picture present."""
        for image in self.images:
            if image is not None:
                return image.width, image.height
        return None

    def scale(self) -> float:
        """Screen pixels per page pixel at the current zoom (fit computed for this widget)."""
        size = self.page_size()
        if size is None:
            return 1.0
        if self.state.zoom is not None:
            return self.state.zoom
        w, h = size
        return max(ZOOM_MIN, min((self.width() - 8) / w, (self.height() - 8) / h))

    def origin(self) -> QPointF:
        """Widget position of the page's top-left corner."""
        w, h = self.page_size() or (1, 1)
        s = self.scale()
        c = self.state.center
        return QPointF(self.width() / 2 - c.x() * w * s, self.height() / 2 - c.y() * h * s)

    def _source(self, slot: int, scale: float) -> tuple[QPixmap | QImage, float]:
        """What to draw from: the smallest level still at least ``scale`` sharp, and its size
        factor. Levels up to :data:`PIXMAP_MAX_PIXELS` become pixmaps (made here, on the GUI thread,
        and kept); larger ones are drawn straight from the QImage, one visible rectangle at a time,
        because converting a whole 600-dpi page to a pixmap blocks the window for most of a second."""
        image = self.images[slot]
        assert image is not None
        level = 0
        while level + 1 < len(image.levels) and image.levels[level + 1].width() >= image.width * scale:
            level += 1
        picture = image.levels[level]
        factor = picture.width() / image.width
        if picture.width() * picture.height() > PIXMAP_MAX_PIXELS:
            return picture, factor
        key = (slot, level)
        if key not in self._pixmaps:
            self._pixmaps[key] = QPixmap.fromImage(picture)
        return self._pixmaps[key], factor

    def _draw(self, painter: QPainter, slot: int, clip: QRectF) -> None:
        if self.images[slot] is None:
            return
        w, h = self.page_size() or (1, 1)
        s, o = self.scale(), self.origin()
        visible = QRectF(o.x(), o.y(), w * s, h * s).intersected(clip)
        if visible.isEmpty():
            return
        picture, factor = self._source(slot, s)
        source = QRectF((visible.x() - o.x()) / s * factor, (visible.y() - o.y()) / s * factor,
                        visible.width() / s * factor, visible.height() / s * factor)
        if isinstance(picture, QPixmap):
            painter.drawPixmap(visible, picture, source)
        else:
            painter.drawImage(visible, picture, source)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(72, 72, 76))
        if self.page_size() is None:
            painter.setPen(QColor(220, 220, 220))
            # Wrapped within a margin: a long message (an error, the hint to open scans) fits a narrow canvas.
            painter.drawText(self.rect().adjusted(12, 0, -12, 0),
                             int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap), self.placeholder)
            self._draw_focus(painter)
            return
        # Smoothing only matters when shrinking; at 100% and above, crisp pixels are the point.
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.scale() < 1.0)
        full = QRectF(self.rect())
        if not self.split:
            self._draw(painter, 0, full)
        else:
            x = self.width() * self.state.split
            self._draw(painter, 0, QRectF(0, 0, x, self.height()))
            self._draw(painter, 1, QRectF(x, 0, self.width() - x, self.height()))
            painter.setPen(QPen(QColor(255, 170, 0), 2))
            painter.drawLine(QPointF(x, 0), QPointF(x, self.height()))
            painter.setBrush(QColor(255, 170, 0))
            painter.drawEllipse(QPointF(x, self.height() / 2), 7, 7)
        self._draw_labels(painter)
        if self.note:
            self._draw_note(painter)
        self._draw_focus(painter)

    def _draw_focus(self, painter: QPainter) -> None:
        # Tab reaches the canvas (the arrow keys pan it): without a mark, focus seemed lost.
        if self.hasFocus():
            painter.setPen(QPen(self.palette().color(QPalette.ColorRole.Highlight), 3))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(QRectF(self.rect()).adjusted(1.5, 1.5, -1.5, -1.5))

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt override
        super().focusInEvent(event)
        self.update()

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt override
        super().focusOutEvent(event)
        self.update()

    def _draw_note(self, painter: QPainter) -> None:
        # Amber like the ink warning, along the bottom, over a dimmed page: hard to take for current.
        painter.fillRect(self.rect(), QColor(0, 0, 0, 90))
        rect = painter.boundingRect(QRectF(8, 0, self.width() - 16, self.height()),
                                    Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignHCenter
                                    | Qt.TextFlag.TextWordWrap, self.note)
        rect.moveBottom(self.height() - 8)
        painter.fillRect(rect.adjusted(-6, -3, 6, 3), QColor(249, 168, 37))
        painter.setPen(QColor(0, 0, 0))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.note)

    def _draw_labels(self, painter: QPainter) -> None:
        labels = self.label.split("|") if self.label else []
        painter.setPen(QColor(255, 255, 255))
        for i, text in enumerate(labels):
            x = 8 if i == 0 else int(self.width() * self.state.split) + 8
            rect = painter.boundingRect(QRectF(x, 6, 400, 24), Qt.AlignmentFlag.AlignLeft, text)
            painter.fillRect(rect.adjusted(-4, -2, 4, 2), QColor(0, 0, 0, 150))
            painter.drawText(rect, Qt.AlignmentFlag.AlignLeft, text)

    # --- interaction ----------------------------------------------------------------------

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        """Zoom by ``factor`` keeping the page point under ``anchor`` (default: centre) still."""
        size = self.page_size()
        if size is None:
            return
        w, h = size
        anchor = anchor or QPointF(self.width() / 2, self.height() / 2)
        s, o = self.scale(), self.origin()
        page_x, page_y = (anchor.x() - o.x()) / s, (anchor.y() - o.y()) / s
        new = min(ZOOM_MAX, max(ZOOM_MIN, s * factor))
        new_ox, new_oy = anchor.x() - page_x * new, anchor.y() - page_y * new
        center = QPointF((self.width() / 2 - new_ox) / (w * new), (self.height() / 2 - new_oy) / (h * new))
        self.state.set_zoom(new, center)

    def pan_by(self, dx: float, dy: float) -> bool:
        """Move the view ``dx``, ``dy`` screen pixels over the page (positive: towards its right
        and bottom); False (nothing moved) when no page is shown or it fits (zoom "fit")."""
        size = self.page_size()
        if size is None or self.state.zoom is None:
            return False
        s, c = self.scale(), self.state.center
        self.state.set_center(QPointF(c.x() + dx / (size[0] * s), c.y() + dy / (size[1] * s)))
        return True

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        step = _ARROWS.get(Qt.Key(event.key()))
        plain = Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier
        if step is None or event.modifiers() & ~plain:
            super().keyPressEvent(event)
            return
        # Shift: nearly a screenful, keeping a strip of the last view for the eye to follow.
        share = 1.0 - PAN_STEP if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else PAN_STEP
        if not self.pan_by(step[0] * share * self.width(), step[1] * share * self.height()):
            super().keyPressEvent(event)  # at "fit" there is nowhere to go: the key is not ours

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(ZOOM_STEP ** steps, event.position())
        event.accept()

    def _near_divider(self, x: float) -> bool:
        return self.split and abs(x - self.width() * self.state.split) <= _DIVIDER_GRAB

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag_divider = self._near_divider(event.position().x())
            self._drag = event.position()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        pos = event.position()
        if self._drag is None:
            near = self._near_divider(pos.x())
            self.setCursor(Qt.CursorShape.SplitHCursor if near else Qt.CursorShape.OpenHandCursor)
            return
        if self._drag_divider:
            self.state.set_split(pos.x() / max(1, self.width()))
            return
        size = self.page_size()
        if size is None:
            return
        if self.state.zoom is None:
            self.state.zoom = self.scale()  # panning leaves "fit" at the same zoom
        s = self.scale()
        dx, dy = pos.x() - self._drag.x(), pos.y() - self._drag.y()
        self._drag = pos
        c = self.state.center
        self.state.set_center(QPointF(c.x() - dx / (size[0] * s), c.y() - dy / (size[1] * s)))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        self._drag, self._drag_divider = None, False
