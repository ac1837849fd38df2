"""The launcher-style start page (layout only): open, drop, samples, recent projects, engines, device,
models folder. Engine readiness and device facts arrive later through `set_engines` / `set_device`,
because finding them out may import heavy libraries; that happens on the worker, never here."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.i18n import tr_engine
from app.ui.icons import icon

THUMB = 132


def _card(title: str) -> tuple[QFrame, QVBoxLayout]:
    frame = QFrame()
    frame.setObjectName("card")
    lay = QVBoxLayout(frame)
    lay.setContentsMargins(16, 14, 16, 14)
    lay.setSpacing(8)
    label = QLabel(title.upper())
    label.setObjectName("cardTitle")
    lay.addWidget(label)
    return frame, lay


def _reason_label(html: str) -> QLabel:
    """Why an engine is not ready, on the page itself (not in a tooltip): the user copies the folder
    names and the command from it, and its links open the models folder or the weights' web page."""
    hint = QLabel(html)
    hint.setObjectName("engineReason")
    hint.setTextFormat(Qt.TextFormat.RichText)
    hint.setWordWrap(True)  # long paths wrap, so the page still fits a small screen
    hint.setTextInteractionFlags(
        Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.LinksAccessibleByMouse
    )
    hint.setOpenExternalLinks(True)  # QDesktopServices.openUrl: the file manager, or the browser
    return hint


class StartPage(QWidget):
    open_artwork = Signal(Path)
    open_project = Signal(Path)
    browse_artwork = Signal()
    browse_project = Signal()
    open_models_folder = Signal()
    resume = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("startPage")
        # The page scrolls rather than forcing its size on the window: at 2x scale a 1600x1000 screen
        # is 800x500 logical pixels, less than the columns need side by side.
        content = QWidget()
        content.setObjectName("startContent")
        page = QScrollArea()
        page.setObjectName("startScroll")
        page.setWidgetResizable(True)
        page.setFrameShape(QFrame.Shape.NoFrame)
        page.setWidget(content)
        page_layout = QVBoxLayout(self)
        page_layout.setContentsMargins(0, 0, 0, 0)
        page_layout.addWidget(page)
        outer = QHBoxLayout(content)
        outer.setContentsMargins(48, 36, 48, 36)
        outer.setSpacing(24)

        # left column: title, actions, samples
        left = QVBoxLayout()
        left.setSpacing(14)
        head = QHBoxLayout()
        logo = QLabel()
        logo.setPixmap(icon("app").pixmap(QSize(56, 56)))
        titles = QVBoxLayout()
        title = QLabel(self.tr("Undo Studio"))
        title.setObjectName("startTitle")
        subtitle = QLabel(self.tr("See how a finished artwork could have been painted, step by step."))
        subtitle.setObjectName("startSubtitle")
        subtitle.setWordWrap(True)
        titles.addWidget(title)
        titles.addWidget(subtitle)
        head.addWidget(logo)
        head.addSpacing(8)
        head.addLayout(titles, 1)
        left.addLayout(head)

        actions = QHBoxLayout()
        self.open_button = QPushButton(icon("open"), self.tr("Open artwork…"))
        self.open_button.setObjectName("primary")
        self.open_project_button = QPushButton(icon("folder"), self.tr("Open project…"))
        self.open_button.clicked.connect(self.browse_artwork)
        self.open_project_button.clicked.connect(self.browse_project)
        self.resume_button = QPushButton(icon("viewer"), self.tr("Back to the open artwork"))
        self.resume_button.clicked.connect(self.resume)
        self.resume_button.setVisible(False)
        actions.addWidget(self.open_button)
        actions.addWidget(self.open_project_button)
        actions.addWidget(self.resume_button)
        actions.addStretch(1)
        left.addLayout(actions)

        drop = QLabel(self.tr("Drop a PNG, JPEG, WebP, TIFF, PSD or ORA file anywhere on this window"))
        drop.setObjectName("dropZone")
        drop.setAlignment(Qt.AlignmentFlag.AlignCenter)
        drop.setMinimumHeight(64)
        drop.setWordWrap(True)
        left.addWidget(drop)

        samples, self.samples_layout = _card(self.tr("Sample artworks"))
        self.samples_grid = QGridLayout()
        self.samples_grid.setSpacing(10)
        self.samples_grid.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.samples_layout.addLayout(self.samples_grid)
        self.samples_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(samples)
        left.addWidget(scroll, 1)
        outer.addLayout(left, 3)

        # right column: recent projects, engines, device, models
        right = QVBoxLayout()
        right.setSpacing(14)
        recent, rl = _card(self.tr("Recent projects"))
        self.recent_list = QListWidget()
        self.recent_list.itemActivated.connect(
            lambda it: self.open_project.emit(Path(it.data(Qt.ItemDataRole.UserRole)))
        )
        self.recent_empty = QLabel(self.tr("No recent projects yet."))
        self.recent_empty.setObjectName("simLabel")
        rl.addWidget(self.recent_list)
        rl.addWidget(self.recent_empty)
        rl.addStretch(1)
        right.addWidget(recent, 2)

        engines, el = _card(self.tr("Engines"))
        self.engines_box = QVBoxLayout()
        el.addLayout(self.engines_box)
        right.addWidget(engines)

        system, sl = _card(self.tr("Compute"))
        self.device_label = QLabel(self.tr("Device: checking…"))
        self.device_label.setWordWrap(True)
        self.models_label = QLabel()
        self.models_label.setWordWrap(True)
        self.models_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        models_button = QPushButton(icon("folder"), self.tr("Show models folder"))
        models_button.clicked.connect(self.open_models_folder)
        sl.addWidget(self.device_label)
        sl.addWidget(self.models_label)
        sl.addWidget(models_button, 0, Qt.AlignmentFlag.AlignLeft)
        right.addWidget(system)
        right.addStretch(1)
        outer.addLayout(right, 2)

    def set_samples(self, paths: list[Path]) -> None:
        while self.samples_grid.count():
            item = self.samples_grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        for i, path in enumerate(paths):
            b = QToolButton()
            b.setObjectName("sampleButton")
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            pix = QPixmap(str(path))
            if not pix.isNull():
                b.setIcon(
                    pix.scaled(
                        THUMB,
                        THUMB,
                        Qt.AspectRatioMode.KeepAspectRatio,
                        Qt.TransformationMode.SmoothTransformation,
                    )
                )
            b.setIconSize(QSize(THUMB, THUMB))
            b.setText(tr_engine(path.stem.replace("_", " ").replace("-", " ")))
            b.setToolTip(str(path))
            b.setProperty("samplePath", str(path))
            b.clicked.connect(lambda _=False, p=path: self.open_artwork.emit(p))
            self.samples_grid.addWidget(
                b, i // 4, i % 4, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
            )
        if not paths:
            self.samples_grid.addWidget(QLabel(self.tr("No sample artworks found.")), 0, 0)

    def set_recent(self, paths: list[Path]) -> None:
        self.recent_list.clear()
        for p in paths:
            item = QListWidgetItem(icon("branch"), p.stem)
            item.setToolTip(str(p))
            item.setData(Qt.ItemDataRole.UserRole, str(p))
            self.recent_list.addItem(item)
        self.recent_list.setVisible(bool(paths))
        self.recent_empty.setVisible(not paths)

    def set_engines(self, rows: list[tuple[str, bool, str]]) -> None:
        """rows: (display name, ready, reason when not ready). The reason is rich text in the UI language
        (StartController words it and escapes plain text); it shows under the engine's row."""
        while self.engines_box.count():
            item = self.engines_box.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        for name, ready, reason in rows:
            mark = "●"
            colour = "#4fc28b" if ready else "#e0a050"
            state = self.tr("ready") if ready else self.tr("not ready")
            label = QLabel(f"<span style='color:{colour}'>{mark}</span> <b>{tr_engine(name)}</b> — {state}")
            label.setWordWrap(True)
            self.engines_box.addWidget(label)
            if reason and not ready:
                self.engines_box.addWidget(_reason_label(reason))

    def set_device(self, text: str) -> None:
        self.device_label.setText(text)

    def set_models_dir(self, path: Path) -> None:
        self.models_label.setText(self.tr("Models folder: %1").replace("%1", str(path)))
