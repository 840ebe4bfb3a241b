"""The plot export dialog with a fake renderer: sizes and units, preview, save, copy, settings."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PySide6.QtCore import QBuffer, QIODevice, QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QGuiApplication, QImage
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox

from webr_desktop.core.plot_export import ExportSpec, ExportSpecError
from webr_desktop.ui.plots.export_dialog import FILE_FILTERS, ExportDialog

START = ExportSpec("png", 10, 7.5, 200)  # 2000 x 1500 px


class FakeRequest(QObject):
    sig_finished = Signal(object)
    sig_failed = Signal(str)


def fake_file(spec: ExportSpec) -> bytes:
    """Real bytes of the asked-for kind, so the dialog decodes what a real device would give."""
    if spec.fmt == "svg":
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{spec.width_in}in" '
                f'height="{spec.height_in}in"><rect width="10" height="10"/></svg>').encode()
    if spec.fmt == "pdf":
        return b"%PDF-1.4\n% fake plot\n%%EOF\n"
    image = QImage(*spec.pixel_size, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, {"png": "PNG", "jpeg": "JPEG", "tiff": "TIFF"}[spec.fmt])
    return bytes(buffer.data().data())


@dataclass
class FakeRenderer:
    """Records every spec; answers later in the event loop, or holds answers until release()."""

    specs: list[ExportSpec] = field(default_factory=list)
    outputs: list[bytes] = field(default_factory=list)
    fail_with: str | None = None
    raise_with: Exception | None = None  # raised by render() itself, as with no R session
    hold: bool = False
    held: list[tuple[FakeRequest, object]] = field(default_factory=list)

    def render(self, spec: ExportSpec) -> FakeRequest:
        self.specs.append(spec)
        if self.raise_with is not None:
            raise self.raise_with
        request = FakeRequest()
        if self.fail_with is not None:
            message = self.fail_with
            answer = lambda: request.sig_failed.emit(message)  # noqa: E731
        else:
            data = fake_file(spec)
            self.outputs.append(data)
            answer = lambda: request.sig_finished.emit(data)  # noqa: E731
        if self.hold:
            self.held.append((request, answer))
        else:
            QTimer.singleShot(0, answer)
        return request

    def release(self) -> None:
        held, self.held = self.held, []
        for _request, answer in held:
            QTimer.singleShot(0, answer)


@dataclass
class MessageBoxes:
    warnings: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    answer: QMessageBox.StandardButton = QMessageBox.StandardButton.Yes


@pytest.fixture(autouse=True)
def boxes(monkeypatch: pytest.MonkeyPatch) -> MessageBoxes:
    """No modal message box may block a test; record what would have been shown."""
    boxes = MessageBoxes()

    def warning(_parent, _title, text, *args):
        boxes.warnings.append(text)
        return QMessageBox.StandardButton.Ok

    def question(_parent, _title, text, *args):
        boxes.questions.append(text)
        return boxes.answer

    monkeypatch.setattr(QMessageBox, "warning", warning)
    monkeypatch.setattr(QMessageBox, "question", question)
    return boxes


@pytest.fixture
def renderer() -> FakeRenderer:
    return FakeRenderer()


@pytest.fixture
def make_dialog(qtbot, renderer: FakeRenderer, tmp_path: Path):
    def make(initial: ExportSpec = START, settings: QSettings | None = None) -> ExportDialog:
        dialog = ExportDialog(renderer, initial, tmp_path, settings)
        qtbot.addWidget(dialog)
        dialog.show()
        return dialog

    return make


def set_units(dialog: ExportDialog, units: str) -> None:
    dialog.units_combo.setCurrentIndex(dialog.units_combo.findData(units))


def set_format(dialog: ExportDialog, fmt: str) -> None:
    dialog.format_combo.setCurrentIndex(dialog.format_combo.findData(fmt))


def shown_size(dialog: ExportDialog) -> tuple[float, float]:
    return dialog.width_spin.value(), dialog.height_spin.value()


def test_units_convert_the_numbers_but_not_the_size(make_dialog) -> None:
    dialog = make_dialog()
    assert dialog.units_combo.currentData() == "px"
    assert shown_size(dialog) == (2000, 1500)
    assert dialog.size_label.text() == "2000 × 1500 px at 200 DPI (10 × 7.5 in)"
    set_units(dialog, "in")
    assert shown_size(dialog) == (10, 7.5)
    assert dialog.width_spin.text() == "10"  # no "10.000"
    set_units(dialog, "cm")
    assert shown_size(dialog) == pytest.approx((25.4, 19.05))
    assert dialog.size_label.text() == "2000 × 1500 px at 200 DPI (25.4 × 19.05 cm)"
    set_units(dialog, "px")
    assert shown_size(dialog) == (2000, 1500)
    assert dialog.spec() == START


def test_rounded_display_never_feeds_back_into_the_size(make_dialog) -> None:
    exact = ExportSpec("png", 10 / 3, 2.5, 300)  # 1000 x 750 px, 3.333… in wide
    dialog = make_dialog(exact)
    for units in ("in", "cm", "px"):
        set_units(dialog, units)
    assert shown_size(dialog) == (1000, 750)
    assert dialog.spec() == exact


def test_typed_sizes_become_inches_in_each_unit(make_dialog) -> None:
    dialog = make_dialog(ExportSpec("png", 5, 5, 200))
    dialog.width_spin.setValue(2000)
    dialog.height_spin.setValue(1500)
    assert dialog.spec() == START
    set_units(dialog, "cm")
    dialog.width_spin.setValue(25.4)
    dialog.height_spin.setValue(19.05)
    assert dialog.spec().size_in("in") == pytest.approx((10, 7.5))


def test_dpi_keeps_pixels_in_px_mode_and_inches_otherwise(make_dialog) -> None:
    dialog = make_dialog()
    dialog.dpi_spin.setValue(100)
    assert shown_size(dialog) == (2000, 1500)
    assert dialog.spec().size_in("in") == pytest.approx((20, 15))
    set_units(dialog, "in")
    dialog.dpi_spin.setValue(300)
    assert shown_size(dialog) == (20, 15)
    assert dialog.spec().pixel_size == (6000, 4500)


def test_keep_aspect_scales_the_other_side(make_dialog) -> None:
    dialog = make_dialog()
    dialog.width_spin.setValue(3000)
    assert shown_size(dialog) == (3000, 1500)  # off: sides are independent
    dialog.width_spin.setValue(2000)
    dialog.keep_aspect_check.setChecked(True)
    dialog.width_spin.setValue(3000)
    assert shown_size(dialog) == (3000, 2250)
    dialog.height_spin.setValue(750)
    assert shown_size(dialog) == (1000, 750)
    dialog.width_spin.setValue(3001)  # height 2250.75, shown as 2251; width must stay 3001 px
    assert shown_size(dialog) == (3001, 2251)
    assert dialog.spec().width_in == pytest.approx(3001 / 200, abs=1e-12)
    set_units(dialog, "in")
    dialog.width_spin.setValue(8)
    assert shown_size(dialog) == (8, 6)


def test_vector_formats_have_no_dpi_or_pixels(make_dialog) -> None:
    dialog = make_dialog()
    for fmt in ("svg", "pdf"):
        set_format(dialog, fmt)
        assert not dialog.dpi_spin.isEnabled()
        assert dialog.units_combo.currentData() == "in"  # px switched to in, same size
        assert not dialog.units_combo.model().item(0).isEnabled()
        assert shown_size(dialog) == (10, 7.5)
        assert dialog.size_label.text() == "10 × 7.5 in"
    set_format(dialog, "tiff")
    assert dialog.dpi_spin.isEnabled()
    assert dialog.units_combo.model().item(0).isEnabled()


def test_an_invalid_size_is_explained_and_blocks_save_and_copy(make_dialog) -> None:
    dialog = make_dialog()
    set_units(dialog, "in")
    dialog.width_spin.setValue(300)
    assert "width must be between" in dialog.size_label.text()
    assert "c62828" in dialog.size_label.styleSheet()
    assert not dialog.save_button.isEnabled() and not dialog.copy_button.isEnabled()
    with pytest.raises(ExportSpecError):
        dialog.spec()
    dialog.width_spin.setValue(10)
    assert dialog.save_button.isEnabled() and dialog.copy_button.isEnabled()
    assert dialog.size_label.styleSheet() == ""


def test_preview_renders_the_same_inches_at_a_fitting_dpi(qtbot, make_dialog, renderer) -> None:
    dialog = make_dialog()
    with qtbot.waitSignal(dialog.sig_preview_shown):
        pass
    assert renderer.specs == [ExportSpec("png", 10, 7.5, 42)]  # 420/10 = 42 < 320/7.5
    assert dialog.preview_label.pixmap().size().toTuple() == (420, 315)
    dialog.dpi_spin.setValue(20)  # px mode: 2000 px at 20 DPI = 100 in, still fits when small
    with qtbot.waitSignal(dialog.sig_preview_shown):
        pass
    assert renderer.specs[-1] == ExportSpec("png", 100, 75, 10)  # never below MIN_DPI
    assert dialog.preview_label.pixmap().width() <= 420


def test_only_one_preview_is_in_flight_and_the_latest_wins(qtbot, make_dialog, renderer) -> None:
    renderer.hold = True
    dialog = make_dialog()
    assert len(renderer.specs) == 1
    for width in (2400, 2600, 2800):
        dialog.width_spin.setValue(width)
        dialog.preview_label.render_now()  # as the debounce timer would
    assert len(renderer.specs) == 1
    renderer.hold = False
    renderer.release()
    # 14 x 7.5 in fits 420 x 320 at 30 DPI: 420 x 225 (the first preview was 420 x 315)
    qtbot.waitUntil(lambda: dialog.preview_label.pixmap().size().toTuple() == (420, 225))
    assert len(renderer.specs) == 2
    assert renderer.specs[-1] == ExportSpec("png", 14, 7.5, 30)


def test_a_failed_preview_says_why(qtbot, make_dialog, renderer) -> None:
    renderer.fail_with = "no plot to export"
    dialog = make_dialog()
    qtbot.waitUntil(lambda: "no plot to export" in dialog.preview_label.text())
    assert dialog.preview_label.pixmap().isNull()


def test_save_writes_the_rendered_bytes_and_closes(qtbot, make_dialog, renderer, tmp_path) -> None:
    dialog = make_dialog()
    with qtbot.waitSignal(dialog.sig_preview_shown):
        pass
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not dialog.save_button.isEnabled() and not dialog.copy_button.isEnabled()
    with qtbot.waitSignal(dialog.sig_saved) as saved:
        pass
    assert saved.args == [tmp_path / "plot.png"]
    assert renderer.specs[-1] == START
    assert (tmp_path / "plot.png").read_bytes() == renderer.outputs[-1]
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert [p.name for p in tmp_path.iterdir()] == ["plot.png"]  # no temp file left


def test_a_failed_render_warns_and_writes_nothing(qtbot, make_dialog, renderer, boxes, tmp_path) -> None:
    dialog = make_dialog()
    with qtbot.waitSignal(dialog.sig_preview_shown):
        pass
    renderer.fail_with = "object 'x' not found"
    with qtbot.assertNotEmitted(dialog.sig_saved):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: bool(boxes.warnings))
    assert "object 'x' not found" in boxes.warnings[0]
    assert list(tmp_path.iterdir()) == []
    assert dialog.isVisible() and dialog.save_button.isEnabled()


def test_a_renderer_that_refuses_at_once_is_reported(qtbot, make_dialog, renderer, boxes) -> None:
    renderer.raise_with = RuntimeError("this session has no blob inbox")
    dialog = make_dialog()
    assert "no blob inbox" in dialog.preview_label.text()
    dialog.save_button.click()
    dialog.copy_button.click()
    assert len(boxes.warnings) == 2 and "no blob inbox" in boxes.warnings[0]
    assert dialog.isVisible() and dialog.save_button.isEnabled() and dialog.status_label.text() == ""
    renderer.raise_with = None
    dialog.width_spin.setValue(2400)  # the next change tries again
    with qtbot.waitSignal(dialog.sig_preview_shown):
        pass


@pytest.mark.parametrize("where", ["missing/plot.png", "a_file/plot.png", "."])
def test_an_unwritable_destination_warns_before_rendering(make_dialog, renderer, boxes, tmp_path, where) -> None:
    (tmp_path / "a_file").write_text("not a folder")
    dialog = make_dialog()
    asked = len(renderer.specs)
    dialog.path_edit.setText(str(tmp_path / where))
    dialog.save_button.click()
    assert len(boxes.warnings) == 1
    assert len(renderer.specs) == asked
    assert dialog.isVisible() and dialog.save_button.isEnabled()


def test_a_failed_write_keeps_the_old_file(qtbot, make_dialog, boxes, tmp_path, monkeypatch) -> None:
    target = tmp_path / "plot.png"
    target.write_bytes(b"old plot")
    dialog = make_dialog()

    def refuse(*_args):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    dialog.save_button.click()
    assert len(boxes.questions) == 1  # "plot.png already exists … replace it?"
    qtbot.waitUntil(lambda: bool(boxes.warnings))
    assert "Permission denied" in boxes.warnings[0]
    assert target.read_bytes() == b"old plot"
    assert [p.name for p in tmp_path.iterdir()] == ["plot.png"]
    assert dialog.isVisible() and dialog.save_button.isEnabled()


def test_declining_to_replace_renders_nothing(make_dialog, renderer, boxes, tmp_path) -> None:
    (tmp_path / "plot.png").write_bytes(b"old plot")
    dialog = make_dialog()
    asked = len(renderer.specs)
    boxes.answer = QMessageBox.StandardButton.No
    dialog.save_button.click()
    assert len(renderer.specs) == asked
    assert (tmp_path / "plot.png").read_bytes() == b"old plot"


def test_cancel_while_saving_abandons_the_render(qtbot, make_dialog, renderer, tmp_path) -> None:
    dialog = make_dialog()
    renderer.hold = True
    with qtbot.assertNotEmitted(dialog.sig_saved):
        dialog.save_button.click()
        dialog.cancel_button.click()
        save_request = renderer.held[-1][0]
        with qtbot.waitSignal(save_request.sig_finished):
            renderer.release()
    assert not dialog.isVisible() and dialog.result() == QDialog.DialogCode.Rejected
    assert not (tmp_path / "plot.png").exists()


def test_format_and_extension_follow_each_other(qtbot, make_dialog, tmp_path) -> None:
    dialog = make_dialog()
    assert dialog.path() == tmp_path / "plot.png"
    set_format(dialog, "svg")
    assert dialog.path() == tmp_path / "plot.svg"
    set_format(dialog, "jpeg")
    assert dialog.path() == tmp_path / "plot.jpg"
    dialog.path_edit.clear()
    qtbot.keyClicks(dialog.path_edit, "figure 1.pdf")
    assert dialog.format_combo.currentData() == "pdf"
    assert dialog.path() == tmp_path / "figure 1.pdf"  # relative to the working folder
    qtbot.keyClicks(dialog.path_edit, "x")  # "figure 1.pdfx": unknown, the format stays
    assert dialog.format_combo.currentData() == "pdf"


def test_browse_starts_in_the_folder_and_picks_the_format(make_dialog, tmp_path, monkeypatch) -> None:
    calls = []

    def choose(_parent, _title, start, filters, selected):
        calls.append((start, selected))
        return str(tmp_path / "chosen"), FILE_FILTERS["tiff"]

    monkeypatch.setattr(QFileDialog, "getSaveFileName", choose)
    dialog = make_dialog()
    dialog.browse_button.click()
    assert calls == [(str(tmp_path / "plot.png"), FILE_FILTERS["png"])]
    assert dialog.path() == tmp_path / "chosen.tiff"
    assert dialog.format_combo.currentData() == "tiff"


def test_copy_puts_the_image_on_the_clipboard(qtbot, make_dialog, renderer) -> None:
    dialog = make_dialog()
    with qtbot.waitSignal(dialog.sig_copied):
        dialog.copy_button.click()
    assert renderer.specs[-1] == START
    mime = QGuiApplication.clipboard().mimeData()
    assert mime.hasImage()
    assert QImage(mime.imageData()).size().toTuple() == (2000, 1500)
    assert not mime.hasFormat("image/svg+xml")
    assert dialog.isVisible()  # copying doesn't close the dialog: Save may follow
    assert dialog.status_label.text() == "Copied to clipboard."


def test_copy_as_svg_adds_the_svg_data(qtbot, make_dialog, renderer) -> None:
    dialog = make_dialog()
    set_format(dialog, "svg")
    with qtbot.waitSignal(dialog.sig_copied):
        dialog.copy_button.click()
    png_spec, svg_spec = renderer.specs[-2:]
    assert png_spec == ExportSpec("png", 10, 7.5, 200) and svg_spec == ExportSpec("svg", 10, 7.5, 200)
    mime = QGuiApplication.clipboard().mimeData()
    assert mime.hasImage()
    assert bytes(mime.data("image/svg+xml").data()) == renderer.outputs[-1]


def test_settings_remember_the_last_export(qtbot, make_dialog, tmp_path) -> None:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)

    def set_up(dialog: ExportDialog) -> None:
        set_format(dialog, "jpeg")
        set_units(dialog, "cm")
        dialog.dpi_spin.setValue(300)
        dialog.width_spin.setValue(17)
        dialog.height_spin.setValue(12)

    cancelled = make_dialog(settings=settings)
    set_up(cancelled)
    cancelled.reject()
    assert settings.value("plots/export/format") is None  # Cancel remembers nothing
    dialog = make_dialog(settings=settings)
    set_up(dialog)
    with qtbot.waitSignal(dialog.sig_copied):
        dialog.copy_button.click()
    settings.sync()
    assert settings.value("plots/export/format") == "jpeg"
    again = make_dialog(ExportSpec("pdf", 4, 4, 72), QSettings(settings.fileName(), QSettings.Format.IniFormat))
    assert again.format_combo.currentData() == "jpeg"
    assert again.units_combo.currentData() == "cm"
    assert shown_size(again) == pytest.approx((17, 12))
    assert again.spec().dpi == 300
