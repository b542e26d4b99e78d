"""Which small classifier preset learns the demo data: validation accuracy per preset and seed.

Trains each preset on the training split of prepared datasets (a demo run's `results/data/{dataset}`)
with the demo's training settings (config/config.yaml: batch 32, 10 epochs at most, patience 3) and
scores the restored best epoch on the validation split. The test split is not read: the choice of
the demo preset rests on training and validation data only. Seeds are the runs' training seeds
(initialisation, batch order, dropout). One torch thread, as the workflow's classifier jobs.

Usage: PYTHONPATH=src python benchmarks/demo_preset.py RESULTS_DIR [--datasets ptbxl chapman] [--seeds 4]
  [--preset NAME=JSON ...]   (default: the demo presets compared in benchmarks/README.md)
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from synecg.classify.model import ClassifierConfig
from synecg.classify.train import TrainConfig, predict_proba, train_classifier
from synecg.constants import CLASS_INDEX

BASE = {"kernel_size": 7, "dilation": 5, "fc_layers": 1, "fc_units": 32, "dropout": 0.25}
PRESETS = {
    "3 blocks x 8, lr 3e-3": {"blocks": 3, "kernels": 8, "lr": 3e-3},
    "4 blocks x 16, lr 3e-3": {"blocks": 4, "kernels": 16, "lr": 3e-3},
    "6 blocks x 8, lr 3e-3": {"blocks": 6, "kernels": 8, "lr": 3e-3},
    "6 blocks x 8, lr 1e-3": {"blocks": 6, "kernels": 8, "lr": 1e-3},
}


def split(data_dir: Path, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Signals and class indices of one split of a prepared dataset (synecg.data.store layout)."""
    records = pd.read_csv(data_dir / "records.csv")
    labels = records[(records.status == "kept") & (records.split == name)].label.map(CLASS_INDEX).to_numpy()
    x = np.load(data_dir / f"{name}.npy")
    if len(x) != len(labels):
        raise SystemExit(f"{data_dir}: {name}.npy holds {len(x)} records, records.csv lists {len(labels)} kept {name} records")
    return x, labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", type=Path, help="a demo run's results/ folder")
    parser.add_argument("--datasets", nargs="+", default=["ptbxl", "chapman"])
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--preset", action="append", default=[], help="NAME=JSON of ClassifierConfig fields and lr")
    parser.add_argument("--max-epochs", type=int, default=10)
    parser.add_argument("--patience", type=int, default=3)
    args = parser.parse_args()
    presets = dict(p.split("=", 1) for p in args.preset) if args.preset else None
    presets = {k: json.loads(v) for k, v in presets.items()} if presets else PRESETS
    torch.set_num_threads(1)

    print("| dataset | preset | val accuracy per seed | mean | best epochs | s per run |")
    print("| --- | --- | --- | --- | --- | --- |")
    for dataset in args.datasets:
        data_dir = args.results / "data" / dataset
        (x_train, y_train), (x_val, y_val) = split(data_dir, "train"), split(data_dir, "val")
        for name, fields in presets.items():
            fields = {**BASE, **fields}
            lr = fields.pop("lr")
            cfg, train_cfg = ClassifierConfig(**fields), TrainConfig(lr=lr, max_epochs=args.max_epochs, patience=args.patience)
            accuracy, best, start = [], [], time.perf_counter()
            for seed in range(args.seeds):
                result = train_classifier(x_train, y_train, x_val, y_val, cfg, train_cfg, seed)
                predicted = predict_proba(result.model, result.normaliser, x_val).argmax(1)
                accuracy.append(float((predicted == y_val).mean()))
                best.append(result.best_epoch)
            seconds = (time.perf_counter() - start) / args.seeds
            print(f"| {dataset} | {name} | {' '.join(f'{a:.2f}' for a in accuracy)} | {np.mean(accuracy):.3f} | "
                  f"{' '.join(map(str, best))} | {seconds:.1f} |", flush=True)


if __name__ == "__main__":
    main()
