"""MainWindow: composition only. It builds the views and controllers and wires them together; the
behaviour lives in the controllers (document, playback, viewer, branches, project, window actions)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QStackedWidget, QToolBar, QVBoxLayout, QWidget

from app.ui.branch_sessions import EngineFactory
from app.ui.branches.controller import BranchesController
from app.ui.branches.panel import BranchesPanel
from app.ui.canvas.view import CanvasView
from app.ui.compare.view import CompareView
from app.ui.document import Document
from app.ui.icons import icon
from app.ui.layers.controller import LayersController
from app.ui.layers.panel import LayersPanel
from app.ui.menus import Menus
from app.ui.preferences import Preferences, apply_models_dir
from app.ui.project_controller import ProjectController
from app.ui.refcount_guard import make_singletons_immortal
from app.ui.score.controller import ScoreController
from app.ui.score.panel import ScorePanel
from app.ui.screen_fit import fit_to_screen, outgrows_screen
from app.ui.start_page import StartPage
from app.ui.status_bar import StatusBar
from app.ui.timeline.controller import PlaybackController
from app.ui.timeline.view import TimelineView
from app.ui.viewer_controller import ViewerController
from app.ui.window_controller import WindowController
from app.ui.worker import EngineWorker


class MainWindow(QMainWindow):
    def __init__(self, engine_factory: EngineFactory | None = None, probe_system: bool = True) -> None:
        make_singletons_immortal()  # PySide6 6.12 + Python 3.11 refcount bug (see app/ui/refcount_guard.py)
        super().__init__()
        prefs = Preferences.load()
        apply_models_dir(prefs)  # before any engine is made
        self.setWindowIcon(icon("app"))
        self.resize(1440, 900)
        self.setAcceptDrops(True)

        # views
        self.start_page = StartPage()
        self.canvas = CanvasView()
        self.compare = CompareView()
        self.canvas_stack = QStackedWidget()
        self.canvas_stack.addWidget(self.canvas)
        self.canvas_stack.addWidget(self.compare)
        self.timeline = TimelineView()
        viewer = QWidget()
        vl = QVBoxLayout(viewer)
        vl.setContentsMargins(0, 0, 0, 0)
        vl.setSpacing(0)
        vl.addWidget(self.canvas_stack, 1)
        vl.addWidget(self.timeline)
        self.viewer_page = viewer
        self.pages = QStackedWidget()
        self.pages.addWidget(self.start_page)
        self.pages.addWidget(viewer)
        self.setCentralWidget(self.pages)
        self.branches_panel = BranchesPanel()
        self.branches_dock = QDockWidget(self.tr("Branches"), self)
        self.branches_dock.setObjectName("branchesDock")
        self.branches_dock.setWidget(self.branches_panel)
        self.branches_dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.branches_dock)
        self.score_panel = ScorePanel()
        self.score_dock = QDockWidget(self.tr("Compare with recording"), self)
        self.score_dock.setObjectName("scoreDock")
        self.score_dock.setWidget(self.score_panel)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.score_dock)
        self.score_dock.hide()  # shown from the View menu, or when a recording is added
        self.layers_panel = LayersPanel()
        self.layers_dock = QDockWidget(self.tr("Layers"), self)
        self.layers_dock.setObjectName("layersDock")
        self.layers_dock.setWidget(self.layers_panel)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.layers_dock)
        self.layers_dock.hide()  # shown while the artwork has layers (LayersController)
        self.status = StatusBar()
        self.setStatusBar(self.status)
        self.toolbar = QToolBar(self.tr("Main"))
        self.toolbar.setObjectName("mainToolbar")
        self.toolbar.setMovable(False)
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.addToolBar(self.toolbar)

        def action(
            name: str, text: str, shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None
        ) -> QAction:
            a = QAction(icon(name), text, self)
            if shortcut is not None:
                a.setShortcut(QKeySequence(shortcut))
            self.toolbar.addAction(a)
            return a

        self.home_action = action("home", self.tr("Start"))
        self.open_action = action("open", self.tr("Open…"), QKeySequence.StandardKey.Open)
        self.save_action = action("save", self.tr("Save"), QKeySequence.StandardKey.Save)
        self.export_action = action("export", self.tr("Export…"), "Ctrl+E")
        self.toolbar.addSeparator()
        self.compare_action = action("compare", self.tr("Compare"), "Ctrl+K")
        self.compare_action.setCheckable(True)
        self.fit_action = action("fit", self.tr("Fit"), "Ctrl+0")
        self.zoom_action = action("zoom-100", self.tr("100 %"), "Ctrl+1")
        self.save_as_action = QAction(self.tr("Save as…"), self)
        self.save_as_action.setShortcut(QKeySequence.StandardKey.SaveAs)
        self.addAction(self.save_as_action)

        # models and controllers
        self.worker = EngineWorker(self)
        self.document = Document(self.worker, engine_factory, self)
        self.document.set_cache_budget(prefs.cache_bytes)
        self.playback = PlaybackController(self.timeline, parent=self)
        self.viewer = ViewerController(self.document, self.playback, self.canvas, self.compare, self)
        self.branches = BranchesController(
            self.branches_panel, self.document, lambda: self.playback.step, self
        )
        self.projects = ProjectController(self.document, self.worker, self.view_state, self)
        self.controller = WindowController(self, probe_system=probe_system)
        self.scores = ScoreController(self, self.score_panel)
        self.layers = LayersController(self, self.layers_panel)
        self.menus = Menus(self)

    def view_state(self) -> dict[str, Any]:
        return {"step": self.playback.step, "compare": list(self.viewer.compare_ids)}

    # Qt event hooks forward to the controller (behaviour lives there)
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        self.controller.files.drag_enter(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        self.controller.files.drop(event)

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        # a layout grew the window past its screen: shrink back once its minimum has settled again
        if event.type() in (QEvent.Type.Resize, QEvent.Type.LayoutRequest) and outgrows_screen(self):
            QTimer.singleShot(0, self, lambda: fit_to_screen(self))
        return handled

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.controller.close_event(event)
