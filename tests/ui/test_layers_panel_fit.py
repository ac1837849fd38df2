"""The layers panel's class choosers fit their longest class name in both UI languages (issue 13 part 5:
"Base colou…" was cut), and the class column of the stack is as wide as its choosers."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QTreeWidgetItem

from app.inference.layers.classify import CLASSES
from app.ui.layers.panel import CLASS_COLUMN, LayersPanel


def _longest_fits(qtbot) -> None:
    panel = LayersPanel()
    qtbot.addWidget(panel)
    combo = panel.class_combo(CLASSES[0])
    texts = [combo.itemText(i) for i in range(combo.count())]
    assert len(texts) == len(CLASSES) and all(texts)
    metrics = combo.fontMetrics()
    longest = max(metrics.horizontalAdvance(t) for t in texts)
    assert combo.sizeHint().width() >= longest + 16  # the text, and the arrow beside it
    item = QTreeWidgetItem(["A layer with a long name", "", "999–870"])
    panel.tree.addTopLevelItem(item)
    panel.tree.setItemWidget(item, CLASS_COLUMN, combo)
    panel.resize(340, 400)
    panel.show()
    qtbot.waitExposed(panel)
    assert panel.tree.header().sectionSize(CLASS_COLUMN) >= combo.sizeHint().width()
    assert combo.width() >= combo.sizeHint().width()


def test_class_choosers_fit_the_longest_class_in_english(qtbot):
    _longest_fits(qtbot)


@pytest.mark.usefixtures("chinese")
def test_class_choosers_fit_the_longest_class_in_chinese(qtbot):
    panel = LayersPanel()
    qtbot.addWidget(panel)
    assert panel.class_label("base") == "底色"  # the translation is installed
    _longest_fits(qtbot)
