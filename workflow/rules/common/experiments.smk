# Imports, constants and input functions of the experiments stage (experiments.smk holds its rules).
from synecg.experiments.settings import (
    BALANCED,
    EQUAL_POOL,
    REAL_GENERATOR,
    fraction_label,
    metrics_path,
    model_settings,
    models_path,
    predictions_path,
    pretrained_path,
    ratio_setting,
    training_settings,
    transfer_setting,
)

EXPERIMENTS = config["experiments"]
FRACTIONS = [fraction_label(f) for f in EXPERIMENTS["fractions"]]
LARGEST_FRACTION = max(FRACTIONS, key=float)
SEEDS = list(EXPERIMENTS["seeds"])
SYNTHETIC_SETTINGS = [
    s for s in ("TrSTeR", "TrSTeS") if s in EXPERIMENTS["settings"] and GENERATORS
]
EVALUATE_TRTS = "TrRTeS" in EXPERIMENTS["settings"] and bool(GENERATORS)
AUGMENT = "TrRSTeR" in EXPERIMENTS["settings"] and bool(GENERATORS)
TRANSFER_ON = EXPERIMENTS["transfer"]["enabled"] and bool(GENERATORS)
TRANSFER_SEEDS = list(EXPERIMENTS["transfer"]["seeds"]) if TRANSFER_ON else []
TRANSFER_SETTINGS = [transfer_setting(t) for t in EXPERIMENTS["transfer"]["trainable"]]
# The real-only baseline and its balanced control run every seed any comparison needs, so that
# all differences are paired.
BASELINE_SEEDS = sorted(set(SEEDS) | set(TRANSFER_SEEDS))
BALANCED_ON = EXPERIMENTS["balanced_control"]
CROSS_DATASETS = (
    SOURCE_DATASETS if EXPERIMENTS["cross_dataset"] and "merged" in DATASETS else []
)
EXPERIMENT_FIGURES = {
    "transfer_curves": "results/figures/experiments/transfer_curves.png",
    "augmentation": "results/figures/experiments/augmentation.png",
    "baseline_confusion": "results/figures/experiments/baseline_confusion.png",
    "answer": "results/figures/experiments/answer.png",
}
EXPERIMENT_TABLES = [
    "experiments_runs",
    "experiments_summary",
    "baselines",
    "synthetic_settings",
    "augmentation",
    "transfer",
    "cross_dataset",
    "comparisons",
    "answer",
]


def augment_settings(generator):
    """The TrRSTeR arms of one generator: the whole bank (the paper), the ratio sweep, and for
    the pool `all` the pool drawn down to one bank's size."""
    return (
        ["TrRSTeR"]
        + [ratio_setting(r) for r in EXPERIMENTS["augmentation_ratios"]]
        + (
            [EQUAL_POOL]
            if generator == "all" and EXPERIMENTS["pool"]["equal_size"]
            else []
        )
    )


def run_metrics(dataset, setting, generator, seeds, test_on=None):
    """metrics.json of every fraction and seed of one (dataset, setting, generator)."""
    return [
        metrics_path(dataset, setting, generator, f, s, test_on)
        for f in FRACTIONS
        for s in seeds
    ]


def run_predictions(dataset, setting, generator, seeds, test_on=None):
    """predictions.npz (test-set class probabilities) beside each metrics.json of run_metrics."""
    return [
        predictions_path(m)
        for m in run_metrics(dataset, setting, generator, seeds, test_on)
    ]


def runs_of(dataset, settings, generator, seeds, test_on=None):
    """{'metrics': [...], 'predictions': [...]} of every run of several settings."""
    return {
        kind: [m for s in settings for m in of(dataset, s, generator, seeds, test_on)]
        for kind, of in (("metrics", run_metrics), ("predictions", run_predictions))
    }


def prepared_split_files(dataset):
    """The prepared splits of a dataset (synecg.data.store contract)."""
    return [
        f"{dataset_dir(dataset)}/{name}"
        for name in ("records.csv", "train.npy", "val.npy", "test.npy")
    ]


def prepared_inputs(wildcards):
    return prepared_split_files(wildcards.dataset)


def bank_inputs(wildcards):
    return bank_files(wildcards.dataset, wildcards.generator)


def bank_names(wildcards):
    """The generators whose banks make up {generator} (the pool's enabled members for `all`)."""
    return POOL if wildcards.generator == "all" else [wildcards.generator]


def baseline_models_for_trts(wildcards):
    """TrRTeS tests the dataset's real-only classifiers on the bank's test split."""
    return (
        [models_path(wildcards.dataset, "TrRTeR", REAL_GENERATOR)]
        if EVALUATE_TRTS
        else []
    )


def cross_test_files(wildcards):
    return [
        f"{dataset_dir(d)}/{name}"
        for d in CROSS_DATASETS
        for name in ("records.csv", "test.npy")
    ]


def job_params(dataset, generator, seeds):
    """Everything a classifier job depends on (synecg.experiments.runs.JobSpec)."""
    return {
        "dataset": dataset,
        "generator": generator,
        "fractions": [float(f) for f in FRACTIONS],
        "seeds": list(seeds),
        "model": model_settings(config, dataset),
        "training": training_settings(config, dataset),
        "master_seed": config["seed"],
    }


def all_experiment_runs():
    """Every run of the grid (the aggregation's inputs): {'metrics': [...], 'predictions': [...]}."""
    parts = []
    for d in DATASETS:
        parts.append(runs_of(d, ["TrRTeR"], REAL_GENERATOR, BASELINE_SEEDS))
        if BALANCED_ON:
            parts.append(runs_of(d, [BALANCED], REAL_GENERATOR, BASELINE_SEEDS))
        for g in GENERATORS_AND_ALL:
            parts.append(runs_of(d, SYNTHETIC_SETTINGS, g, SEEDS))
            if EVALUATE_TRTS:
                parts.append(runs_of(d, ["TrRTeS"], g, SEEDS))
            if AUGMENT:
                parts.append(runs_of(d, augment_settings(g), g, SEEDS))
            if TRANSFER_ON:
                parts.append(runs_of(d, TRANSFER_SETTINGS, g, TRANSFER_SEEDS))
    for target in CROSS_DATASETS:
        parts.append(
            runs_of("merged", ["TrRTeR"], REAL_GENERATOR, BASELINE_SEEDS, target)
        )
    return {
        k: [f for part in parts for f in part[k]] for k in ("metrics", "predictions")
    }


def experiment_targets():
    return [
        f"results/tables/{t}.{ext}"
        for t in EXPERIMENT_TABLES
        for ext in ("csv", "md", "tex")
        if not (t == "experiments_runs" and ext != "csv")
    ] + list(EXPERIMENT_FIGURES.values())
