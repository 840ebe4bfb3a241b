"""Export the current plot to a file or the clipboard, with a live preview at the real size.

Everything is drawn by the renderer (in the app, PlotService), which replays the plot on R's
own file device, so the file looks as R users expect from png()/svg()/pdf(); the preview is
the same drawing at a lower DPI (see ``export_form.preview_spec``).

One dialog per export: closing it abandons any render still running.
"""

from __future__ import annotations

import contextlib
import os
import stat
import uuid
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from webr_desktop.core.plot_export import (
    FORMATS,
    UNITS,
    ExportSpec,
    ExportSpecError,
    format_for_path,
)
from webr_desktop.ui.plots.clipboard import copy_plot
from webr_desktop.ui.plots.export_form import (
    ExportForm,
    ExportPreview,
    Renderer,
    as_bytes,
    disconnect_request,
)

SETTINGS_GROUP = "plots/export"
TITLE = "Export Plot"
FILE_FILTERS = {
    "png": "PNG image (*.png)",
    "jpeg": "JPEG image (*.jpg *.jpeg)",
    "tiff": "TIFF image (*.tiff *.tif)",
    "svg": "SVG image (*.svg)",
    "pdf": "PDF document (*.pdf)",
}


def write_atomically(path: Path, data: bytes) -> None:
    """Write the whole file or nothing: a full disk mid-write leaves any old file intact."""
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(temp, flags, 0o666)  # 0o666 minus the umask, like any new file
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(OSError):  # replacing a file keeps its permissions
            os.chmod(temp, stat.S_IMODE(path.stat().st_mode))
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


class ExportDialog(QDialog):
    """Format, size, DPI and file for one export; Save writes the file, Copy fills the clipboard."""

    sig_saved = Signal(object)  # Path of the written file
    sig_copied = Signal()
    sig_preview_shown = Signal()

    def __init__(self, renderer: Renderer, initial: ExportSpec, directory: Path,
                 settings: QSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(TITLE)
        self._renderer = renderer
        self._directory = Path(directory)
        self._settings = settings
        self._job: QObject | None = None  # the save/copy render in flight
        self._job_then: Callable[[bytes], None] | None = None
        self._confirmed_path: Path | None = None  # the file dialog already asked about replacing it

        spec, units = self._restore(initial)
        self._form = ExportForm(spec, units)
        form = self._form
        self.format_combo, self.units_combo = form.format_combo, form.units_combo
        self.width_spin, self.height_spin, self.dpi_spin = form.width_spin, form.height_spin, form.dpi_spin
        self.keep_aspect_check, self.size_label = form.keep_aspect_check, form.size_label

        self.preview_label = ExportPreview(renderer)
        self.path_edit = QLineEdit(str(self._directory / f"plot.{FORMATS[spec.fmt]}"))
        self.path_edit.setMinimumWidth(320)
        self.browse_button = QPushButton("Browse…")
        self.status_label = QLabel()
        self.copy_button = QPushButton("Copy to Clipboard")  # left, apart from the closing buttons
        buttons = QDialogButtonBox()
        self.save_button = buttons.addButton("Save", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.save_button.setDefault(True)

        top = QHBoxLayout()
        top.addWidget(self.preview_label, 0, Qt.AlignmentFlag.AlignTop)
        top.addSpacing(12)
        top.addWidget(form, 1, Qt.AlignmentFlag.AlignTop)
        file_row = QHBoxLayout()
        file_row.addWidget(QLabel("File:"))
        file_row.addWidget(self.path_edit, 1)
        file_row.addWidget(self.browse_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.copy_button)
        bottom.addWidget(self.status_label, 1)
        bottom.addWidget(buttons)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addSpacing(6)
        layout.addLayout(file_row)
        layout.addLayout(bottom)

        self.preview_label.sig_shown.connect(self.sig_preview_shown)
        form.sig_spec_changed.connect(self._on_form_spec_changed)
        form.sig_format_changed.connect(self._on_form_format_changed)
        self.path_edit.textEdited.connect(self._on_path_edited)
        self.browse_button.clicked.connect(self._on_browse_clicked)
        self.save_button.clicked.connect(self._on_save_clicked)
        self.copy_button.clicked.connect(self._on_copy_clicked)
        buttons.rejected.connect(self.reject)
        self._update_buttons()
        self.preview_label.schedule(self._valid_spec())
        self.preview_label.render_now()  # the first preview needs no debounce

    # -- public ---------------------------------------------------------------------------------
    def spec(self) -> ExportSpec:
        """The export as set up; ExportSpecError (message for the user) if out of range."""
        return self._form.spec()

    def path(self) -> Path:
        """The file to write; a relative name is taken relative to the working folder."""
        path = Path(self.path_edit.text().strip()).expanduser()
        return path if path.is_absolute() else self._directory / path

    def done(self, result: int) -> None:
        """Every way out (Save, Cancel, Esc, close): stop listening to renders still running."""
        self.preview_label.stop()
        self._end_job()
        super().done(result)

    # -- form and path --------------------------------------------------------------------------
    def _on_form_spec_changed(self) -> None:
        self._update_buttons()
        self.preview_label.schedule(self._valid_spec())

    def _on_form_format_changed(self, fmt: str) -> None:
        """Keep the file name's extension in step with the format (plot.png -> plot.svg)."""
        text = self.path_edit.text().strip()
        if not text:
            return
        path = Path(text)
        known = format_for_path(path.name, "")
        if known == fmt:
            return
        extension = FORMATS[fmt]
        new = path.with_suffix(f".{extension}") if known else path.with_name(f"{path.name}.{extension}")
        self.path_edit.setText(str(new))

    def _on_path_edited(self, text: str) -> None:
        """A typed or chosen file name with a known extension picks the format."""
        fmt = format_for_path(Path(text.strip()).name, "")
        if fmt and fmt != self._form.fmt():
            self._form.set_format(fmt)

    def _on_browse_clicked(self) -> None:
        start = self.path()
        if not start.parent.is_dir():
            start = self._directory / start.name
        chosen, chosen_filter = QFileDialog.getSaveFileName(
            self, TITLE, str(start), ";;".join(FILE_FILTERS.values()), FILE_FILTERS[self._form.fmt()]
        )
        if not chosen:
            return
        path = Path(chosen)
        if not format_for_path(path.name, ""):
            picked = next((f for f, text in FILE_FILTERS.items() if text == chosen_filter), self._form.fmt())
            path = path.with_name(f"{path.name}.{FORMATS[picked]}")
        self._confirmed_path = path if path == Path(chosen) else None
        self.path_edit.setText(str(path))
        self._on_path_edited(str(path))

    # -- save and copy --------------------------------------------------------------------------
    def _on_save_clicked(self) -> None:
        try:
            spec = self.spec()
        except ExportSpecError as error:
            self._warn(str(error))
            return
        path = self.path()
        problem = self._destination_problem(path)
        if problem:
            self._warn(problem)
            return
        if path.exists() and path != self._confirmed_path and not self._confirm_replace(path):
            return
        self._run(spec, "Saving…", lambda data: self._write(spec, path, data))

    def _write(self, spec: ExportSpec, path: Path, data: bytes) -> None:
        try:
            write_atomically(path, data)
        except OSError as error:
            self._warn(f"Could not write {path}:\n{error.strerror or error}\n\n"
                       "Nothing was overwritten. Choose another file or folder and save again.")
            return
        self._remember(spec)
        self.sig_saved.emit(path)
        self.accept()

    def _on_copy_clicked(self) -> None:
        """PNG for every format (what other apps paste); SVG data too when exporting SVG."""
        try:
            spec = self.spec()
        except ExportSpecError as error:
            self._warn(str(error))
            return
        bitmap = ExportSpec("png", spec.width_in, spec.height_in, spec.dpi)
        self._run(bitmap, "Copying…", lambda png: self._on_copy_png(spec, png))

    def _on_copy_png(self, spec: ExportSpec, png: bytes) -> None:
        image = QImage.fromData(png)
        if image.isNull():
            self._warn("The rendered plot is not a readable image; nothing was copied.")
        elif spec.fmt == "svg":
            self._run(spec, "Copying…", lambda svg: self._put_on_clipboard(spec, image, svg))
        else:
            self._put_on_clipboard(spec, image, None)

    def _put_on_clipboard(self, spec: ExportSpec, image: QImage, svg: bytes | None) -> None:
        copy_plot(image, svg)
        self._remember(spec)
        self.status_label.setText("Copied to clipboard.")
        self.sig_copied.emit()

    def _run(self, spec: ExportSpec, status: str, then: Callable[[bytes], None]) -> None:
        """Render ``spec`` for Save/Copy, with the buttons off until it answers."""
        try:
            request = self._renderer.render(spec)
        except (RuntimeError, ValueError) as error:  # e.g. no R session, a spec R refuses
            self._end_job()
            self._warn(f"R could not render the plot:\n{error}")
            return
        self.status_label.setText(status)
        request.sig_finished.connect(self._on_job_finished)
        request.sig_failed.connect(self._on_job_failed)
        self._job, self._job_then = request, then
        self._update_buttons()

    def _on_job_finished(self, data: object) -> None:
        then = self._end_job()
        payload = as_bytes(data)
        if not payload:
            self._warn("R produced an empty file; nothing was saved or copied.")
        elif then is not None:
            then(payload)

    def _on_job_failed(self, message: str) -> None:
        self._end_job()
        self._warn(f"R could not render the plot:\n{message}")

    def _end_job(self) -> Callable[[bytes], None] | None:
        then, request = self._job_then, self._job
        if request is not None:
            disconnect_request(request, self._on_job_finished, self._on_job_failed)
        self._job, self._job_then = None, None
        self.status_label.clear()
        self._update_buttons()
        return then

    # -- helpers --------------------------------------------------------------------------------
    def _valid_spec(self) -> ExportSpec | None:
        try:
            return self.spec()
        except ExportSpecError:
            return None

    def _update_buttons(self) -> None:
        enabled = self._job is None and self._valid_spec() is not None
        self.save_button.setEnabled(enabled)
        self.copy_button.setEnabled(enabled)

    def _destination_problem(self, path: Path) -> str | None:
        """Why ``path`` can't be written, checked before R spends time rendering."""
        if not self.path_edit.text().strip():
            return "Choose a file to save the plot to."
        if path.is_dir():
            return f"{path} is a folder. Add a file name, such as plot.{FORMATS[self._form.fmt()]}."
        if not path.parent.is_dir():
            return f"The folder {path.parent} does not exist. Choose another folder."
        if not os.access(path.parent, os.W_OK):
            return f"The folder {path.parent} is read-only. Choose another folder."
        return None

    def _confirm_replace(self, path: Path) -> bool:
        answer = QMessageBox.question(
            self, TITLE, f"{path.name} already exists in {path.parent}.\nDo you want to replace it?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def _warn(self, message: str) -> None:
        QMessageBox.warning(self, TITLE, message)

    def _restore(self, initial: ExportSpec) -> tuple[ExportSpec, str]:
        """The last export's settings if there are usable ones, else ``initial``."""
        default_units = "px" if initial.is_bitmap else "in"
        if self._settings is None:
            return initial, default_units
        settings = self._settings
        settings.beginGroup(SETTINGS_GROUP)
        try:
            spec = ExportSpec(
                str(settings.value("format", initial.fmt)),
                float(settings.value("width_in", initial.width_in)),  # type: ignore[arg-type]
                float(settings.value("height_in", initial.height_in)),  # type: ignore[arg-type]
                int(float(settings.value("dpi", initial.dpi))),  # type: ignore[arg-type]
            ).validated()
            units = str(settings.value("units", default_units))
            return spec, units if units in UNITS else default_units
        except (TypeError, ValueError):  # a hand-edited or older settings file
            return initial, default_units
        finally:
            settings.endGroup()

    def _remember(self, spec: ExportSpec) -> None:
        """Saved only after a successful Save/Copy: Cancel shouldn't change the defaults."""
        if self._settings is None:
            return
        self._settings.beginGroup(SETTINGS_GROUP)
        for key, value in (("format", spec.fmt), ("width_in", spec.width_in), ("height_in", spec.height_in),
                           ("dpi", spec.dpi), ("units", self._form.units())):
            self._settings.setValue(key, value)
        self._settings.endGroup()

