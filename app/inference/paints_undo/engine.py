"""The Paints-UNDO engine (design §4): keyframes from the single-frame model, in-between frames from the
multi-frame model, behind the `ProcessEngine` protocol.

Once per branch (`prepare`): the prompt (WD14 tags when the user typed none), the artwork latent and
both prompt embeddings are computed and kept in the session. `render` then samples every requested
keyframe in ONE batch with one shared noise (so a step renders the same alone or with others), step 0
being the artwork itself. Frames come back at the artwork's size: the models work at a multiple-of-64
"working size" with the artwork's aspect, and their output is resized back.

A fork (`BranchSpec.forked`) starts from its parent's canvas: `prepare` prepares the parent too and makes
the parent's frame at the fork step the fork's last keyframe (fork.py).

Models are loaded lazily and moved only by the model manager (`ModelManager`) (resident when memory allows, offloaded
by budget when not). Nothing is loaded by constructing the engine or asking `availability()`.
Tests inject tiny components with `PaintsUndoEngine.from_components(...)`.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from app.core.artwork import Artwork
from app.core.branch import BranchSpec
from app.core.cancel import CancelToken, ProgressCallback, scaled_progress
from app.core.segments import DEFAULT_KEYFRAME_STEPS, WHITE_STEP
from app.errors import EngineError
from app.inference.engine import EngineAvailability, EngineCapabilities, EngineSession, SettingSpec
from app.inference.layers.stages import LAYER_STAGES
from app.inference.paints_undo.device_defaults import (
    IN_BETWEEN_CHOICES,
    TILING_CHOICES,
    check_tiling,
    device_defaults,
    resolve_in_between,
)
from app.inference.paints_undo.fork import fork_origin, frame_at, start_from_parent
from app.inference.paints_undo.keyframe_chain import KeyframeChain, parse_steps
from app.inference.paints_undo.session import PaintsUndoSession, session_of

log = logging.getLogger(__name__)

DEFAULT_NEGATIVE = "lowres, bad anatomy, bad hands, cropped, worst quality"  # the reference app's default
SIZE_CHOICES = ("384", "512", "640", "768", "1024")  # long side of the working size, in pixels
SINGLE_FRAME_DIR = "paints_undo_single_frame"
MULTI_FRAME_DIR = "paints_undo_multi_frame"


class PaintsUndoEngine(KeyframeChain):
    name = "paints-undo"
    display_name = "Paints-UNDO"
    # Not random access: any step CAN be rendered, but a keyframe batch costs seconds (GPU) to minutes (CPU).
    capabilities = EngineCapabilities(
        random_access=False, interpolation=True, needs_weights=True, devices=("cuda", "mps", "cpu")
    )
    # (h, w) size buckets of the video model; None = the reference's four. Tests shrink them.
    video_buckets: tuple[tuple[int, int], ...] | None = None

    def __init__(self, models_dir: Path | None = None, device: str | None = None) -> None:
        from app.paths import default_models_dir

        self.models_dir = Path(models_dir) if models_dir is not None else default_models_dir()
        self.device = device
        self._pipeline: Any = None  # SingleFramePipeline, built on first use
        self._manager: Any = None
        self._device_info: Any = None
        self._tagger: Any = None
        self._injected = False

    @classmethod
    def from_components(
        cls,
        unet: Any,
        vae: Any,
        text_encoder: Any,
        tokenizer: Any,
        *,
        tagger: Any = None,
        device: str = "cpu",
        models_dir: Path | None = None,
    ) -> PaintsUndoEngine:
        """An engine over explicitly given modules (tests, benchmarks); `tagger.tag(rgb) -> str`."""
        from app.inference.paints_undo.single_frame.pipeline import SingleFramePipeline

        engine = cls(models_dir=models_dir, device=device)
        engine._pipeline = SingleFramePipeline.from_components(
            unet, vae, text_encoder, tokenizer, device=device
        )
        engine._tagger = tagger
        engine._injected = True
        return engine

    # -- protocol: availability and settings --------------------------------------------------------
    def availability(self) -> EngineAvailability:
        """Which model files are missing and where they go. Reads file headers only; never raises."""
        if self._injected:
            return EngineAvailability(ready=True)
        try:
            from app.inference.paints_undo import layout

            report = layout.models_report(self.models_dir, verify=True)
            ready = layout.part_ready(report, "single_frame", have_prompt=True)
            missing = tuple(str(p) for s in report for p in s.missing)
            notes = []
            if not ready:
                notes.append(layout.missing_files_message(report, ["single_frame"]))
            if not layout.part_ready(report, "tagger"):
                notes.append("Without the WD14 tagger files, type a prompt yourself.")
            if not layout.part_ready(report, "multi_frame"):
                notes.append(
                    "Without the multi-frame model, only keyframes are generated (no in-between frames)."
                )
            return EngineAvailability(ready=ready, reason="\n".join(n for n in notes if n), missing=missing)
        except Exception as exc:  # availability must never raise: the start page calls it for every engine
            log.debug("availability check failed", exc_info=True)
            return EngineAvailability(
                ready=False, reason=f"Cannot check the model files in {self.models_dir}: {exc}"
            )

    def settings(self) -> Sequence[SettingSpec]:
        """The settings with this engine's device's defaults (device_defaults.py: the CPU hybrid's
        fewer steps and smaller size on a CPU), so the form shows what a branch will render with."""
        defaults = device_defaults(self.device_kind())
        return (
            SettingSpec("prompt", "Prompt", "text", "", help="Describes the artwork. Empty: generated by the tagger."),
            SettingSpec("generate_prompt", "Generate prompt", "bool", True,
                        help="Tag the artwork with WD14 when the prompt is empty."),
            SettingSpec("negative_prompt", "Negative prompt", "text", DEFAULT_NEGATIVE),
            SettingSpec("steps", "Sampler steps", "int", defaults["steps"], minimum=1, maximum=200,
                        help="Default: 12 on a CPU (the fast hybrid), 50 on a GPU (the reference)."),
            SettingSpec("cfg", "Guidance (CFG)", "float", 3.0, minimum=1.0, maximum=20.0),
            SettingSpec("keyframe_steps", "Keyframe steps", "steps", DEFAULT_KEYFRAME_STEPS, minimum=1, maximum=999,
                        help="Undo steps rendered as keyframes (0 is the artwork, 999 the first stroke)."),
            SettingSpec("size", "Working size (long side)", "choice", defaults["size"], choices=SIZE_CHOICES,
                        help="Resolution the models run at; frames are resized to the artwork's size. "
                        "Default: 384 on a CPU, 640 on a GPU."),
            SettingSpec("video_seed", "Video seed", "int", -1, minimum=-1, maximum=2**31 - 1,
                        help="Seed of the in-between frames; -1 uses the branch seed. Changing it keeps the keyframes."),
            SettingSpec("video_steps", "Video sampler steps", "int", 50, minimum=1, maximum=200),
            SettingSpec("video_cfg", "Video guidance (CFG)", "float", 7.5, minimum=1.0, maximum=20.0),
            SettingSpec("vae_tiling", "Tiled keyframe decode", "choice", "auto", choices=TILING_CHOICES,
                        help="on: decode keyframes in overlapping tiles (less memory, slightly different "
                        "pixels); off: in one piece; auto: tiles only above 768 px on a GPU whose free memory "
                        "is too small for one piece."),
            SettingSpec("in_between", "In-between frames", "choice", "auto", choices=IN_BETWEEN_CHOICES,
                        help="model: the multi-frame model (minutes per segment without a GPU); painted: the "
                        "keyframes painted over in stroke and region order (seconds); auto: model on a GPU, "
                        "painted on a CPU."),
            # set by the layers panel's "Paints-UNDO from these layers" (layers/stages.py), not the form
            SettingSpec(LAYER_STAGES, "Layer stages as keyframes", "panel", (),
                        help="Steps whose keyframes are the layered artwork's own stages."),
        )  # fmt: skip

    def device_kind(self) -> str:
        """The kind of device this engine runs on ("cpu", "cuda", "mps"). An explicit device needs no
        discovery; "best available" is what the start page's probe found on the worker when it ran,
        else it is discovered once (imports torch) and kept."""
        if self._device_info is not None:
            return str(self._device_info.kind)
        choice = str(self.device or "").strip().lower()
        if choice and choice != "auto":
            return choice.split(":")[0]
        from app.inference.devices import ENV_DEVICE, known_auto_kind

        known = None if os.environ.get(ENV_DEVICE) else known_auto_kind()  # the probe's, found on the worker
        return known if known is not None else str(self._device().kind)

    def _device(self) -> Any:
        """This engine's DeviceInfo (discovered once; the model manager refreshes it when it loads)."""
        if self._device_info is None:
            from app.inference.devices import resolve_device

            self._device_info = resolve_device(self.device)
        return self._device_info

    def _estimate(self, sess: PaintsUndoSession, cancel: CancelToken) -> Any:
        """The run's time and peak memory on this device (estimate.py: calibrated once per device and
        size), before any keyframe is sampled: `session.extra["estimate"]`, a `RunEstimate`."""
        from app.core.segments import SegmentLayout
        from app.inference.paints_undo.estimate import calibrate, estimate_run

        pipe = self._single_frame()
        info = self._device()
        calibration = calibrate(pipe, sess, info, cancel)
        return estimate_run(
            calibration,
            info,
            keyframes=sum(1 for s in sess.keyframe_steps if s not in sess.keyframes),
            segments=len(SegmentLayout(tuple(sess.keyframe_steps)).segments()),
            steps=sess.steps,
            video_steps=sess.video_steps,
            in_between=sess.in_between,
        )

    # -- models ------------------------------------------------------------------------------------
    def _single_frame(self) -> Any:
        if self._pipeline is None:
            from app.inference.paints_undo.single_frame.pipeline import SingleFramePipeline
            from app.inference.paints_undo.single_frame.text_encoder import LazyTokenizer

            folder = self.models_dir / SINGLE_FRAME_DIR
            self._pipeline = SingleFramePipeline(self._model_manager(), LazyTokenizer(folder / "tokenizer"))
        return self._pipeline

    def _model_manager(self) -> Any:
        if self._manager is None:
            from app.inference.cpu_tuning import apply_process_tuning, choose_cpu_tuning
            from app.inference.devices import ALL_COMPONENTS, choose_memory_policy, resolve_device
            from app.inference.model_manager import ModelManager

            info = self._device_info = resolve_device(self.device)
            apply_process_tuning(choose_cpu_tuning(info.kind))  # a CPU's same-numbers speed-ups
            policy = choose_memory_policy(info, ALL_COMPONENTS)
            log.info("Paints-UNDO on %s, memory mode %s (%s)", info.describe(), policy.mode, policy.reason)
            self._manager = ModelManager(info, policy.model_budget_bytes)
            for name, loader in self._single_frame_loaders(info).items():
                self._manager.register(name, loader)
        return self._manager

    def _single_frame_loaders(self, info: Any) -> dict[str, Callable[[], Any]]:
        from app.inference.cpu_tuning import choose_cpu_tuning, prepare_module
        from app.inference.devices import choose_dtype
        from app.inference.paints_undo import agreement
        from app.inference.paints_undo.single_frame import text_encoder, unet, vae

        folder = self.models_dir / SINGLE_FRAME_DIR

        def fitting(load: Callable[[], Any]) -> Callable[[], Any]:
            """Check that the parts fit each other (headers only) before loading any of them: a
            swapped part would otherwise load and fail as a raw shape error in the middle of sampling."""

            def checked() -> Any:
                agreement.check_part(folder, "single_frame")
                return load()

            return checked

        tuning = choose_cpu_tuning(info.kind)

        def load_unet() -> Any:
            model = unet.load_unet(folder / "unet", choose_dtype(info, "single_frame_unet"))
            if info.kind == "cuda":  # convolutions in channels_last are faster with cuDNN fp16
                import torch

                model = model.to(memory_format=torch.channels_last)
            return prepare_module(model, tuning)

        return {
            "single_frame_unet": fitting(load_unet),
            "single_frame_vae": fitting(
                lambda: prepare_module(
                    vae.load_vae(folder / "vae", choose_dtype(info, "single_frame_vae")), tuning
                )
            ),
            "single_frame_text_encoder": fitting(
                lambda: text_encoder.load_text_encoder(
                    folder / "text_encoder", choose_dtype(info, "single_frame_text_encoder")
                )
            ),
        }

    def _tag(self, pixels: np.ndarray) -> str:
        if self._tagger is None:
            from app.inference.paints_undo.tagger import Wd14Tagger

            self._tagger = Wd14Tagger.from_models_dir(self.models_dir)
        return str(self._tagger.tag(pixels))

    # -- protocol: prepare / render / interpolate ----------------------------------------------------
    def prepare(
        self, artwork: Artwork, spec: BranchSpec, cancel: CancelToken, progress: ProgressCallback
    ) -> PaintsUndoSession:
        """The branch's session; a fork's also holds its parent's frame at the fork step as its last
        keyframe (fork.py), made here from the parent's spec (a keyframe or a segment of the parent)."""
        origin = fork_origin(spec, self.name)
        if origin is None:
            own = self._prepare_own(artwork, spec, cancel, scaled_progress(progress, 0.0, 0.8))
            self._set_layer_stages(own, cancel, scaled_progress(progress, 0.8, 0.9))
            progress(0.9, "Estimating the time")
            own.extra["estimate"] = self._estimate(own, cancel)
            progress(1.0, "Ready")
            return own
        sess = self._prepare_own(artwork, spec, cancel, scaled_progress(progress, 0.0, 0.2))
        parent = self.prepare(artwork, origin[0], cancel, scaled_progress(progress, 0.2, 0.4))
        progress(0.4, "Rendering the parent's frame at the fork step")
        frame = frame_at(self, parent, origin[1], cancel, scaled_progress(progress, 0.4, 1.0))
        working = self._single_frame().prepare_image(frame, sess.working_size)
        start_from_parent(sess, parent, origin[1], frame, working)
        self._set_layer_stages(sess, cancel, progress)
        sess.extra["estimate"] = self._estimate(sess, cancel)
        progress(1.0, "Ready")
        return sess

    def _prepare_own(
        self, artwork: Artwork, spec: BranchSpec, cancel: CancelToken, progress: ProgressCallback
    ) -> PaintsUndoSession:
        """The once-per-branch work of `spec` itself (prompt, working size, latent, embeddings)."""
        from app.inference.paints_undo.single_frame.pipeline import working_size

        pipe = self._single_frame()
        s = {spec_item.name: spec_item.default for spec_item in self.settings()} | spec.settings_dict()
        prompt = str(s["prompt"] or "").strip()
        if not prompt and bool(s["generate_prompt"]):
            progress(0.0, "Tagging the artwork")
            prompt = self._tag(artwork.pixels)
        cancel.raise_if_cancelled()
        try:
            long_side = int(s["size"])
        except (TypeError, ValueError):
            raise EngineError(
                f"Invalid working size '{s['size']}'.", f"Choose one of {', '.join(SIZE_CHOICES)}."
            ) from None
        size = working_size(artwork.width, artwork.height, long_side)
        progress(0.1, "Encoding the artwork and the prompts")
        image = pipe.prepare_image(artwork.pixels, size)
        positive, negative = pipe.encode_prompts([prompt, str(s["negative_prompt"] or "")])
        cancel.raise_if_cancelled()
        latent = pipe.encode_image(image)
        progress(1.0, "Ready")
        keyframes = parse_steps(s["keyframe_steps"])
        return PaintsUndoSession(
            artwork=artwork,
            spec=spec,
            output_size=(artwork.width, artwork.height),
            keyframe_steps=keyframes,
            prompt=prompt,
            negative_prompt=str(s["negative_prompt"] or ""),
            seed=int(spec.seed),
            steps=int(s["steps"]),
            cfg=float(s["cfg"]),
            video_seed=int(spec.seed) if int(s["video_seed"]) < 0 else int(s["video_seed"]),
            video_steps=int(s["video_steps"]),
            video_cfg=float(s["video_cfg"]),
            in_between=resolve_in_between(str(s["in_between"]), self.device_kind()),
            vae_tiling=check_tiling(s["vae_tiling"]),
            working_size=size,
            image=image,
            image_latent=latent,
            positive=positive,
            negative=negative,
        )

    def render(
        self, session: EngineSession, steps: Sequence[int], cancel: CancelToken, progress: ProgressCallback
    ) -> list[np.ndarray]:
        """One frame per requested step, in request order; all non-zero steps in ONE sampling batch."""
        sess = session_of(session)
        todo = sorted({int(s) for s in steps if int(s) != 0 and int(s) not in sess.keyframes})
        if any(not 0 <= s <= 999 for s in todo):
            raise EngineError(
                f"Undo steps must be in 0..999, got {list(steps)}.", "This is a bug; please report it."
            )
        if todo:
            from app.inference.cpu_tuning import release_memory

            pipe = self._single_frame()
            noise = pipe.noise_for(tuple(sess.image_latent.shape), sess.seed)
            latents = pipe.denoise(
                sess.image_latent, sess.positive, sess.negative, todo, noise, sess.steps, sess.cfg,
                cancel=cancel, progress=scaled_progress(progress, 0.0, 0.9),
            )  # fmt: skip
            cancel.raise_if_cancelled()
            progress(0.9, "Decoding keyframes")
            decoded = pipe.decode(latents, cancel, vae_tiling=sess.vae_tiling)
            for step, image in zip(todo, decoded, strict=True):
                sess.keyframes[step] = image
            del latents
            release_memory()  # a tuned CPU allocator's heap goes back to the OS between batches
        progress(1.0, "Keyframes done")
        return [self._output_frame(sess, int(s)) for s in steps]

    def _output_frame(self, sess: PaintsUndoSession, step: int) -> np.ndarray:
        if step == 0:
            return np.array(sess.artwork.pixels)  # the artwork itself, exactly
        if step == sess.fork_step and sess.fork_frame is not None:
            return np.array(sess.fork_frame)  # the parent's frame, exactly
        return _resize(sess.keyframes[step], sess.output_size)

    def interpolate(
        self,
        session: EngineSession,
        step_a: int,
        step_b: int,
        count: int,
        cancel: CancelToken,
        progress: ProgressCallback,
    ) -> list[np.ndarray]:
        """`count` frames evenly spaced from step_a to step_b (both included), by the multi-frame model."""
        sess = session_of(session)
        if sess.in_between == "painted":
            return self._painted(sess, step_a, step_b, count, cancel, progress)
        try:
            from app.inference.paints_undo.multi_frame import pipeline as mf_pipeline
        except ImportError as exc:
            raise EngineError(
                "The multi-frame model is not available yet in this build.",
                "Keyframes still work; in-between frames need the multi-frame pipeline.",
            ) from exc
        if count < 1:
            return []
        frame_a, frame_b = (
            self._keyframe(sess, step_a, cancel, progress),
            self._keyframe(sess, step_b, cancel, progress),
        )
        store = self._device_frames(sess)
        if store is not None:  # a GPU: frames kept as device tensors, numpy made once per frame shown
            from app.inference.paints_undo.device_frames import segment_key
            from app.inference.paints_undo.preprocess import VIDEO_BUCKETS

            buckets = self.video_buckets or VIDEO_BUCKETS
            key = segment_key(
                frame_a, frame_b, sess.prompt, sess.video_seed, sess.video_steps, sess.video_cfg, buckets
            )

            def make() -> Any:
                with contextlib.ExitStack() as stack:
                    pipe = self._multi_frame(mf_pipeline, stack)
                    pipe.cache, pipe.frames = self._encodings(sess), store
                    return pipe.interpolate_video(
                        frame_a, frame_b, sess.prompt, sess.video_seed, steps=sess.video_steps,
                        cfg=sess.video_cfg, cancel=cancel, progress=scaled_progress(progress, 0.1, 1.0),
                        segment=key,
                    )  # fmt: skip

            return list(store.segment_frames(key, count, lambda f: _resize(f, sess.output_size), make))
        with contextlib.ExitStack() as stack:
            pipe = self._multi_frame(mf_pipeline, stack)
            pipe.cache = self._encodings(sess)
            frames = pipe.interpolate(
                frame_a,
                frame_b,
                sess.prompt,
                sess.video_seed,
                steps=sess.video_steps,
                cfg=sess.video_cfg,
                cancel=cancel,
                progress=scaled_progress(progress, 0.1, 1.0),
            )
        picks = np.linspace(0, len(frames) - 1, count).round().astype(int)
        return [_resize(frames[i], sess.output_size) for i in picks]

    def _painted(
        self,
        sess: PaintsUndoSession,
        step_a: int,
        step_b: int,
        count: int,
        cancel: CancelToken,
        progress: ProgressCallback,
    ) -> list[np.ndarray]:
        """The segment painted from keyframe to keyframe in the procedural order (inbetween.py)."""
        from app.inference.paints_undo.inbetween import painted_inbetween

        if count < 1:
            return []
        frame_a = self._keyframe(sess, step_a, cancel, scaled_progress(progress, 0.0, 0.8))
        frame_b = self._keyframe(sess, step_b, cancel, scaled_progress(progress, 0.0, 0.8))
        progress(0.8, "Painting the in-between frames")
        frames = painted_inbetween(frame_a, frame_b, count, seed=sess.video_seed + step_a, cancel=cancel)
        progress(1.0, "Segment done")
        return [_resize(frame, sess.output_size) for frame in frames]

    def _keyframe(
        self, sess: PaintsUndoSession, step: int, cancel: CancelToken, progress: ProgressCallback
    ) -> Any:
        if step == 0:
            return sess.image
        if step == WHITE_STEP:  # the blank canvas before the first stroke ends the last segment
            return np.full_like(sess.image, 255)
        if step not in sess.keyframes:
            self.render(sess, [step], cancel, scaled_progress(progress, 0.0, 0.1))
        return sess.keyframes[step]

    def _encodings(self, sess: PaintsUndoSession) -> Any:
        """The branch's `EncodingCache`: its prompt and keyframes are encoded once for all its segments,
        kept on the device within a budget from the memory policy (encodings.py)."""
        cache = sess.extra.get("encodings")
        if cache is None:
            import torch

            from app.inference.paints_undo.encodings import EncodingCache

            manager = self._model_manager()
            info = self._device_info  # None for an engine built from components (tests): the CPU
            device = torch.device(info.torch_device if info is not None else "cpu")
            usable = int(info.free_bytes) if info is not None else 0
            cache = sess.extra["encodings"] = EncodingCache.for_device(
                device, usable, int(manager.budget_bytes)
            )
        return cache

    def _device_frames(self, sess: PaintsUndoSession) -> Any:
        """The branch's `DeviceFrames` on CUDA/MPS (segment latents and uint8 frames on the device, the
        encodings' budget rule), None on a CPU: there nothing changes (device_frames.py)."""
        if "device_frames" not in sess.extra:
            import torch

            from app.inference.paints_undo.device_frames import DeviceFrames

            info = self._device_info  # None for an engine built from components (tests): the CPU
            device = torch.device(info.torch_device if info is not None else "cpu")
            usable = int(info.free_bytes) if info is not None else 0
            model_bytes = int(self._model_manager().budget_bytes) if device.type != "cpu" else 0
            sess.extra["device_frames"] = DeviceFrames.for_device(device, usable, model_bytes)
        return sess.extra["device_frames"]

    def _multi_frame(self, mf_pipeline: Any, stack: contextlib.ExitStack) -> Any:
        """A MultiFramePipeline whose modules the ModelManager brings to the device one stage at a time."""
        try:
            from app.inference.paints_undo.multi_frame.loading import load_multi_frame
        except ImportError as exc:
            raise EngineError("The multi-frame loader is not available yet in this build.", "") from exc
        from app.inference.devices import choose_dtype

        manager = self._model_manager()
        info = self._device_info
        folder = self.models_dir / MULTI_FRAME_DIR
        modules = ("unet", "vae", "text_encoder", "image_encoder", "image_projection")
        for name in modules:
            if f"multi_frame_{name}" not in manager.names():
                dtype = choose_dtype(info, f"multi_frame_{name}")
                manager.register(
                    f"multi_frame_{name}",
                    lambda n=name, d=dtype: getattr(load_multi_frame(folder, dtype=d, components=[n]), n),
                )
        tokenizer = load_multi_frame(folder, components=["tokenizer"]).tokenizer
        current: dict[str, Any] = {}

        def prepare_module(name: str) -> None:  # keep only the stage's model pinned on the device
            if "stage" in current:
                current.pop("stage").close()
            inner = contextlib.ExitStack()
            setattr(current["pipe"], name, inner.enter_context(manager.use(f"multi_frame_{name}")))
            current["stage"] = inner

        extra = {"buckets": self.video_buckets} if self.video_buckets else {}
        pipe = current["pipe"] = mf_pipeline.MultiFramePipeline(
            None, None, None, None, None, tokenizer, prepare_module=prepare_module, **extra
        )
        stack.callback(lambda: current.pop("stage").close() if "stage" in current else None)
        return pipe


def _resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """To (w, h): INTER_AREA when shrinking (no aliasing), Lanczos when enlarging."""
    import cv2

    w, h = size
    if (image.shape[1], image.shape[0]) == (w, h):
        return np.ascontiguousarray(image)
    shrink = w * h < image.shape[0] * image.shape[1]
    return cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LANCZOS4)
