"""The window's flows that wait on the worker (qasync coroutines): open (read on the worker → leave the
current document → show) and export (start → progress → done or cancelled)."""

from __future__ import annotations

import shutil
import threading

from ui_helpers import finish, open_artwork, open_small

from app.inference.runner import CallJob


def _hold(w) -> threading.Event:
    """Keep the worker busy until the returned event is set: an open's read then waits in the queue."""
    gate = threading.Event()
    w.worker.submit(CallJob(lambda cancel, progress: gate.wait(10), "hold"), -1000, "hold")
    return gate


def _copy(src, tmp_path, name):
    return shutil.copy(src, tmp_path / name)


def test_an_image_is_decoded_on_the_worker_and_a_damaged_one_keeps_the_open_document(
    qtbot, make_window, small_artwork, tmp_path, monkeypatch
):
    from app.ui import open_save

    threads: list[int] = []
    load = open_save.load_artwork

    def spy(path, **kwargs):
        threads.append(threading.get_ident())
        return load(path, **kwargs)

    monkeypatch.setattr(open_save, "load_artwork", spy)
    w = make_window()
    open_small(qtbot, w, small_artwork, step=700)
    artwork, branches = w.document.artwork, w.document.branches
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not an image at all")
    assert not open_artwork(qtbot, w, bad)
    assert len(threads) == 2 and threading.get_ident() not in threads, "decoded on the UI thread"
    assert "broken.png" in w.status.error_label.text()
    assert w.document.artwork is artwork and w.document.branches == branches
    assert w.playback.step == 700 and w.pages.currentWidget() is w.viewer_page


def test_the_status_bar_says_what_is_opening_and_its_cancel_stops_the_open(
    qtbot, make_window, small_artwork, tmp_path
):
    from PySide6.QtCore import Qt

    w = make_window()
    open_small(qtbot, w, small_artwork)
    artwork = w.document.artwork
    other = _copy(small_artwork, tmp_path, "other.png")
    gate = _hold(w)
    task = w.controller.files.open_artwork(other)
    qtbot.waitUntil(lambda: w.controller.files.loading)
    assert w.status.message.text() == "Opening other.png…"
    qtbot.waitUntil(w.status.cancel_button.isVisible)
    qtbot.mouseClick(w.status.cancel_button, Qt.MouseButton.LeftButton)
    gate.set()
    qtbot.waitUntil(task.done)
    assert task.cancelled() and not w.controller.files.loading
    assert w.document.artwork is artwork
    qtbot.waitUntil(lambda: w.worker.queue_length() == 0, timeout=30000)  # the read never ran
    assert w.document.artwork is artwork and w.status.message.text() != "Opening other.png…"


def test_the_status_bar_cancel_stops_a_load_that_is_already_decoding(
    qtbot, make_window, small_artwork, tmp_path, monkeypatch
):
    """A long load (a big layer stack) checks the open's cancel token between layers: the status bar's
    Cancel must reach it, not only an open still waiting in the queue."""
    from PySide6.QtCore import Qt

    from app.ui import open_save

    started, seen = threading.Event(), []
    load = open_save.load_artwork

    def slow_load(path, **kwargs):
        token = kwargs.get("cancel")
        seen.append(token)
        started.set()
        for _ in range(1000):  # a layer stack being flattened, checking its token between layers
            if token is not None and token.cancelled:
                break
            threading.Event().wait(0.01)
        return load(path, **kwargs)

    monkeypatch.setattr(open_save, "load_artwork", slow_load)
    w = make_window()
    task = w.controller.files.open_artwork(_copy(small_artwork, tmp_path, "slow.png"))
    qtbot.waitUntil(started.is_set)
    qtbot.waitUntil(w.status.cancel_button.isVisible)
    qtbot.mouseClick(w.status.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(task.done, timeout=5000)  # without the token the load would run its full 10 s
    assert seen[0] is not None and seen[0].cancelled, "the load never saw the Cancel"
    assert task.cancelled() or task.result() is False
    assert w.document.artwork is None or w.document.artwork.source.name != "slow.png"


def test_a_second_open_while_the_first_is_reading_replaces_it(qtbot, make_window, small_artwork, tmp_path):
    w = make_window()
    first, second = _copy(small_artwork, tmp_path, "first.png"), _copy(small_artwork, tmp_path, "second.png")
    shown: list[str] = []
    w.document.artwork_changed.connect(lambda: shown.append(w.document.artwork.source.name))
    gate = _hold(w)
    a = w.controller.files.open_artwork(first)
    qtbot.waitUntil(lambda: w.controller.files.loading)
    b = w.controller.files.open_artwork(second)
    qtbot.waitUntil(lambda: w.status.message.text() == "Opening second.png…")
    gate.set()
    assert finish(qtbot, b)
    assert a.cancelled(), "the first open was superseded"
    assert shown == ["second.png"] and w.windowTitle().startswith("second.png")


def test_an_open_request_while_another_open_asks_to_save_is_ignored(
    qtbot, make_window, small_artwork, tmp_path
):
    w = make_window()
    open_small(qtbot, w, small_artwork)  # unsaved: opening another file asks first
    files = w.controller.files
    second, third = _copy(small_artwork, tmp_path, "second.png"), _copy(small_artwork, tmp_path, "third.png")
    during: list = []

    def confirm() -> str:
        during.append(files.open_artwork(third))  # e.g. a drop while the question is up
        return "discard"

    files.confirm_close = confirm
    assert finish(qtbot, files.open_artwork(second))
    files.confirm_close = lambda: "discard"
    assert finish(qtbot, during[0]) is False
    assert w.document.artwork.source.name == "second.png"


def test_an_export_is_awaited_to_its_end(qtbot, make_window, small_artwork, tmp_path):
    w = make_window()
    open_small(qtbot, w, small_artwork)
    dialog = w.controller.compare_export.open_export()
    out = tmp_path / "frames"
    dialog.path.setText(str(out))
    dialog.start.setValue(999)
    dialog.end.setValue(980)
    dialog.length.setCurrentIndex(0)
    ctrl = w.controller.compare_export.export_controller
    progress: list[int] = []
    dialog.progress.valueChanged.connect(progress.append)
    result = finish(qtbot, ctrl.start(), 60000)
    assert result is not None and ctrl.result is result and not ctrl.running
    assert len(list(out.glob("frame_*.png"))) == 20 + 30  # 20 steps, then the last held 1 s at 30 fps
    assert progress[-1] == 1000 and dialog.status.text().startswith("Saved ")
    assert dialog.export_button.isEnabled()
    dialog.close()


def test_a_cancelled_export_ends_its_task_and_writes_nothing(qtbot, make_window, small_artwork, tmp_path):
    w = make_window()
    open_small(qtbot, w, small_artwork)
    dialog = w.controller.compare_export.open_export()
    out = tmp_path / "cancelled.mp4"
    dialog.path.setText(str(out))
    ctrl = w.controller.compare_export.export_controller
    gate = _hold(w)
    task = ctrl.start()
    qtbot.waitUntil(lambda: ctrl.running)
    assert finish(qtbot, ctrl.start()) is None  # a second start while one runs does nothing
    ctrl.cancel()
    assert dialog.isVisible() and ctrl.running  # "cancelled" only once the worker has stopped
    gate.set()
    assert finish(qtbot, task) is None
    assert ctrl.result is None and not out.exists()
    assert dialog.status.text() == "Export cancelled. Nothing was written."
    assert dialog.export_button.isEnabled()
    dialog.close()


def test_each_window_controller_speaks_chinese(qtbot, make_window, small_artwork, chinese):
    """Each controller is its own translation context: moving strings between classes must move them in
    the .ts too (Qt's compiled translator looks them up by context)."""
    w = make_window()
    ctrl = w.controller
    assert ctrl.shortcuts.language.toolTip() == "语言（重启后生效）"
    device = {"name": "GPU", "kind": "cuda", "total": 2 * 1024**3, "free": 1024**3}
    assert ctrl.start.device_text(device) == "GPU (cuda) · 共 2.0 GB，可用 1.0 GB"
    ctrl.compare_export.compare_branches([])
    assert "请先创建第二个分支" in w.status.message.text()  # a hint, not an error (issue 10, item 18)
    gate = _hold(w)
    task = ctrl.files.open_artwork(small_artwork)
    qtbot.waitUntil(lambda: ctrl.files.loading)
    assert w.status.message.text() == "正在打开 house.png…"
    gate.set()
    assert finish(qtbot, task)
