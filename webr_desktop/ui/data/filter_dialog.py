"""ColumnFilterDialog: a small popup that builds one per-column filter suited to the column's kind.

Numbers and dates get a range, text a "contains", factors a list of levels, logicals a
value; every kind can keep only NA or only non-NA rows. The column's range or levels come
from R (``request_column_info``) while the popup is already open.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem,
    QPushButton, QVBoxLayout, QWidget,
)

from webr_desktop.core.data_view import ColumnFilter
from webr_desktop.models.data_view_model import DataViewModel

# (label, filter type) per column kind; the first entry is the kind's own editor.
MODES: dict[str, list[tuple[str, str]]] = {
    "number": [("is between", "range"), ("is NA", "na"), ("is not NA", "notna")],
    "date": [("is between", "range"), ("is NA", "na"), ("is not NA", "notna")],
    "text": [("contains", "contains"), ("is NA", "na"), ("is not NA", "notna")],
    "factor": [("is one of", "levels"), ("contains", "contains"), ("is NA", "na"), ("is not NA", "notna")],
    "logical": [("is TRUE", "true"), ("is FALSE", "false"), ("is NA", "na"), ("is not NA", "notna")],
    "other": [("is NA", "na"), ("is not NA", "notna")],
}


class ColumnFilterDialog(QDialog):
    """Edits the filter of one column; on accept, ``result_filter()`` is what to apply."""

    def __init__(self, model: DataViewModel, col: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._col = col
        self._kind = model.kind(col)
        self.removed = False  # the user pressed "Remove filter"
        self.setWindowTitle(f"Filter {model.column_name(col)}")
        self.mode_combo = QComboBox(self)
        for label, kind in MODES.get(self._kind, MODES["other"]):
            self.mode_combo.addItem(label, kind)
        self.min_edit = QLineEdit(self)
        self.max_edit = QLineEdit(self)
        self.text_edit = QLineEdit(self)
        self.text_edit.setPlaceholderText("text (case-insensitive)")
        self.levels_list = QListWidget(self)
        self.levels_list.setMaximumHeight(180)
        self.info_label = QLabel("", self)
        self.info_label.setStyleSheet("color: #777;")
        self.error_label = QLabel("", self)
        self.error_label.setStyleSheet("color: #b00020;")
        self.error_label.hide()

        range_page = QWidget(self)
        form = QFormLayout(range_page)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("From", self.min_edit)
        form.addRow("To", self.max_edit)
        # One editor shows at a time (a QStackedWidget would take the tallest one's height).
        self._editors = {"range": range_page, "contains": self.text_edit, "levels": self.levels_list}

        self.buttons = buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.remove_button = QPushButton("Remove filter", self)
        self.remove_button.setEnabled(model.column_filter(col) is not None)
        buttons.addButton(self.remove_button, QDialogButtonBox.ButtonRole.ResetRole)
        buttons.accepted.connect(self._on_ok)
        buttons.rejected.connect(self.reject)
        self.remove_button.clicked.connect(self._on_remove)

        layout = QVBoxLayout(self)
        title = QLabel(f"<b>{_html(model.column_name(col))}</b> <span style='color:#777'>"
                       f"{_html(model.column_class(col))}</span>", self)
        layout.addWidget(title)
        layout.addWidget(self.mode_combo)
        for editor in self._editors.values():
            layout.addWidget(editor)
        layout.addWidget(self.info_label)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self.mode_combo.currentIndexChanged.connect(self._on_mode_changed)
        self._prefill(model.column_filter(col))
        self._on_mode_changed()
        model.sig_column_info_loaded.connect(self._on_info)
        model.request_column_info(col)

    # ------------------------------------------------------------------ result
    def result_filter(self) -> ColumnFilter | None:
        """The filter the form describes; raises ValueError with a message for the user."""
        mode = self.mode_combo.currentData()
        if mode == "range":
            lo, hi = self._bound(self.min_edit.text()), self._bound(self.max_edit.text())
            if lo is None and hi is None:
                return ColumnFilter(self._col, "notna")
            return ColumnFilter(self._col, "range", (lo, hi))
        if mode == "contains":
            text = self.text_edit.text()
            if not text:
                raise ValueError("Type some text to look for.")
            return ColumnFilter(self._col, "contains", text)
        if mode == "levels":
            levels = [self.levels_list.item(i).text() for i in range(self.levels_list.count())
                      if self.levels_list.item(i).checkState() == Qt.CheckState.Checked]
            if not levels:
                raise ValueError("Tick at least one level.")
            return ColumnFilter(self._col, "levels", levels)
        if mode in ("true", "false"):
            return ColumnFilter(self._col, "logical", mode == "true")
        return ColumnFilter(self._col, mode)

    def _bound(self, text: str) -> float | str | None:
        text = text.strip()
        if not text:
            return None
        if self._kind == "date":
            return text  # R reads it with as.Date()/as.POSIXct()
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"“{text}” is not a number.") from None

    # ------------------------------------------------------------------ internals
    def _prefill(self, current: ColumnFilter | None) -> None:
        if current is None:
            return
        mode = current.type
        if mode == "logical":
            mode = "true" if current.value else "false"
        index = self.mode_combo.findData(mode)
        if index >= 0:
            self.mode_combo.setCurrentIndex(index)
        if current.type == "range" and current.value is not None:
            lo, hi = current.value
            self.min_edit.setText("" if lo is None else _plain(lo))
            self.max_edit.setText("" if hi is None else _plain(hi))
        elif current.type == "contains":
            self.text_edit.setText(str(current.value or ""))

    def _on_mode_changed(self) -> None:
        mode = self.mode_combo.currentData()
        for kind, editor in self._editors.items():
            editor.setVisible(kind == mode)
        self.adjustSize()

    def _on_info(self, col: int, info: object) -> None:
        if col != self._col or not isinstance(info, dict):
            return
        lo, hi = info.get("min"), info.get("max")
        if lo is not None and hi is not None:
            self.min_edit.setPlaceholderText(str(lo))
            self.max_edit.setPlaceholderText(str(hi))
        n_na = info.get("n_na") or 0
        self.info_label.setText(f"{n_na:,} missing (NA)".replace(",", "\u2009") if n_na else "no missing values")
        levels = info.get("levels")
        if self._kind == "factor" and levels is not None:
            current = self._model.column_filter(self._col)
            chosen = set(current.value) if current is not None and current.type == "levels" else set()
            self.levels_list.clear()
            for level in levels if isinstance(levels, list) else [levels]:
                item = QListWidgetItem(str(level), self.levels_list)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked if str(level) in chosen else Qt.CheckState.Unchecked)

    def _on_ok(self) -> None:
        try:
            self.result_filter()
        except ValueError as exc:
            self.error_label.setText(str(exc))
            self.error_label.show()
            return
        self.accept()

    def _on_remove(self) -> None:
        self.removed = True
        self.accept()


def _plain(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
