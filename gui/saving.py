"""Exporting: the main window's Export commands (Save is ``gui.savepage``).

``SavingMixin`` is one of ``gui.window.MainWindow``'s bases and works on its attributes (``inputs``,
``exported``, ``exported_with``, ``folders``, ``proposal``, ``export_choice``, ``pages``, ``store``,
``exports``, ``checking``, ``opening``, ``_closing``) and methods (``settings``, ``show_errors``,
``_update_command``, ``relist``, ``export_folder``). Export runs the batch
runner in a thread (``gui.export``) with a progress dialog, and the window keeps each (thread,
dialog) pair in ``exports`` so that closing can cancel and wait for them. An export into the
root, the home folder or a folder holding other files than an earlier export of these inputs is
confirmed first (``gui.destination``), checked on a thread of its own (``checking``) so that
walking a big folder never freezes the window; an export's failure stays in the banner until the
next export.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from docclean.discover import path_key
from docclean.settings import CleanSettings
from gui.banner import EXPORT
from gui.command import command_line
from gui.destination import DestinationCheck
from gui.export import ExportDialog, ExportThread
from gui.folders import ask_export_folder, chosen_export, remember_export
from gui.listing import listing_label

#: The status bar while the export folder is checked (``format``: the folder).
CHECKING = "Checking {} before exporting…"


class SavingMixin:
    """Export of ``MainWindow`` (a ``QMainWindow``)."""

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
            output = ask_export_folder(self, self.proposal)
            if output is None:
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
        before = self.export_choice, chosen_export(self.store, check.opened)
        self.export_choice = output
        remember_export(self.store, output, check.opened)
        self._export_folder_changed()
        # The list leaves out the export folder, as the batch does: listed by the check, unless
        # something else was opened meanwhile.
        self.relist(check.listing if self.inputs == check.opened else None)
        thread = ExportThread(check.inputs, output, settings, self)
        # What this window last exported there, and with which settings: files already there are
        # known to be of these settings only if that export had them (a cancelled one carried on).
        earlier = self.exported_with.get(path_key(output))
        self.exported_with[path_key(output)] = settings
        same = earlier is not None and (earlier.pixel_key(), earlier.fmt) == (settings.pixel_key(), settings.fmt)
        dialog = ExportDialog(thread, command_line(check.inputs, output, settings), self, same_settings=same)
        thread.failed.connect(lambda message: self.show_errors([message], kind=EXPORT))
        thread.failed.connect(lambda _: self._export_failed(output, before, check.opened))
        self.exports.append((thread, dialog))
        dialog.show()
        thread.start()

    def _export_failed(self, output: Path, before: tuple[Path | None, Path | None], opened: list[Path]) -> None:
        """An export into ``output`` failed as a whole (the batch refused the folder, or could not
        start): the export folder is again the one before (``before``: this session's choice and
        the one kept for ``opened``), not one that fails."""
        if self.export_choice != output:
            return  # another was chosen since
        self.export_choice = before[0]
        if chosen_export(self.store, opened) == output:
            remember_export(self.store, before[1], opened)
        self._export_folder_changed()
        if any(output.is_relative_to(folder) for folder in self.folders):
            self.relist()  # it was left out of the list: it is no export folder now

    def _export_folder_changed(self) -> None:
        self.proposal = self.export_folder()
        self._update_command()

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
        # (a/page.png and b/page.png would both go to OUTPUT/page.png). Less the files opened by
        # name that the list does not hold (gui.listing.exported_inputs), as the command row shows.
        return list(self.exported)
