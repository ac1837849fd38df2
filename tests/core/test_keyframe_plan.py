from app.core.branch import BranchSpec
from app.core.frames import Keyframe, Segment
from app.core.keyframe_plan import KeyframePlan
from app.core.segments import DEFAULT_KEYFRAME_STEPS, SegmentLayout

KEY = ("prompt", "steps", "cfg")
SEG = ("video_seed", "video_steps", "video_cfg")


def plan(spec: BranchSpec, users=None) -> KeyframePlan:
    return KeyframePlan("art", spec, DEFAULT_KEYFRAME_STEPS, KEY, SEG, users or {})


def keys(p: KeyframePlan) -> tuple[dict, dict]:
    kf = {s: p.key(Keyframe(s)) for s in p.anchors()}
    sg = {(a, b): p.key(Segment(a, b, 3)) for a, b in SegmentLayout().segments()}
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


class _Sink:
    def __init__(self) -> None:
        self.submitted: list = []

    def submit(self, plan) -> int:
        self.submitted.append(plan)
        return len(self.submitted)

    def cancel(self, request_id: int) -> None:
        pass


def test_a_branch_with_another_video_seed_reuses_the_keyframes_in_the_store() -> None:
    import numpy as np

    from app.core.scheduler import BranchScheduler
    from app.core.tiered_store import TieredFrameStore

    store = TieredFrameStore()
    spec = BranchSpec.make("paints-undo", 1, {"prompt": "cat", "keyframe_steps": (500,)})

    def scheduler(s: BranchSpec, sink: _Sink) -> BranchScheduler:
        p = KeyframePlan("art", s, (500,), KEY, SEG)
        sched = BranchScheduler(
            "art",
            s.spec_hash(),
            store,
            sink,
            random_access=False,
            layout=SegmentLayout((500,), frames_per_segment=4),
            key_for=p.key,
        )
        sched.engine_ready = True
        return sched

    first_sink = _Sink()
    first = scheduler(spec, first_sink)
    first.show(700)
    keyframes = first_sink.submitted[0]
    assert keyframes.steps == (0, 500)  # the chain ends on the white canvas, not on a keyframe at 999
    first.accept(1, [np.zeros((2, 2, 3), np.uint8)] * 2)
    for rid in first.inflight():  # every segment
        first.accept(rid, [np.full((2, 2, 3), 9, np.uint8)] * 4)

    second_sink = _Sink()
    second = scheduler(spec.with_changes(video_seed=2), second_sink)
    second.show(700)
    assert all(p.steps == () or p.segment is not None for p in second_sink.submitted)
    assert not any(p.is_render for p in second_sink.submitted)  # keyframes found in the store
    assert {p.segment[:2] for p in second_sink.submitted} == {(0, 500), (500, 1000)}  # segments redone

    third_sink = _Sink()
    scheduler(spec, third_sink).show(700)
    assert third_sink.submitted == []  # same spec again: everything found


def test_a_reopened_project_finds_plan_keyed_frames(tmp_path) -> None:
    import numpy as np

    from app.core.artwork import Artwork
    from app.core.frames import Frame, FrameKind
    from app.core.project_store import ProjectStore

    art = Artwork.from_array(np.zeros((4, 4, 3), np.uint8))
    spec = BranchSpec.make("paints-undo", 1, {"prompt": "cat"})
    p = KeyframePlan(art.content_hash, spec, DEFAULT_KEYFRAME_STEPS, KEY, SEG)
    store = ProjectStore.create(tmp_path / "p.undoproj", art)
    px = np.zeros((4, 4, 3), np.uint8)
    store.put_frames(
        [
            (p.key(Keyframe(400)), Frame(px, 400, FrameKind.EXACT)),
            (p.key(Segment(400, 600, 5)), Frame(px, 467, FrameKind.INTERPOLATED)),
        ]
    )
    store.close()
    again = ProjectStore.open(tmp_path / "p.undoproj")
    found = again.frame_index(p.all_hashes())
    assert {k.part for k, _, _ in found} == {Keyframe(400), Segment(400, 600, 5)}
    assert again.frame_index(spec.spec_hash()) == []  # not under the spec hash
    assert again.frame_index([]) == []
    again.close()


def test_frame_keys_are_pinned_so_saved_projects_keep_finding_their_frames() -> None:
    """Project files store frames under these hashes: a change here orphans every saved frame."""
    spec = BranchSpec.make("paints-undo", 1, {"prompt": "cat"})
    p = KeyframePlan("art", spec, DEFAULT_KEYFRAME_STEPS, KEY, SEG)
    assert p.key(Keyframe(999)).branch_hash == "6547142393b81ce4"
    assert p.key(Segment(999, 1000, 3)).branch_hash == "188c056479e30ba0"
    assert len(p.all_hashes()) == len(p.anchors()) + len(p.layout.segments())
    q = KeyframePlan("art", spec, (500,), KEY, SEG)
    assert q.key(Keyframe(500)).branch_hash == "4c7e02bb2e4e2af1"
    assert q.key(Segment(500, 1000, 3)).branch_hash == "29bcaefec9720090"
