"""CPU: K classifiers trained stacked (one vmapped model) vs one after another, as a ratio.

For each preset, K members (seeds 0..K-1, training sets of `--batches` batches of 32 stand-in
signals of 12 x 1000, a 64-signal validation set) train for one epoch, first one at a time
(`train_classifier`, the K = 1 case), then all together (`train_members(..., stack=K)`). The two
give the same models (tests/test_classify_stacked.py); the ratio is the wall-clock gain. The
demo preset is config/config.yaml's; ptbxl is config/paper.yaml's PTB-XL row (few batches: one
PTB-XL-preset batch costs about 0.5-1 s of CPU).

Usage: PYTHONPATH=src python benchmarks/classifier_speed.py [--threads 1] [--k 8] [--batches 10] [--ptbxl-batches 2]
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np
import torch
import yaml

from synecg.classify.model import ClassifierConfig
from synecg.classify.stacked import Member, train_members
from synecg.classify.train import TrainConfig, train_classifier
from synecg.experiments.settings import build_model_config, model_settings

REPO = Path(__file__).resolve().parents[1]


def _preset(config_file: str, dataset: str) -> tuple[ClassifierConfig, float]:
    """The classifier preset a config gives a dataset's runs: (architecture, learning rate)."""
    settings = model_settings(yaml.safe_load((REPO / "config" / config_file).read_text()), dataset)
    return build_model_config(settings, 1000), settings["lr"]


def _label(name: str, preset: tuple[ClassifierConfig, float]) -> str:
    return f"{name} ({preset[0].blocks} blocks, K {preset[0].kernels})"


_DEMO, _PTBXL = _preset("config.yaml", "ptbxl"), _preset("paper.yaml", "ptbxl")
PRESETS = {_label("demo", _DEMO): _DEMO, _label("ptbxl", _PTBXL): _PTBXL}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--k", type=int, default=8)
    parser.add_argument("--batches", type=int, default=10, help="training batches per member, demo preset")
    parser.add_argument("--ptbxl-batches", type=int, default=2, help="training batches per member, PTB-XL preset")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    print(f"CPU, {args.threads} thread(s), torch {torch.__version__}; K = {args.k} members, 1 epoch each, batch 32, "
          "12 x 1000 stand-in signals, validation 64; wall s and CPU s (user+sys) of all K runs")
    print(f"{'preset':<24} {'batches':>7} {'seq wall s':>10} {'seq cpu s':>9} {'stack wall s':>12} {'stack cpu s':>11} {'speed-up':>8}")
    for (name, (cfg, lr)), batches in zip(PRESETS.items(), (args.batches, args.ptbxl_batches)):
        n = batches * 32
        xv, yv = rng.standard_normal((64, 12, 1000)).astype(np.float32), rng.integers(0, 7, 64)
        members = []
        for k in range(args.k):
            x = rng.standard_normal((n, 12, 1000)).astype(np.float32)
            members.append(Member(f"m{k}", [x], rng.integers(0, 7, n), xv, yv, seed=k))
        train_cfg = TrainConfig(lr=lr, max_epochs=1, bf16=False)
        train_classifier(members[0].x_train, members[0].y_train, xv, yv, cfg, train_cfg, seed=0)  # warm-up
        wall, cpu = time.perf_counter(), _cpu()
        for m in members:
            train_classifier(m.x_train, m.y_train, m.x_val, m.y_val, cfg, train_cfg, seed=m.seed)
        seq_wall, seq_cpu = time.perf_counter() - wall, _cpu() - cpu
        wall, cpu = time.perf_counter(), _cpu()
        train_members(members, cfg, train_cfg, stack=args.k)
        st_wall, st_cpu = time.perf_counter() - wall, _cpu() - cpu
        print(f"{name:<24} {batches:>7} {seq_wall:>10.2f} {seq_cpu:>9.2f} {st_wall:>12.2f} {st_cpu:>11.2f} {seq_wall / st_wall:>7.2f}x")


if __name__ == "__main__":
    main()
