"""Nearest x2 upsampling + 3x3 conv as one 2x2 conv on the low-resolution input (a same-numbers CPU technique).

Why: the SD VAE decoder's and the UNet's up blocks (diffusers' `Upsample2D`, and the multi-frame
models' own `Upsample` blocks) repeat every pixel 2x2 and then run a 3x3 conv (stride 1, padding 1). On
the repeated pixels each output phase (a, b) in {0, 1}^2 reads only 2x2 distinct source pixels, so the
same sums are a 2x2 conv of the low-resolution input with pre-summed kernels: rows of phase 0 read
source rows (i-1, i) with kernel rows (W0, W1+W2), phase 1 reads (i, i+1) with (W0+W1, W2); the same for
columns. All four phases are one conv of 4*Cout output channels (padding 1, output (H+1)x(W+1)); phase
(a, b) is the slice [a:a+H, b:b+W] of its block, and the four slices interleave into the (2H, 2W)
output in one copy. The zero padding works out exactly: the upsampled image's padding row -1 (or 2H) is
the source's padding row -1 (or H). 16 multiply-adds per source pixel and channel pair instead of 36,
and the 4x-sized upsampled intermediate is never built; the numbers change only by float rounding (the
kernels are pre-summed in at least fp32). Neither torch nor diffusers offers this, hence our own.

`enable_phase_upsample(module, on)` switches every upsampler it can replace exactly (a plain
`nn.Conv2d` 3x3, stride 1, padding 1, dilation 1, groups 1, zeros padding; nearest x2; for diffusers'
`Upsample2D`: `use_conv`, `interpolate`, no norm, no transposed conv) by giving the instance its own
`forward`; parameters, state_dict keys, `.to()` and saving are unchanged. A call it cannot take exactly
(an `output_size` other than 2x, a deprecated extra argument, not a 4-d input), or one too small to
gain (`MIN_PIXELS`), runs the original forward.
The pre-summed kernel is derived from the conv's current weight and bias when first needed and again
whenever they change (storage, in-place version, dtype or device): summing it per call would cost more
than the conv itself at the UNet's 8x8/16x16 upsamplers. The cache is 16/9 of the conv's weight
(SD UNet fp32: ~240 MB for its three upsamplers; the SD VAE: ~40 MB).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import torch

# The tap sums per phase (2 new taps from the 3): phase 0 reads (i-1, i) with (W0, W1+W2), phase 1
# (i, i+1) with (W0+W1, W2).
_PHASE_TAPS = (((1.0, 0.0, 0.0), (0.0, 1.0, 1.0)), ((1.0, 1.0, 0.0), (0.0, 0.0, 1.0)))
# Below this many low-resolution pixels per call (N*H*W) the written form is the faster one: oneDNN
# reorders an fp32 conv's weight on every call, and the phase kernel is 16/9 of the 3x3 one, which
# outweighs the saved multiply-adds (fp32, 2 cores: at 1280 channels N*H*W = 32-64 costs 1.15-1.4x the
# written form's time, 128 saves 1.24x, 256 1.3-2x; 1024 at 512 channels 2.3x).
MIN_PIXELS = 128


def enable_phase_upsample(module: torch.nn.Module, on: bool, min_pixels: int = MIN_PIXELS) -> int:
    """Switch every exactly-replaceable nearest-x2 + 3x3-conv upsampler in `module` to the phase form
    (`on`; used for calls of at least `min_pixels` low-resolution pixels, N*H*W) or back to its
    original forward. A pre-summed kernel is computed by the first call that takes the phase form, so
    an upsampler whose calls all stay below `min_pixels` (the UNet's 4x4 one at 256² and batch 4: 105 MB
    at fp32) never holds one; switching off drops them. Returns how many upsamplers it covers."""
    count = 0
    for sub in module.modules():
        conv = _replaceable_conv(sub)
        if conv is None:
            if isinstance(sub.__dict__.get("forward"), PhaseForward):  # no longer fits (changed by hand)
                del sub.forward
            continue
        count += 1
        patched = isinstance(sub.__dict__.get("forward"), PhaseForward)
        if on and not patched:
            sub.forward = PhaseForward(sub, min_pixels)
        elif on:
            sub.forward.min_pixels = min_pixels
        elif patched:
            del sub.forward
    return count


def is_phase_upsample(module: torch.nn.Module) -> bool:
    """Whether `module` (one upsampler) runs in the phase form."""
    return isinstance(module.__dict__.get("forward"), PhaseForward)


def upsample_conv_phases(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """`conv2d(interpolate(x, scale_factor=2, mode="nearest"), weight, bias, padding=1)` for a 4-d `x`,
    given `weight`/`bias` from `phase_kernel`: one 2x2 conv, then the four phases interleaved. The
    result keeps `x`'s memory format (channels_last in, channels_last out)."""
    import torch
    import torch.nn.functional as F

    n, _, h, w = x.shape
    cout = weight.shape[0] // 4
    out = F.conv2d(x, weight, bias, padding=1)  # (N, 4*Cout, H+1, W+1), phase blocks (0,0),(0,1),(1,0),(1,1)
    if x.dim() == 4 and out.is_contiguous(memory_format=torch.channels_last) and not out.is_contiguous():
        y = out.new_empty(n, h, 2, w, 2, cout).permute(0, 5, 1, 2, 3, 4)
    else:
        y = out.new_empty(n, cout, h, 2, w, 2)
    for a in (0, 1):
        for b in (0, 1):
            block = out[:, (2 * a + b) * cout : (2 * a + b + 1) * cout]
            y[:, :, :, a, :, b] = block[:, :, a : a + h, b : b + w]
    return y.reshape(n, cout, 2 * h, 2 * w)


def phase_kernel(weight: torch.Tensor, bias: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The (4*Cout, Cin, 2, 2) kernel of `upsample_conv_phases` from a (Cout, Cin, 3, 3) one, summed in
    at least fp32 (one (Cout*Cin, 9) x (9, 16) product) and cast back to the weight's dtype; the bias
    repeated per phase."""
    import torch

    acc = torch.promote_types(weight.dtype, torch.float32)  # fp32 for bf16/fp16, fp64 stays fp64
    taps = torch.tensor(_PHASE_TAPS, dtype=acc, device=weight.device)  # (phase, 2, 3)
    mix = torch.einsum("ary,bsx->yxabrs", taps, taps).reshape(9, 16)  # 3x3 taps -> (a, b, 2, 2)
    cout, cin = weight.shape[:2]
    summed = (weight.to(acc).reshape(-1, 9) @ mix).reshape(cout, cin, 2, 2, 2, 2)
    kernel = summed.permute(2, 3, 0, 1, 4, 5).reshape(4 * cout, cin, 2, 2)  # phase-major: block 2a+b
    return kernel.to(weight.dtype).contiguous(), None if bias is None else bias.repeat(4)


class PhaseForward:
    """An upsampler's instance `forward` in the phase form, with its pre-summed kernel cached (a plain
    object, not a Module: no parameters or state_dict keys of its own)."""

    def __init__(self, owner: torch.nn.Module, min_pixels: int) -> None:
        self.owner = owner
        self.min_pixels = min_pixels
        self._key: tuple[Any, ...] | None = None
        self._kernel: tuple[torch.Tensor, torch.Tensor | None] | None = None

    def __call__(self, x: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
        import torch

        conv = _replaceable_conv(self.owner)
        size = kwargs.get("output_size") if not args else args[0]
        extra_ok = len(args) + len(kwargs) <= 1 and (not kwargs or "output_size" in kwargs)
        if (
            conv is None
            or not extra_ok
            or x.dim() != 4
            or x.shape[1] != conv.in_channels
            or x.shape[0] * x.shape[2] * x.shape[3] < self.min_pixels
            or (size is not None and tuple(size) != (2 * x.shape[2], 2 * x.shape[3]))
        ):
            return type(self.owner).forward(self.owner, x, *args, **kwargs)
        if torch.is_grad_enabled() and (conv.weight.requires_grad or _needs_grad(conv.bias)):
            weight, bias = phase_kernel(conv.weight, conv.bias)  # differentiable, not cached
        else:
            weight, bias = self._cached(conv)
        return upsample_conv_phases(x, weight, bias)

    def _cached(self, conv: torch.nn.Conv2d) -> tuple[torch.Tensor, torch.Tensor | None]:
        import torch

        key = (_tensor_key(conv.weight), None if conv.bias is None else _tensor_key(conv.bias))
        if self._kernel is None or key != self._key:
            with torch.inference_mode(False), torch.no_grad():  # usable outside inference mode too
                self._kernel = phase_kernel(conv.weight.detach(), _detached(conv.bias))
            self._key = key
        return self._kernel


def _tensor_key(t: torch.Tensor) -> tuple[Any, ...]:
    """What identifies a weight's values: its storage, in-place version, dtype, device and shape. An
    inference tensor (weights loaded under `torch.inference_mode`) has no version counter; it can only
    be changed in place inside inference mode, which loading and `.to()` do not do (they make new
    storage); after such a change `enable_phase_upsample(m, False)` then `(m, True)` drops the cache."""
    version = None if t.is_inference() else t._version
    return (t.data_ptr(), version, t.dtype, t.device, tuple(t.shape))


def _needs_grad(t: torch.Tensor | None) -> bool:
    return t is not None and t.requires_grad


def _detached(t: torch.Tensor | None) -> torch.Tensor | None:
    return None if t is None else t.detach()


def _replaceable_conv(module: torch.nn.Module) -> torch.nn.Conv2d | None:
    """The 3x3 conv of an upsampler whose forward the phase form reproduces exactly, else None."""
    import torch

    conv = _upsampler_conv(module)
    if type(conv) is not torch.nn.Conv2d:  # a subclass may have its own forward
        return None
    fits = (
        conv.kernel_size == (3, 3)
        and conv.stride == (1, 1)
        and conv.padding == (1, 1)
        and conv.dilation == (1, 1)
        and conv.groups == 1
        and conv.padding_mode == "zeros"
    )
    return conv if fits else None


def _upsampler_conv(module: torch.nn.Module) -> Any:
    """The conv that a known nearest-x2 upsampler runs after upsampling, or None for anything else."""
    from app.inference.paints_undo.multi_frame.unet3d_blocks import Upsample as UNet3DUpsample
    from app.inference.paints_undo.multi_frame.vae_decoder import Upsample as VideoVaeUpsample

    kind = type(module)
    if kind is VideoVaeUpsample:
        return module.conv
    if kind is UNet3DUpsample:
        return module.conv if module.use_conv else None
    if kind.__name__ != "Upsample2D" or kind.__module__ != "diffusers.models.upsampling":
        return None  # checked by name: diffusers is imported only where a model already uses it
    if module.use_conv_transpose or not module.use_conv or not module.interpolate or module.norm is not None:
        return None
    return module.conv if module.name == "conv" else module.Conv2d_0
