"""Controls that another setting makes irrelevant: greyed out, and showing what is used instead.

A greyed-out control that kept its last value would say something untrue: "Keep faint marks"
ticked on a page that is not 1-bit, or a threshold of 0.50 beside an adaptive binarization. So
while a checkbox does not apply it shows unticked, which is what the engine does, and gets the
user's tick back once it applies again; a spin box shows a word for what is used instead of its
number, and its number comes back with it.
"""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QWidget


class TickKeeper:
    """The ticks of checkboxes that do not apply, kept to give back when they apply again."""

    def __init__(self) -> None:
        self._kept: dict[QCheckBox, bool] = {}

    def show_applies(self, check: QCheckBox, applies: bool) -> None:
        """Show ``check`` unticked while it does not apply and give back its tick when it does.
        Only what it shows changes: its ``toggled`` signal stays quiet (the settings read an
        option that does not apply as off either way)."""
        if applies == (check not in self._kept):
            return
        blocked = check.blockSignals(True)
        if applies:
            check.setChecked(self._kept.pop(check))
        else:
            self._kept[check] = check.isChecked()
            check.setChecked(False)
        check.blockSignals(blocked)

    def forget(self) -> None:
        """Drop the kept ticks: the panel is about to show a whole new set of settings, whose
        values are then the ones kept for the options that do not apply."""
        self._kept.clear()


class UnusedTextSpinBox(QDoubleSpinBox):
    """A spin box that, greyed out by :meth:`set_unused`, shows what is used instead of its number."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._unused: str | None = None

    def set_unused(self, text: str | None) -> None:
        """Grey the box out showing ``text`` ("adaptive"), or, with None, enable it with its number.
        The text is left alone when what the box shows does not change: the panel calls this after
        every keystroke, and rewriting "0.4" as "0.40" mid-typing put the cursor past the end, so
        "0.45" could not be typed."""
        self.setEnabled(text is None)
        if text == self._unused:
            return
        self._unused = text
        # Qt rewrites the text only when the value changes; the same value now reads differently.
        self.lineEdit().setText(f"{self.prefix()}{self.textFromValue(self.value())}{self.suffix()}")

    def fit_texts(self, *texts: str) -> None:
        """Never narrower than its numbers or ``texts`` (what :meth:`set_unused` may show): a
        narrow panel squeezed the box to fit, and "adaptive" was cut."""
        metrics = self.fontMetrics()
        number = metrics.horizontalAdvance(super().textFromValue(self.maximum()))
        wider = max((metrics.horizontalAdvance(text) - number for text in texts), default=0)
        self.setMinimumWidth(self.sizeHint().width() + max(0, wider))

    def textFromValue(self, value: float) -> str:  # noqa: N802 - Qt override
        # The window greying everything out (closing) is not "unused": only set_unused says so.
        return super().textFromValue(value) if self._unused is None else self._unused
