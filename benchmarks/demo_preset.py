"""Which small classifier preset learns the demo data: validation accuracy per preset and seed.

Trains each preset on the training split of prepared datasets (a demo run's `results/data/{dataset}`)
with the demo's training settings (config/config.yaml's `classifier` keys: batch, epoch cap, patience) and
scores the restored best epoch on the validation split. The test split is not read: the choice of
the demo preset rests on training and validation data only. Seeds are the runs' training seeds
(initialisation, batch order, dropout). One torch thread, as the workflow's classifier jobs.

Usage: PYTHONPATH=src python benchmarks/demo_preset.py RESULTS_DIR [--datasets ptbxl chapman] [--seeds 4]
  [--preset NAME=JSON ...]   (default: the demo presets compared in benchmarks/README.md) [--max-epochs N]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
import yaml

from synecg.classify.train import predict_proba, train_classifier
from synecg.data.store import load_split
from synecg.experiments.settings import build_model_config, build_train_config, training_settings

DEMO_CONFIG = Path(__file__).resolve().parents[1] / "config" / "config.yaml"
BASE = {"kernel_size": 7, "dilation": 5, "fc_layers": 1, "fc_units": 32, "dropout": 0.25, "shared_conv": True}
PRESETS = {
    "3 blocks x 8, lr 3e-3": {"blocks": 3, "kernels": 8, "lr": 3e-3},
    "4 blocks x 16, lr 3e-3": {"blocks": 4, "kernels": 16, "lr": 3e-3},
    "6 blocks x 8, lr 3e-3": {"blocks": 6, "kernels": 8, "lr": 3e-3},
    "6 blocks x 8, lr 1e-3": {"blocks": 6, "kernels": 8, "lr": 1e-3},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", type=Path, help="a demo run's results/ folder")
    parser.add_argument("--datasets", nargs="+", default=["ptbxl", "chapman"])
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--preset", action="append", default=[], help="NAME=JSON of ClassifierConfig fields and lr")
    parser.add_argument("--max-epochs", type=int, default=None, help="epoch cap (default: the config's classifier.max_epochs)")
    args = parser.parse_args()
    presets = {name: json.loads(fields) for name, fields in (p.split("=", 1) for p in args.preset)} or PRESETS
    config = yaml.safe_load(DEMO_CONFIG.read_text())
    torch.set_num_threads(1)

    print("| dataset | preset | val accuracy per seed | mean | best epochs | s per run |")
    print("| --- | --- | --- | --- | --- | --- |")
    for dataset in args.datasets:
        data_dir = args.results / "data" / dataset
        (x_train, y_train, _), (x_val, y_val, _) = load_split(data_dir, "train"), load_split(data_dir, "val")
        training = training_settings(config, dataset)
        if args.max_epochs is not None:
            training["max_epochs"] = args.max_epochs
        for name, fields in presets.items():
            fields = {**BASE, **fields}
            cfg = build_model_config(fields, x_train.shape[-1])
            train_cfg = build_train_config({**training, "lr": fields["lr"]})
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
