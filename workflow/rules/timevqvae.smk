# Stage 2b: TimeVQVAE (stage 1 VQ-VAE, stage 2 MaskGIT prior), then sample a bank.
