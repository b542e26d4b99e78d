# Imports, constants and input functions of the experiments stage (experiments.smk holds its rules).
from synecg.experiments.settings import (
    REAL_GENERATOR,
    TRANSFER,
    fraction_label,
    job_preset,
    metrics_path,
    model_settings,
    models_path,
    pretrained_path,
    training_settings,
    tuned_preset_path,
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
# The real-only baseline runs every seed any comparison needs, so that all differences are paired.
BASELINE_SEEDS = sorted(set(SEEDS) | set(TRANSFER_SEEDS))
CROSS_DATASETS = (
    SOURCE_DATASETS if EXPERIMENTS["cross_dataset"] and "merged" in DATASETS else []
)
EXPERIMENT_FIGURES = {
    "transfer_curves": "results/figures/experiments/transfer_curves.png",
    "augmentation": "results/figures/experiments/augmentation.png",
    "baseline_confusion": "results/figures/experiments/baseline_confusion.png",
}
EXPERIMENT_TABLES = [
    "experiments_runs",
    "experiments_summary",
    "baselines",
    "synthetic_settings",
    "augmentation",
    "transfer",
    "cross_dataset",
    "paired_vs_real",
]


def run_metrics(dataset, setting, generator, seeds, test_on=None):
    """metrics.json of every fraction and seed of one (dataset, setting, generator)."""
    return [
        metrics_path(dataset, setting, generator, f, s, test_on)
        for f in FRACTIONS
        for s in seeds
    ]


def prepared_split_files(dataset):
    """The prepared splits of a dataset (synecg.data.store contract)."""
    return [
        f"{dataset_dir(dataset)}/{name}"
        for name in ("records.csv", "train.npy", "val.npy", "test.npy")
    ]


def prepared_inputs(wildcards):
    """The prepared splits, and with classifier.preset_family tuned the dataset's best.yaml."""
    tuned = config["classifier"]["preset_family"] == "tuned"
    return prepared_split_files(wildcards.dataset) + (
        [tuned_preset_path(wildcards.dataset)] if tuned else []
    )


def bank_inputs(wildcards):
    return bank_files(wildcards.dataset, wildcards.generator)


def bank_names(wildcards):
    """The generators whose banks make up {generator} (all enabled ones for `all`)."""
    return GENERATORS if wildcards.generator == "all" else [wildcards.generator]


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


def job_params(dataset, generator, seeds, ratio=False):
    """Everything a classifier job depends on (synecg.experiments.runs.JobSpec)."""
    return {
        "dataset": dataset,
        "generator": generator,
        "fractions": [float(f) for f in FRACTIONS],
        "seeds": list(seeds),
        **job_preset(config, dataset),
        "master_seed": config["seed"],
        "synthetic_ratio": EXPERIMENTS["synthetic_ratio"] if ratio else None,
    }


def all_experiment_metrics():
    """Every metrics file of the grid (the aggregation's inputs)."""
    files = []
    for d in DATASETS:
        files += run_metrics(d, "TrRTeR", REAL_GENERATOR, BASELINE_SEEDS)
        for g in GENERATORS_AND_ALL:
            for setting in SYNTHETIC_SETTINGS:
                files += run_metrics(d, setting, g, SEEDS)
            if EVALUATE_TRTS:
                files += run_metrics(d, "TrRTeS", g, SEEDS)
            if AUGMENT:
                files += run_metrics(d, "TrRSTeR", g, SEEDS)
            if TRANSFER_ON:
                files += run_metrics(d, TRANSFER, g, TRANSFER_SEEDS)
    for target in CROSS_DATASETS:
        files += run_metrics("merged", "TrRTeR", REAL_GENERATOR, BASELINE_SEEDS, target)
    return files


def experiment_targets():
    return [
        f"results/tables/{t}.{ext}"
        for t in EXPERIMENT_TABLES
        for ext in ("csv", "md", "tex")
        if not (t == "experiments_runs" and ext != "csv")
    ] + list(EXPERIMENT_FIGURES.values())
