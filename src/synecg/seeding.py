"""Seeds: every random choice in the workflow derives its seed from the config's master seed.

A stage asks for ``derive_seed(master, "stage", "dataset", ...)``: the same names always give the
same seed, different names give independent streams, and no stage consumes another's stream.
"""

from __future__ import annotations

import hashlib

import numpy as np


def derive_seed(master: int, *names: object) -> int:
    """A 63-bit seed from the master seed and a path of names (stable across runs and platforms)."""
    text = "/".join([str(int(master)), *(str(n) for n in names)])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little") >> 1


def numpy_rng(master: int, *names: object) -> np.random.Generator:
    """A numpy Generator seeded by ``derive_seed(master, *names)``."""
    return np.random.default_rng(derive_seed(master, *names))


def torch_generator(master: int, *names: object, device: str = "cpu"):
    """A torch.Generator seeded by ``derive_seed(master, *names)``."""
    import torch

    gen = torch.Generator(device=device)
    gen.manual_seed(derive_seed(master, *names))
    return gen
