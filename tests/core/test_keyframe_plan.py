from app.core.branch import BranchSpec
from app.core.frames import Keyframe, Segment
from app.core.keyframe_plan import KeyframePlan
from app.core.segments import DEFAULT_KEYFRAME_STEPS, segments

KEY = ("prompt", "steps", "cfg")
SEG = ("video_seed", "video_steps", "video_cfg")


def plan(spec: BranchSpec, users=None) -> KeyframePlan:
    return KeyframePlan("art", spec, DEFAULT_KEYFRAME_STEPS, KEY, SEG, users or {})


def keys(p: KeyframePlan) -> tuple[dict, dict]:
    kf = {s: p.key(Keyframe(s)) for s in p.anchors()}
    sg = {(a, b): p.key(Segment(a, b, 3)) for a, b in segments(DEFAULT_KEYFRAME_STEPS)}
    return kf, sg


def test_segment_setting_change_keeps_every_keyframe() -> None:
    base = BranchSpec.make("paints-undo", 1, {"prompt": "cat", "video_seed": 5})
    k1, s1 = keys(plan(base))
    k2, s2 = keys(plan(base.with_changes(video_seed=6)))
    assert k1 == k2
    assert all(s1[x] != s2[x] for x in s1)


def test_keyframe_setting_change_redoes_keyframes_and_segments_but_not_input() -> None:
    base = BranchSpec.make("paints-undo", 1, {"prompt": "cat"})
    k1, s1 = keys(plan(base))
    k2, s2 = keys(plan(base.with_changes(prompt="dog")))
    assert k1[0] == k2[0]  # the input artwork is not generated
    assert all(k1[s] != k2[s] for s in DEFAULT_KEYFRAME_STEPS)
    assert all(s1[x] != s2[x] for x in s1)


def test_user_keyframe_invalidates_exactly_the_two_touching_segments() -> None:
    p = plan(BranchSpec.make("paints-undo", 1, {"prompt": "cat"}))
    q = p.with_user_keyframe(800, "sketchhash")
    k1, s1 = keys(p)
    k2, s2 = keys(q)
    assert [s for s in k1 if k1[s] != k2[s]] == [800]
    assert sorted(x for x in s1 if s1[x] != s2[x]) == [(600, 800), (800, 900)] == q.segments_touching(800)
    assert keys(q.with_user_keyframe(800, None)) == (k1, s1)


def test_unrelated_settings_do_not_matter_and_seed_does() -> None:
    base = BranchSpec.make("paints-undo", 1, {"prompt": "cat"})
    assert keys(plan(base)) == keys(plan(base.with_changes(ui_colour="red")))
    assert keys(plan(base))[0][400] != keys(plan(base.with_changes(seed=2)))[0][400]
