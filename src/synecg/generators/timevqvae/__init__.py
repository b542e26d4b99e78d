"""TimeVQVAE (Lee, Malacarne, Aune, AISTATS 2023): STFT LF/HF VQ-VAE (stage 1) and MaskGIT priors
(stage 2) with classifier-free guidance. ``config`` (settings, presets), ``stft`` (the band split),
``stage1`` (VQ-VAE), ``stage2`` (priors), ``sampling`` (iterative decoding), ``train`` (end to end)."""
