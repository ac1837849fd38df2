"""Builds an editor for an engine's settings from its `SettingSpec`s, so the UI knows no engine."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from app.inference.engine import SettingSpec
from app.ui.i18n import tr_engine


class SettingsForm(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self._editors: dict[str, tuple[SettingSpec, QWidget]] = {}

    def set_specs(self, specs: Sequence[SettingSpec]) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self._editors.clear()
        for spec in specs:
            if spec.kind == "panel":
                continue  # set from its own panel (the layers panel), not when a branch is created
            editor = self._editor(spec)
            editor.setToolTip(tr_engine(spec.help) if spec.help else "")
            self.form.addRow(tr_engine(spec.label), editor)
            self._editors[spec.name] = (spec, editor)

    @staticmethod
    def _editor(spec: SettingSpec) -> QWidget:
        if spec.kind == "int":
            w = QSpinBox()
            w.setRange(
                int(spec.minimum if spec.minimum is not None else -(2**31)),
                int(spec.maximum if spec.maximum is not None else 2**31 - 1),
            )
            w.setValue(int(spec.default))  # type: ignore[arg-type]
        elif spec.kind == "float":
            w = QDoubleSpinBox()
            w.setDecimals(3)
            w.setRange(
                spec.minimum if spec.minimum is not None else -1e9,
                spec.maximum if spec.maximum is not None else 1e9,
            )
            w.setSingleStep(0.05)
            w.setValue(float(spec.default))  # type: ignore[arg-type]
        elif spec.kind == "choice":
            w = QComboBox()
            for choice in spec.choices:  # shown translated, stored as the engine's own value
                w.addItem(tr_engine(choice), choice)
            w.setCurrentIndex(max(0, w.findData(str(spec.default))))
        elif spec.kind == "bool":
            w = QCheckBox()
            w.setChecked(bool(spec.default))
        elif spec.kind == "steps":
            w = QLineEdit(", ".join(str(s) for s in (spec.default or ())))  # type: ignore[union-attr]
        else:
            w = QLineEdit(str(spec.default))
        return w

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, (spec, w) in self._editors.items():
            if isinstance(w, QSpinBox):
                value: Any = w.value()
            elif isinstance(w, QDoubleSpinBox):
                value = w.value()
            elif isinstance(w, QComboBox):
                value = w.currentData() if w.currentData() is not None else w.currentText()
            elif isinstance(w, QCheckBox):
                value = w.isChecked()
            elif spec.kind == "steps":
                value = tuple(int(x) for x in w.text().replace(";", ",").split(",") if x.strip().isdigit())
            else:
                value = w.text()
            if value != spec.default:
                out[name] = value
        return out
