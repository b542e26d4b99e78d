"""The diffusion generators by config name: network class, size presets, noise process, optimiser.

``spec("sssd")`` -> ``GeneratorSpec``. Each network maps ``(x_t (B, C, L), t (B,), y (B,)) -> (B, C, L)``
over ``len(modelled_leads)`` leads; ``complete`` turns its C leads into the 12 canonical ones.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Callable

import torch

from synecg.constants import N_LEADS
from synecg.generators.diffusion import ProcessConfig

DIFFUSION_GENERATORS: tuple[str, ...] = ("sssd", "diffwave", "timediffusion")
ALL_LEADS: tuple[int, ...] = tuple(range(N_LEADS))


@dataclass(frozen=True)
class OptimizerConfig:
    """``adam`` (SSSD-ECG, DiffWave: torch defaults) or ``adamw`` (Time-Diffusion: β (0.95, 0.999), wd 1e-6)."""

    kind: str = "adam"
    betas: tuple[float, float] = (0.9, 0.999)
    weight_decay: float = 0.0
    eps: float = 1e-8

    def build(self, params, lr: float) -> torch.optim.Optimizer:
        cls = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[self.kind]
        return cls(params, lr=lr, betas=self.betas, weight_decay=self.weight_decay, eps=self.eps)


@dataclass(frozen=True)
class GeneratorSpec:
    name: str
    config_cls: type
    presets: dict[str, Any]
    network_cls: type
    process: ProcessConfig
    optimizer: OptimizerConfig
    modelled_leads: tuple[int, ...]
    complete: Callable[[torch.Tensor], torch.Tensor]

    def network_config(self, preset: str, overrides: dict[str, Any] | None = None, signal_length: int | None = None):
        """The preset's dataclass with ``overrides`` applied; unknown names raise, naming the field.

        A network whose config has a ``signal_length`` (Time-Diffusion pads to a multiple of its
        down-sampling factor) gets the data's length.
        """
        if preset not in self.presets:
            raise KeyError(f"generators.{self.name}.preset: unknown preset {preset!r} (have {sorted(self.presets)})")
        cfg = self.presets[preset]
        overrides = dict(overrides or {})
        known = {f.name for f in fields(cfg)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise KeyError(f"generators.{self.name}.model: unknown fields {unknown} (have {sorted(known)})")
        for key, value in overrides.items():
            if isinstance(getattr(cfg, key), tuple):
                overrides[key] = tuple(value)
        if signal_length is not None and "signal_length" in known:
            overrides["signal_length"] = int(signal_length)
        cfg = replace(cfg, **overrides)
        if hasattr(cfg, "validate"):
            cfg.validate()
        return cfg

    def build(self, network_config) -> torch.nn.Module:
        return self.network_cls(network_config)


def _identity(x: torch.Tensor) -> torch.Tensor:
    return x


def spec(name: str) -> GeneratorSpec:
    """The spec of one diffusion generator (modules are imported on demand)."""
    if name == "sssd":
        from synecg.generators import sssd

        return GeneratorSpec(
            name="sssd",
            config_cls=sssd.SSSDConfig,
            presets=sssd.PRESETS,
            network_cls=sssd.SSSD,
            process=ProcessConfig(train_steps=200, beta_start=1e-4, beta_end=0.02, prediction="epsilon", weighting="none"),
            optimizer=OptimizerConfig("adam"),
            modelled_leads=sssd.MODELLED_INDEX,
            complete=sssd.complete_leads,
        )
    if name == "diffwave":
        from synecg.generators import diffwave

        return GeneratorSpec(
            name="diffwave",
            config_cls=diffwave.DiffWaveConfig,
            presets=diffwave.PRESETS,
            network_cls=diffwave.DiffWave,
            process=ProcessConfig(train_steps=200, beta_start=1e-4, beta_end=0.02, prediction="epsilon", weighting="none"),
            optimizer=OptimizerConfig("adam"),
            modelled_leads=ALL_LEADS,
            complete=_identity,
        )
    if name == "timediffusion":
        from synecg.generators import timediffusion

        return GeneratorSpec(
            name="timediffusion",
            config_cls=timediffusion.TimeDiffusionConfig,
            presets=timediffusion.PRESETS,
            network_cls=timediffusion.TimeDiffusionUNet,
            # The authors' script multiplies a (B,1,1,1) SNR weight by a (B,12,L) loss: the broadcast
            # (B,B,12,L) mean is mean(SNR) x mean(MSE), i.e. an unweighted x0 loss up to a constant
            # factor, so "none" is what they ran ("snr" stays a ProcessConfig option, docs/generators.md).
            process=ProcessConfig(
                train_steps=1000, beta_start=1e-4, beta_end=1e-2, zero_terminal_snr=True, prediction="sample", weighting="none"
            ),
            optimizer=OptimizerConfig("adamw", betas=(0.95, 0.999), weight_decay=1e-6),
            modelled_leads=ALL_LEADS,
            complete=_identity,
        )
    raise KeyError(f"unknown diffusion generator {name!r} (have {list(DIFFUSION_GENERATORS)})")


PROCESS_FIELDS: tuple[str, ...] = ("zero_terminal_snr", "prediction", "weighting")


def process_for(name: str, changes: dict[str, Any] | None = None) -> ProcessConfig:
    """The generator's published noise process with ``changes`` (``generators.<name>.process``) applied.

    Only the objective may change (``PROCESS_FIELDS``): T and the β range stay the reference's. An
    unknown or fixed field raises, naming it; an invalid pairing (a zero terminal SNR with ε) raises
    from ``ProcessConfig``.
    """
    changes = dict(changes or {})
    bad = sorted(set(changes) - set(PROCESS_FIELDS))
    if bad:
        raise KeyError(f"generators.{name}.process: cannot change {bad} (may change {list(PROCESS_FIELDS)})")
    return replace(spec(name).process, **changes)


def describe(network_config) -> dict[str, Any]:
    """A JSON-able dict of a network config dataclass."""
    return asdict(network_config)
