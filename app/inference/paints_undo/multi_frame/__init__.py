"""The Paints-UNDO multi-frame (video) model: UNet3D denoiser, dynamic-TSNR sampler, video VAE, CLIP-vision
encoder, resampler and the segment pipeline. Import the submodules directly (they import torch)."""
