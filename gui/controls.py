"""The settings panel: one control per ``docclean clean`` option that changes the page or how it runs.

The panel reads and writes :class:`~docclean.settings.CleanSettings` and nothing else, so the
preview, the export and the equivalent command line all see one value. Its defaults are the
dataclass's defaults (written once, in ``docclean.settings``), which is what "Reset to defaults"
restores. ``settingsChanged`` fires on every edit; the window debounces it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QGroupBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from docclean import formats
from docclean.models import BUILTIN_USES, builtin_models
from docclean.settings import BACKENDS, DEVICES, PRECISIONS, CleanSettings
from gui.fields import combo, form, read_spin, show_spin, spin
from gui.inapplicable import TickKeeper, UnusedTextSpinBox
from gui.labels import STEPS, one_bit_note
from gui.notices import wrapping

_CHOOSE = "Model file…"
_SAME = "same as input"
#: The fixed threshold box's value while no fixed threshold is set (the middle of 0..1).
_THRESHOLD = 0.5


def model_label(model: str) -> str:
    """A model file's name in the list, with its folder: every run of ``docclean train`` writes a
    ``best.safetensors``, and two runs read the same by name alone."""
    path = Path(model)
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


class SettingsPanel(QWidget):
    """Controls for a :class:`CleanSettings`; :meth:`settings` reads them, :meth:`set_settings`
    shows one, ``settingsChanged`` says the user changed something."""

    settingsChanged = Signal()
    modelChosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._updating = False
        d = CleanSettings()
        self.model = QComboBox()
        self.model.setToolTip("A built-in model, or a .safetensors file from 'docclean train'")
        # As wide as about 10 characters whatever the file names chosen (a long one is elided, its
        # path in the item's tooltip): sized to its items, it widened the panel past its scroll area.
        self.model.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model.setMinimumContentsLength(10)
        for name in builtin_models():
            self.model.addItem(name, name)
            if name in BUILTIN_USES:
                self.model.setItemData(self.model.count() - 1, f"{name}: {BUILTIN_USES[name]}",
                                       Qt.ItemDataRole.ToolTipRole)
        self.model.addItem(_CHOOSE, None)
        self.backend, self.device, self.precision = combo(BACKENDS), combo(DEVICES), combo(PRECISIONS)
        self.threads = spin(1, 1024, None, "auto")
        # From 256: smaller tiles cannot hold the default overlap of 64 (the CLI refuses them too).
        self.tile_size = spin(4 * d.overlap, 16384, d.tile_size, step=64)
        self.batch_size = spin(1, 256, d.batch_size or None, "auto")  # auto: the backend's choice
        for name, label, tip in STEPS:  # each an attribute too: self.keep_solids, ...
            check = QCheckBox(label)
            check.setToolTip(tip)
            setattr(self, name, check)
        # 0 (off) or 2..1000: "never" sits just below 2, so one step down from 2 is "never".
        self.max_stroke = spin(2, 1000, d.max_stroke, "never")
        self.max_stroke.setSuffix(" px")
        self.max_stroke.setToolTip("Pages whose strokes are wider than this are also cleaned shrunk, keeping the "
                                   "darker result: the model fades strokes far wider than those it learned")
        self.dpi = spin(10, 2400, None, "native")  # one step up from "native" is 10 dpi
        self.dpi.setToolTip("Resolution at which PDF pages are rendered")
        self.keep_color = QCheckBox("Keep colour")
        self.keep_color.setToolTip("Put the original colours (stamps, highlighter, coloured ink) back on the page")
        self.binarize = QCheckBox("Black and white (1-bit)")
        self.fixed_threshold = QCheckBox("Fixed threshold")
        self.fixed_threshold.setToolTip("Off: adaptive, which keeps faint strokes")
        # On two lines: on one it set the panel's width, which a narrow window takes from the preview.
        self.keep_faint = QCheckBox("Keep faint marks\ntouching strokes")
        self.keep_faint.setToolTip("Adaptive only: the faded part of a stroke stays black (more ink kept, more specks)")
        self.remove_show_through = QCheckBox("Remove show-through")
        self.remove_show_through.setToolTip("Adaptive only: where a page holds two clearly separated layers of ink, "
                                            "the lighter one turns to paper (the other side showing through; genuine "
                                            "faint writing on that page goes too)")
        self.threshold = UnusedTextSpinBox()
        self.threshold.setRange(0.01, 0.99)
        self.threshold.setSingleStep(0.05)
        self.threshold.setValue(_THRESHOLD)
        self.threshold.fit_texts("adaptive", "—")
        self._ticks = TickKeeper()  # the ticks of the options that do not apply now
        self.ink_warning = QDoubleSpinBox()
        self.ink_warning.setRange(0.0, 100.0)
        self.ink_warning.setSuffix(" %")
        self.ink_warning.setToolTip("Warn when cleaning removed more than this share of a page's dark strokes")
        self.fmt = QComboBox()
        self.fmt.addItem(_SAME, None)
        for name in formats.OUTPUT_NAMES:
            self.fmt.addItem(name, name)
        self.overwrite = QCheckBox("Overwrite existing files")
        self.overwrite.setToolTip("Off: an export skips every file already in the output folder (so a "
                                  "cancelled export can go on); on: writes them again with these settings")
        self.reset = QPushButton("Reset to defaults")
        # Beside "Black and white", where it is ticked: the export's format may not keep 1-bit pages.
        self.one_bit_note = wrapping(QLabel())
        self.one_bit_note.setStyleSheet("padding:3px; background:#f9a825; color:black;")
        self.one_bit_note.hide()
        self._open_formats: frozenset[str] = frozenset()

        look = QGroupBox("Page")
        rows = form(look)
        rows.addRow(self.keep_color)
        rows.addRow(self.binarize)
        rows.addRow(self.one_bit_note)
        rows.addRow(self.fixed_threshold, self.threshold)
        rows.addRow(self.keep_faint)
        rows.addRow(self.remove_show_through)
        for name, _, _ in STEPS:
            rows.addRow(getattr(self, name))
        rows.addRow("PDF dpi", self.dpi)
        rows.addRow("Ink warning", self.ink_warning)
        engine = QGroupBox("Model and engine")
        rows = form(engine)
        rows.addRow("Model", self.model)
        rows.addRow("Backend", self.backend)
        rows.addRow("Device", self.device)
        rows.addRow("Precision", self.precision)
        rows.addRow("Threads", self.threads)
        rows.addRow("Tile size", self.tile_size)
        rows.addRow("Batch size", self.batch_size)
        rows.addRow("Widest stroke", self.max_stroke)
        out = QGroupBox("Export")
        rows = form(out)
        rows.addRow("Format", self.fmt)
        rows.addRow(self.overwrite)
        layout = QVBoxLayout(self)
        for widget in (look, engine, out, self.reset):
            layout.addWidget(widget)
        layout.addStretch(1)

        for box in (self.backend, self.device, self.precision, self.fmt):
            box.currentIndexChanged.connect(self._changed)
        self.model.activated.connect(self._model_activated)
        for number in (self.threads, self.tile_size, self.batch_size, self.max_stroke, self.dpi, self.threshold,
                       self.ink_warning):
            number.valueChanged.connect(self._changed)
        for check in (self.keep_color, self.binarize, self.fixed_threshold, self.keep_faint,
                      self.remove_show_through, self.overwrite, *(getattr(self, name) for name, _, _ in STEPS)):
            check.toggled.connect(self._changed)
        self.reset.clicked.connect(lambda: self.set_settings(CleanSettings(), notify=True))
        self.set_settings(d)

    def _model_activated(self, index: int) -> None:
        if self.model.itemData(index) is None:
            path, _ = QFileDialog.getOpenFileName(self, "Choose a model", "", "docclean models (*.safetensors)")
            if not path:
                self._select_model(self._last_model)
                return
            self._select_model(path)
            self.modelChosen.emit(path)
        self._changed()

    def _select_model(self, model: str) -> None:
        index = self.model.findData(model)
        if index < 0:
            index = self.model.count() - 1  # files go just above "Model file…"
            self.model.insertItem(index, model_label(model), model)
            self.model.setItemData(index, model, role=3)  # tooltip: the full path
        self.model.setCurrentIndex(index)
        self._last_model = model

    def _changed(self) -> None:
        # While set_settings fills the controls, the greying waits for the whole new set: done
        # control by control, it would keep the old ticks of options that no longer apply.
        if not self._updating:
            self._sync_enabled()
            self.settingsChanged.emit()

    def _sync_enabled(self) -> None:
        # An option that does not apply is greyed out and shows what is used: unticked, or the
        # threshold method; its tick comes back when it applies again (gui.inapplicable).
        binarize = self.binarize.isChecked()
        # 1-bit pages have no colour (the engine refuses the pair), so each greys the other out;
        # the one greyed out is unticked already, as it could not be ticked beside the other.
        self.keep_color.setEnabled(not binarize)
        self.binarize.setEnabled(not self.keep_color.isChecked())
        self._ticks.show_applies(self.fixed_threshold, binarize)
        self.fixed_threshold.setEnabled(binarize)
        fixed = self.fixed_threshold.isChecked()
        self.threshold.set_unused(None if fixed else "adaptive" if binarize else "—")
        adaptive = binarize and not fixed
        for check in (self.keep_faint, self.remove_show_through):
            self._ticks.show_applies(check, adaptive)
        # The two pull opposite ways (the engine refuses the pair): one greys out the other.
        self.keep_faint.setEnabled(adaptive and not self.remove_show_through.isChecked())
        self.remove_show_through.setEnabled(adaptive and not self.keep_faint.isChecked())
        note = one_bit_note(binarize, self.fmt.currentData(), self._open_formats)
        self.one_bit_note.setText(note)
        self.one_bit_note.setVisible(bool(note))

    def set_open_formats(self, names: frozenset[str]) -> None:
        """The formats of the files open (their names): with Format "same as input" they are the
        export's, and decide whether it keeps 1-bit pages (``one_bit_note``)."""
        self._open_formats = names
        self._sync_enabled()

    def settings(self) -> CleanSettings:
        """The settings the controls show (validated by CleanSettings)."""
        binarize = self.binarize.isChecked()
        adaptive = binarize and not self.fixed_threshold.isChecked()
        dpi = read_spin(self.dpi)
        return CleanSettings(
            model=self.model.currentData() or self._last_model,
            backend=self.backend.currentData(), device=self.device.currentData(),
            precision=self.precision.currentData(), threads=read_spin(self.threads),
            tile_size=self.tile_size.value(), batch_size=read_spin(self.batch_size, 0),
            max_stroke=read_spin(self.max_stroke, 0),
            **{name: getattr(self, name).isChecked() for name, _, _ in STEPS},
            fmt=self.fmt.currentData(), dpi=None if dpi is None else float(dpi),
            color="keep" if self.keep_color.isChecked() and not binarize else "gray", binarize=binarize,
            threshold=round(self.threshold.value(), 2) if binarize and self.fixed_threshold.isChecked() else None,
            keep_faint=adaptive and self.keep_faint.isChecked(),
            remove_show_through=adaptive and self.remove_show_through.isChecked() and not self.keep_faint.isChecked(),
            ink_warning=round(self.ink_warning.value() / 100.0, 4), overwrite=self.overwrite.isChecked())

    def set_settings(self, settings: CleanSettings, notify: bool = False) -> None:
        """Show ``settings`` in the controls; ``notify`` emits ``settingsChanged`` once after."""
        self._updating = True
        self._ticks.forget()  # what is kept for an option that does not apply is now its value here
        try:
            self._select_model(settings.model)
            for box, value in ((self.backend, settings.backend), (self.device, settings.device),
                               (self.precision, settings.precision), (self.fmt, settings.fmt)):
                box.setCurrentIndex(max(0, box.findData(value)))
            show_spin(self.threads, settings.threads)
            self.tile_size.setValue(settings.tile_size)
            show_spin(self.batch_size, settings.batch_size)
            show_spin(self.max_stroke, settings.max_stroke)
            for name, _, _ in STEPS:
                getattr(self, name).setChecked(getattr(settings, name))
            show_spin(self.dpi, settings.dpi)
            self.keep_color.setChecked(settings.keep_color)
            self.binarize.setChecked(settings.binarize)
            self.fixed_threshold.setChecked(settings.threshold is not None)
            self.keep_faint.setChecked(settings.keep_faint)
            self.remove_show_through.setChecked(settings.remove_show_through)
            # No fixed threshold: the box goes back to its own default (Reset to defaults too).
            self.threshold.setValue(_THRESHOLD if settings.threshold is None else settings.threshold)
            self.overwrite.setChecked(settings.overwrite)
            self.ink_warning.setValue(settings.ink_warning * 100.0)
        finally:
            self._updating = False
        self._sync_enabled()
        if notify:
            self.settingsChanged.emit()
