"""The settings panel's building blocks (``gui.controls``): its forms, drop-downs, and spin boxes
whose lowest value stands for "none" (auto, native, never)."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QSpinBox


def form(group: QGroupBox) -> QFormLayout:
    """The form of one group: a field goes under its label where both do not fit side by side, so
    the panel can be narrow and leave the preview the room (at 800 pixels it took a third)."""
    layout = QFormLayout(group)
    layout.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
    return layout


def combo(choices: tuple[str, ...]) -> QComboBox:
    """A drop-down of ``choices``, each its own item data."""
    box = QComboBox()
    for choice in choices:
        box.addItem(choice, choice)
    return box


def spin(low: int, high: int, value: int | None, special: str = "", step: int = 1) -> QSpinBox:
    """A spin box over ``low..high``; with ``special``, one more value just below ``low`` shows
    that text and stands for "none" (read with :func:`read_spin`). Every value the arrows or the
    keyboard reach is then one the settings accept: a special value at 0 would let one step
    reach 1, which "PDF dpi" (10..2400) and "Widest stroke" (0 or 2..1000) refuse."""
    box = QSpinBox()
    box.setRange(low - 1 if special else low, high)
    box.setSingleStep(step)
    if special:
        box.setSpecialValueText(special)  # shown at the minimum
    box.setValue(box.minimum() if value is None else value)
    # Never narrower than its widest text: the form (WrapLongRows) puts it under its label
    # instead, where a narrow panel squeezed "native" to "ative".
    box.setMinimumWidth(box.sizeHint().width())
    return box


def read_spin(box: QSpinBox, none: int | None = None) -> int | None:
    """A spin box's value, or ``none`` at its special value (its minimum)."""
    return none if box.specialValueText() and box.value() == box.minimum() else box.value()


def show_spin(box: QSpinBox, value: float | None) -> None:
    """Show ``value`` in a spin box; None or 0 is the special value."""
    box.setValue(round(value) if value else box.minimum())
