"""UI test fixtures: offscreen Qt, a window factory that fails the test when a QThread, QTimer or the
runner thread outlives its window, and engines wrapped in a spy that counts engine calls."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from app.ui.refcount_guard import make_singletons_immortal  # noqa: E402

make_singletons_immortal()  # PySide6 6.12 + Python 3.11 drops references to None/True per call

import threading  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from app.errors import EngineError  # noqa: E402
from app.inference.registry import create_engine  # noqa: E402


class SpyEngine:
    """Wraps a real engine and counts prepare/render/interpolate calls; can fail or stall on demand."""

    def __init__(self, inner, log: dict) -> None:
        self.inner, self.log = inner, log
        self.name, self.display_name = inner.name, inner.display_name
        self.capabilities = inner.capabilities

    def availability(self):
        return self.inner.availability()

    def settings(self):
        return self.inner.settings()

    def _gate(self, spec, cancel, what: str) -> None:
        self.log["calls"].append(what)
        if spec.seed in self.log["fail_seeds"]:
            raise EngineError(f"Simulated engine failure for seed {spec.seed}.", "Use another seed.")
        if spec.seed in self.log["slow_seeds"]:
            self.log["slow_started"].set()
            while not cancel.cancelled:
                threading.Event().wait(0.01)
            cancel.raise_if_cancelled()

    def prepare(self, artwork, spec, cancel, progress):
        self._gate(spec, cancel, "prepare")
        return self.inner.prepare(artwork, spec, cancel, progress)

    def render(self, session, steps, cancel, progress):
        self._gate(session.spec, cancel, "render")
        self.log["rendered"].extend(int(s) for s in steps)
        return self.inner.render(session, steps, cancel, progress)

    def interpolate(self, session, a, b, n, cancel, progress):
        self._gate(session.spec, cancel, "interpolate")
        return self.inner.interpolate(session, a, b, n, cancel, progress)


class RecipeSpyEngine(SpyEngine):
    """A SpyEngine over a deterministic engine that keeps its recipe/restore (projects store recipes)."""

    def recipe(self, session):
        self.log["calls"].append("recipe")
        return self.inner.recipe(session)

    def restore(self, artwork, spec, recipe, cancel, progress):
        self.log["calls"].append("restore")
        return self.inner.restore(artwork, spec, recipe, cancel, progress)


def spy(engine, log: dict):
    """Deterministic engines keep their recipes only when a test asks (`engine_log["recipes"] = True`):
    the other tests exercise frames stored as images, which is what neural engines do."""
    from app.inference.recipe import supports_recipe

    if log["recipes"] and supports_recipe(engine):
        return RecipeSpyEngine(engine, log)
    return SpyEngine(engine, log)


@pytest.fixture(scope="session", autouse=True)
def qt_asyncio_loop(qapp):
    """The UI's flows are qasync coroutines (`@qasync.asyncSlot`): an asyncio loop bound to Qt runs their
    tasks while Qt processes events (qtbot.waitUntil, qtbot.wait). `already_running=True` is qasync's mode
    for a QApplication that something else drives (here pytest-qt): asyncio sees a running loop, so
    `asyncio.current_task()` and `asyncio.sleep` work as they do under `launch.main`."""
    import asyncio

    import qasync

    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    yield loop
    loop.stop()
    asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(None)
    loop.close()


@pytest.fixture
def engine_log():
    return {
        "calls": [],
        "rendered": [],  # the steps `render` was asked for
        "fail_seeds": set(),
        "slow_seeds": set(),
        "slow_started": threading.Event(),
        "recipes": False,
    }


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    """QSettings (recent projects, language) go to a temporary folder, never the user's."""
    from PySide6.QtCore import QSettings, QStandardPaths

    QStandardPaths.setTestModeEnabled(True)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()


@pytest.fixture
def small_artwork(tmp_path) -> Path:
    """A 192x160 drawing: a sky, a ground, a sun and a house (enough structure for the procedural engine)."""
    h, w = 160, 192
    px = np.zeros((h, w, 3), np.uint8)
    px[:] = (170, 210, 245)
    px[110:] = (90, 160, 80)
    yy, xx = np.mgrid[:h, :w]
    px[(yy - 35) ** 2 + (xx - 150) ** 2 < 18**2] = (250, 200, 60)
    px[70:115, 40:100] = (200, 90, 70)
    px[85:115, 60:75] = (80, 50, 40)
    px[68:71, 38:102] = (20, 20, 20)
    path = tmp_path / "house.png"
    Image.fromarray(px).save(path)
    return path


@pytest.fixture
def make_window(qtbot, engine_log):
    """Factory: `make_window()` -> a shown MainWindow using spy engines. Teardown closes every window and
    fails when a timer is still active or the worker thread is still alive."""
    from PySide6.QtCore import QThread, QTimer

    from app.ui.main_window import MainWindow

    windows = []

    def factory(**kwargs):
        w = MainWindow(
            engine_factory=lambda name: spy(create_engine(name), engine_log),
            probe_system=False,
            **kwargs,
        )
        w.controller.modal_errors = False
        w.controller.compare_export.open_folder_after_export = False
        w.controller.files.confirm_close = lambda: "discard"
        qtbot.addWidget(w)
        w.show()
        windows.append(w)
        return w

    yield factory
    for w in windows:
        w.close()
        timers = [t for t in w.findChildren(QTimer) if t.isActive()]
        assert not timers, f"QTimers outlived the window: {[t.objectName() or t for t in timers]}"
        assert not w.worker.runner.alive, "the engine worker thread outlived its window"
        threads = [t for t in w.findChildren(QThread) if t.isRunning()]
        assert not threads, "a QThread outlived its window"
    leftover = [t for t in threading.enumerate() if t.name == "undo-studio-runner" and t.is_alive()]
    assert not leftover, "runner threads still alive after the test"


@pytest.fixture
def chinese(qapp):
    """The Chinese UI for one test, and English again afterwards (the language the other tests expect)."""
    from app.ui.i18n import install_translator, remove_qt_translators

    translator = install_translator("zh_CN")
    yield
    remove_qt_translators()
    if translator is not None:
        qapp.removeTranslator(translator)
    install_translator("en")


@pytest.fixture
def themed(qapp):
    """The app's theme (style, palette and style sheet: they set fonts and paddings, so they set sizes)
    for one test, and the plain look again afterwards."""
    from app.ui.theme import apply_theme

    sheet, palette, style = qapp.styleSheet(), qapp.palette(), qapp.style().name()
    apply_theme(qapp)
    yield
    qapp.setStyle(style)
    qapp.setStyleSheet(sheet)
    qapp.setPalette(palette)
