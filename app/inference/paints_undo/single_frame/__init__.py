"""The Paints-UNDO single-frame model: UNet with image/undo-step conditioning, CLIP text encoder, VAE,
the KDiffusion (DPM++ 2M Karras) sampler and the keyframe pipeline. Nothing is imported here, so
importing the package costs nothing (torch/diffusers load lazily inside the submodules' users)."""
