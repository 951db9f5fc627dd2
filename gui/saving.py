"""Saving the cleaned page and exporting: the main window's Save and Export commands.

``SavingMixin`` is one of ``gui.window.MainWindow``'s bases and works on its attributes (``result``,
``inputs``, ``pages``, ``store``, ``exports``, ``checking``, ``opening``, ``open_scans``,
``_closing``) and methods (``result_is_current``, ``settings``, ``show_errors``,
``_update_command``, ``relist``, ``what_now``). Save writes the batch's exact pixels of the
preview shown, and refuses one made with other settings than the panel's; a name without a suffix
is saved as PNG. Export runs the batch runner in a thread (``gui.export``) with a progress dialog,
and the window keeps each (thread, dialog) pair in ``exports`` so that closing can cancel and wait
for them. An export into the root, the home folder or a folder holding other files than an earlier
export of these inputs is confirmed first (``gui.destination``), checked on a thread of its own
(``checking``) so that walking a big folder never freezes the window; an export's failure stays in
the banner until the next export.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox, QWidget

from docclean.discover import path_key
from docclean.errors import DocCleanError, UsageError
from docclean.settings import CleanSettings
from gui.banner import EXPORT
from gui.command import command_line
from gui.destination import DestinationCheck
from gui.export import ExportDialog, ExportThread
from gui.listing import listing_label

#: What the Save dialog offers; a name typed without a suffix gets :data:`DEFAULT_SUFFIX`.
SAVE_FILTER = "Images (*.png *.tif *.tiff *.jpg *.jpeg *.webp *.bmp *.pdf)"
DEFAULT_SUFFIX = ".png"
#: The status bar while the export folder is checked (``format``: the folder).
CHECKING = "Checking {} before exporting…"


def with_default_suffix(path: str | Path) -> Path:
    """``path``, with :data:`DEFAULT_SUFFIX` added when its name has no suffix (the writer takes the
    format from it, and "scan-clean" would otherwise fail)."""
    path = Path(path)
    return path if path.suffix else path.with_name(path.name + DEFAULT_SUFFIX)


def ask_save_path(parent: QWidget, start: str) -> Path | None:
    """The Save dialog: a file name (PNG when typed without a suffix), or None if cancelled. Not
    the static dialog: only an instance takes a default suffix, and confirms replacing a file
    under the name with the suffix added."""
    dialog = QFileDialog(parent, "Save cleaned page", start, SAVE_FILTER)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setDefaultSuffix(DEFAULT_SUFFIX.lstrip("."))
    if dialog.exec() != QDialog.DialogCode.Accepted or not dialog.selectedFiles():
        return None
    return with_default_suffix(dialog.selectedFiles()[0])


class SavingMixin:
    """Save and Export of ``MainWindow`` (a ``QMainWindow``)."""

    def save_cleaned(self, path: str | Path | None = None) -> Path | None:
        """Write the cleaned page shown (the batch's exact pixels) to ``path`` (asked if None).
        Refused while the preview shown is not that of the current page and settings."""
        if not self.result_is_current():
            if self.busy or self.current is None:
                why = "the page is still being cleaned" if self.busy else "open a page first"
                self.show_errors([f"nothing to save yet: {why}"])
            else:  # failed or cancelled: keep the reason in view
                self.show_errors([*([self.failure] if self.failure else []), "nothing to save: this page's preview "
                                  f"with these settings did not finish; {self.what_now()}"])
            return None
        assert self.result is not None
        if path is None:
            folder = self.store.value("lastSave", "") or self.store.value("lastFolder", "") or "."
            path = ask_save_path(self, str(Path(folder) / f"{self.result.request.path.stem}-clean.png"))
            if path is None:
                return None
        path = with_default_suffix(path)
        from docclean.io import write_page

        # The dialog's "replace?" does not say the file is a scan that is open (of a multi-page
        # file, Save would keep one page): refused, as `docclean clean` refuses its inputs.
        try:
            if self._is_open_scan(Path(path)):
                raise UsageError("refusing to write over a scan that is open; choose another name", path)
            write_page(path, self.result.output.pixels, self.result.page.page.dpi)
        except (DocCleanError, ValueError) as exc:
            self.show_errors([str(exc)])
            self.statusBar().showMessage("not saved")
            return None
        self.show_errors([])  # an earlier Save's failure no longer stands
        self.store.setValue("lastSave", str(Path(path).resolve().parent))
        self.statusBar().showMessage(f"saved {path}")
        return Path(path)

    def _is_open_scan(self, path: Path) -> bool:
        """Whether ``path`` is (a link to, or another name of) a file that is open: one stat of
        ``path``, looked up among the open files' identities gathered with their listing
        (``gui.pages.OpenScans``). A stat of each open file here froze the window: 25,000 of them
        on a network share (and the real path of each took 1.1 s a Save before that)."""
        return self.open_scans.holds(path)

    def export(self, output: str | Path | None = None, whole_folder: bool = False) -> DestinationCheck | None:
        """Clean the open files (or the opened folder) into ``output`` (asked if None) through the
        batch runner, with a progress dialog. Returns at once with the check of the folder running
        on its own thread (None when refused at once): the export starts when it answers, after
        the user's word if the folder is a risky place (:meth:`_destination_checked`). Refused while
        what was opened is still being listed (before asking for a folder)."""
        if self.opening is not None:
            # The pages to export are those of what is being opened, not yet known; those listed
            # are of what was open before, and exporting them would not be what was asked.
            self.show_errors([f"nothing exported: still listing {listing_label(self.opening.paths)}; "
                              "export again once its pages are listed"])
            return None
        inputs = self._export_inputs(whole_folder)
        if not inputs:
            self.show_errors(["nothing to export: open a folder first" if whole_folder else
                              "nothing to export: open files or a folder first"])
            return None
        settings = self.settings()
        if settings is None:
            return None
        if output is None:
            output = QFileDialog.getExistingDirectory(self, "Export cleaned pages to",
                                                      str(self.store.value("lastExport", "") or ""))
            if not output:
                return None
        if self.checking is not None:
            self.show_errors([f"{output}: still checking the export folder {self.checking.output}; "
                              "export again once its answer has come"])
            return None
        if self._exporting_into(Path(output)):
            return None
        check = DestinationCheck(inputs, Path(output), settings.fmt, list(self.inputs), self)
        check.answered.connect(lambda: self._destination_checked(check, settings))
        self.checking = check
        self.statusBar().showMessage(CHECKING.format(output))
        check.start()
        return check

    def _exporting_into(self, output: Path) -> bool:
        """Whether an export into ``output`` runs in this window (and the banner says so)."""
        if any(thread.isRunning() and path_key(thread.output) == path_key(output) for thread, _ in self.exports):
            # The batch's lock would refuse it naming "another docclean run" with this window's pid.
            self.show_errors([f"{output}: an export to this folder is already running in this window; "
                              "wait for it to finish or choose another folder"])
            return True
        return False

    def _destination_checked(self, check: DestinationCheck, settings: CleanSettings) -> None:
        """The check of ``check.output`` answered: ask about a risky folder, then export."""
        check.wait()  # it has emitted its last signal; ended, it may be let go
        if self.checking is check:
            self.checking = None
        if self.statusBar().currentMessage() == CHECKING.format(check.output):
            self.statusBar().clearMessage()
        if check.dropped or self._closing:
            return
        if check.error is not None:
            self.show_errors([check.error], kind=EXPORT)
            return
        if check.concern is not None and (not self.confirm_export(check.concern) or self._closing):
            return
        if self._exporting_into(check.output):
            return
        output = check.output
        self.show_errors([], kind=EXPORT)  # an earlier export's failure no longer stands
        self.store.setValue("lastExport", str(output))
        self._update_command()
        # The list leaves out the export folder, as the batch does: listed by the check, unless
        # something else was opened meanwhile.
        self.relist(check.listing if self.inputs == check.opened else None)
        thread = ExportThread(check.inputs, output, settings, self)
        dialog = ExportDialog(thread, command_line(check.inputs, output, settings), self)
        thread.failed.connect(lambda message: self.show_errors([message], kind=EXPORT))
        self.exports.append((thread, dialog))
        dialog.show()
        thread.start()

    def confirm_export(self, concern: str) -> bool:
        """Ask whether to export anyway into the folder ``concern`` describes (Cancel is the default)."""
        answer = QMessageBox.question(
            self, "Export into this folder?",
            f"{concern}.\n\nExport into it anyway? The cleaned pages go in beside those files; "
            "a file of the same name as a cleaned page is left as it is, unless 'Overwrite existing "
            "files' is ticked.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes

    def _export_inputs(self, whole_folder: bool) -> list[Path]:
        if whole_folder:
            return [p for p in self.inputs if p.is_dir()]
        if not self.pages.count():
            return []
        # What was opened, not the files one by one: the page list came from expanding these
        # items, and the batch mirrors an opened folder's tree only when given the folder itself
        # (a/page.png and b/page.png would both go to OUTPUT/page.png).
        return list(dict.fromkeys(self.inputs))
