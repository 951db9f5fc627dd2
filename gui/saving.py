"""Saving the cleaned page and exporting: the main window's Save and Export commands.

``SavingMixin`` is one of ``gui.window.MainWindow``'s bases and works on its attributes (``result``,
``inputs``, ``pages``, ``store``, ``exports``) and methods (``result_is_current``, ``settings``,
``show_errors``, ``_update_command``). Save writes the batch's exact pixels of the preview shown,
and refuses one made with other settings than the panel's; Export runs the batch runner in a
thread (``gui.export``) with a progress dialog, and the window keeps each (thread, dialog) pair in
``exports`` so that closing can cancel and wait for them.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from docclean.discover import path_key
from docclean.errors import DocCleanError, UsageError
from gui.command import command_line
from gui.export import ExportDialog, ExportThread


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
                                  "with these settings did not finish; click the page to clean it again"])
            return None
        assert self.result is not None
        if path is None:
            folder = self.store.value("lastSave", "") or self.store.value("lastFolder", "") or "."
            start = str(Path(folder) / f"{self.result.request.path.stem}-clean.png")
            path, _ = QFileDialog.getSaveFileName(self, "Save cleaned page", start,
                                                  "Images (*.png *.tif *.tiff *.jpg *.webp *.bmp *.pdf)")
            if not path:
                return None
        from docclean.io import write_page

        # The dialog's "replace?" does not say the file is a scan that is open (of a multi-page
        # file, Save would keep one page): refused, as `docclean clean` refuses its inputs.
        scans = {path_key(p) for p in self.inputs if not p.is_dir()} | {path_key(r.path) for r in self.pages.refs()}
        try:
            if path_key(Path(path)) in scans:
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

    def export(self, output: str | Path | None = None, whole_folder: bool = False) -> ExportThread | None:
        """Clean the open files (or the opened folder) into ``output`` (asked if None) through the
        batch runner, with a progress dialog; returns the running thread."""
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
        if any(thread.isRunning() and path_key(thread.output) == path_key(Path(output)) for thread, _ in self.exports):
            # The batch's lock would refuse it naming "another docclean run" with this window's pid.
            self.show_errors([f"{output}: an export to this folder is already running in this window; "
                              "wait for it to finish or choose another folder"])
            return None
        self.store.setValue("lastExport", str(output))
        self._update_command()
        thread = ExportThread(inputs, output, settings, self)
        dialog = ExportDialog(thread, command_line(inputs, output, settings), self)
        thread.failed.connect(lambda message: self.show_errors([message]))
        self.exports.append((thread, dialog))
        dialog.show()
        thread.start()
        return thread

    def _export_inputs(self, whole_folder: bool) -> list[Path]:
        if whole_folder:
            return [p for p in self.inputs if p.is_dir()]
        if not self.pages.count():
            return []
        # What was opened, not the files one by one: the page list came from expanding these
        # items, and the batch mirrors an opened folder's tree only when given the folder itself
        # (a/page.png and b/page.png would both go to OUTPUT/page.png).
        return list(dict.fromkeys(self.inputs))
