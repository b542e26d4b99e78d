# Stage 2a: diffusion generators (sssd, diffwave, timediffusion): train, then sample a bank.
