"""Issue 14 part 4: on a CPU a Paints-UNDO branch defaults to the hybrid (fewer sampler steps, a smaller
working size, painted in-betweens), on a GPU to the reference values; both are shown as the settings'
defaults and a value the user sets wins. Tiny random-weight single-frame models; the "GPU" is a fake
DeviceInfo (the tiny models still run on the CPU: only the device's kind decides the defaults)."""

from __future__ import annotations

import pytest
from test_single_frame_tiny import artwork, make_components

from app.core.artwork import Artwork
from app.core.branch import BranchSpec
from app.core.cancel import CancelToken, no_progress
from app.core.frames import Keyframe, Segment
from app.inference.devices import GB, DeviceInfo
from app.inference.paints_undo.device_defaults import CPU, REFERENCE, keyed_settings
from app.inference.paints_undo.engine import PaintsUndoEngine, PaintsUndoSession

FAKE_GPU = DeviceInfo("cuda", "Fake GPU", 24 * GB, 20 * GB, True, True)
ART = Artwork.from_array(artwork(48, 64, seed=3))  # (h, w): landscape, long side 64


@pytest.fixture(scope="module")
def components(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return make_components(tmp_path_factory.mktemp("sf"))


def _engine(components: dict, gpu: bool) -> PaintsUndoEngine:
    c = components
    engine = PaintsUndoEngine.from_components(c["unet"], c["vae"], c["text_encoder"], c["tokenizer"])
    if gpu:
        engine._device_info = FAKE_GPU
    return engine


def _prepare(engine: PaintsUndoEngine, **settings: object) -> PaintsUndoSession:
    spec = BranchSpec.make("paints-undo", 7, {"prompt": "a girl"} | settings)
    return engine.prepare(ART, spec, CancelToken(), no_progress)


def test_the_settings_show_the_device_defaults(components: dict) -> None:
    cpu = {s.name: s for s in _engine(components, gpu=False).settings()}
    gpu = {s.name: s for s in _engine(components, gpu=True).settings()}
    assert (cpu["steps"].default, cpu["size"].default) == (12, "384")
    assert (gpu["steps"].default, gpu["size"].default) == (50, "640")
    assert cpu["steps"].default < gpu["steps"].default and int(cpu["size"].default) < int(gpu["size"].default)
    assert cpu["size"].default in cpu["size"].choices and gpu["size"].default in gpu["size"].choices
    assert "12" in cpu["steps"].help and "384" in cpu["size"].help  # the form's tool tip says why


def test_a_cpu_branch_renders_with_the_cpu_defaults(components: dict) -> None:
    sess = _prepare(_engine(components, gpu=False))
    assert sess.steps == CPU["steps"] == 12 and max(sess.working_size) == 384
    assert sess.in_between == "painted"


def test_a_gpu_branch_renders_with_the_reference_values(components: dict) -> None:
    sess = _prepare(_engine(components, gpu=True))
    assert sess.steps == REFERENCE["steps"] == 50 and max(sess.working_size) == 640
    assert sess.in_between == "model"


@pytest.mark.parametrize("gpu", [False, True])
def test_an_explicit_user_value_wins_on_every_device(components: dict, gpu: bool) -> None:
    sess = _prepare(_engine(components, gpu), steps=3, size="512", in_between="painted")
    assert sess.steps == 3 and max(sess.working_size) == 512 and sess.in_between == "painted"


def test_frames_rendered_with_device_defaults_are_keyed_apart(components: dict) -> None:
    """A project rendered with the CPU defaults and reopened on a GPU must not show the CPU's frames as
    the GPU's: left to the device, the keys differ; with every value explicit they agree."""
    cpu, gpu = _engine(components, gpu=False), _engine(components, gpu=True)
    parts = [Keyframe(400), Segment(400, 600, 5)]
    left = BranchSpec.make("paints-undo", 7, {"prompt": "a girl"})
    cpu_keys = [cpu.plan_for("art", left).key(p) for p in parts]
    gpu_keys = [gpu.plan_for("art", left).key(p) for p in parts]
    assert all(a != b for a, b in zip(cpu_keys, gpu_keys, strict=True))
    explicit = left.with_changes(steps=12, size="384", in_between="painted")
    assert [cpu.plan_for("art", explicit).key(p) for p in parts] == [
        gpu.plan_for("art", explicit).key(p) for p in parts
    ]
    # the session's plan and the spec's plan agree (a reopened project finds the frames)
    sess = _prepare(cpu)
    assert cpu.keyframe_plan(sess).key(parts[0]) == cpu.plan_for(ART.content_hash, sess.spec).key(parts[0])


def test_keyed_settings_leave_the_reference_device_unchanged() -> None:
    """On a GPU a spec keys as before (projects made before the CPU defaults keep their frames)."""
    assert keyed_settings({"prompt": "x"}, "cuda") == {"prompt": "x"}
    assert keyed_settings({"in_between": "auto"}, "mps") == {"in_between": "auto"}
    assert keyed_settings({"in_between": "auto"}, "cpu") == {
        "in_between": "painted",
        "steps": 12,
        "size": "384",
    }
    assert keyed_settings({"steps": 50, "size": "640"}, "cpu")["steps"] == 50  # explicit stays


def test_the_settings_form_shows_the_cpu_defaults_and_keeps_a_change(components: dict, qtbot) -> None:
    from PySide6.QtWidgets import QComboBox, QSpinBox

    from app.ui.branches.settings_form import SettingsForm

    form = SettingsForm()
    qtbot.addWidget(form)
    form.set_specs(_engine(components, gpu=False).settings())
    steps = form._editors["steps"][1]
    size = form._editors["size"][1]
    assert isinstance(steps, QSpinBox) and isinstance(size, QComboBox)
    assert steps.value() == 12 and size.currentData() == "384"
    assert "steps" not in form.values()  # the default: left to the device
    steps.setValue(30)
    size.setCurrentIndex(size.findData("640"))
    assert form.values()["steps"] == 30 and form.values()["size"] == "640"
