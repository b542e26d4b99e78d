# Imports, constants and input functions of the experiments stage (experiments.smk holds its rules).
from synecg.experiments.settings import (
    BALANCED,
    CONTROL_PREFIX,
    EQUAL_POOL,
    REAL_GENERATOR,
    control_generator,
    fraction_label,
    is_control,
    manifest_path,
    job_preset,
    model_settings,
    models_path,
    pretrained_path,
    ratio_setting,
    training_settings,
    transfer_setting,
    tuned_preset_path,
)

EXPERIMENTS = config["experiments"]
# The pooled generator `all` of the experiments: the enabled members of experiments.pool.members
# (the paper's sssd, timediffusion, timevqvae), not every enabled bank.
POOL = [g for g in EXPERIMENTS["pool"]["members"] if g in GENERATORS]
EXPERIMENT_GENERATORS = GENERATORS + (["all"] if len(POOL) > 1 else [])
FRACTIONS = [fraction_label(f) for f in EXPERIMENTS["fractions"]]
LARGEST_FRACTION = max(FRACTIONS, key=float)
if fraction_label(EXPERIMENTS["primary_endpoint"]["fraction"]) not in FRACTIONS:
    raise ValueError(
        f"experiments.primary_endpoint.fraction {EXPERIMENTS['primary_endpoint']['fraction']} "
        f"is not one of experiments.fractions {EXPERIMENTS['fractions']}"
    )
SEEDS = list(EXPERIMENTS["seeds"])
SYNTHETIC_SETTINGS = [
    s for s in ("TrSTeR", "TrSTeS") if s in EXPERIMENTS["settings"] and GENERATORS
]
EVALUATE_TRTS = "TrRTeS" in EXPERIMENTS["settings"] and bool(GENERATORS)
# Control banks (real training records as banks) run the TrRSTeR arms only, each in the generator
# slot control-<name>; they never join the pool `all`, nor TrSTeR/TrRTeS/transfer/fidelity.
CONTROLS = list(EXPERIMENTS["control_banks"])
if CONTROLS and "TrRSTeR" not in EXPERIMENTS["settings"]:
    raise ValueError(
        f"experiments.control_banks {CONTROLS} run the TrRSTeR arms: add TrRSTeR to "
        "experiments.settings or set experiments.control_banks: []"
    )
CONTROL_GENERATORS = [control_generator(c) for c in CONTROLS]
AUGMENT = "TrRSTeR" in EXPERIMENTS["settings"] and bool(GENERATORS or CONTROLS)
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


def manifests(dataset, settings, generator, test_on=None):
    """runs.json of each setting of one (dataset, generator): the list of its runs' metrics files
    (every fraction and seed), which the jobs write beside the runs' predictions."""
    return [manifest_path(dataset, s, generator, test_on) for s in settings]


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


def pool_parts(generator):
    """The generators whose banks make up {generator} in the experiments (the pool for `all`)."""
    return POOL if generator == "all" else [generator]


def experiment_bank_dirs(dataset, generator):
    """Bank folders of {generator}: its bank, the pool's for `all`, a control bank's for control-*."""
    if is_control(generator):
        return [control_bank_dir(dataset, generator.removeprefix(CONTROL_PREFIX))]
    return [d for g in pool_parts(generator) for d in bank_dirs(dataset, g)]


def experiment_bank_files(dataset, generator):
    return contract_files(experiment_bank_dirs(dataset, generator))


def bank_inputs(wildcards):
    return experiment_bank_files(wildcards.dataset, wildcards.generator)


def bank_names(wildcards):
    """The generators whose banks make up {generator} (the pool's enabled members for `all`)."""
    return pool_parts(wildcards.generator)


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
        **job_preset(config, dataset),
        "master_seed": config["seed"],
    }


def all_experiment_manifests():
    """The manifest of every (dataset, setting, generator) of the grid (the aggregation's inputs)."""
    files = []
    for d in DATASETS:
        files += manifests(
            d, ["TrRTeR"] + ([BALANCED] if BALANCED_ON else []), REAL_GENERATOR
        )
        if d not in BANK_DATASETS:
            continue
        for g in EXPERIMENT_GENERATORS:
            files += manifests(d, SYNTHETIC_SETTINGS, g)
            if EVALUATE_TRTS:
                files += manifests(d, ["TrRTeS"], g)
            if AUGMENT:
                files += manifests(d, augment_settings(g), g)
            if TRANSFER_ON:
                files += manifests(d, TRANSFER_SETTINGS, g)
        for g in CONTROL_GENERATORS:
            files += manifests(d, augment_settings(g), g)
    for target in CROSS_DATASETS:
        files += manifests("merged", ["TrRTeR"], REAL_GENERATOR, target)
    return files


def experiment_targets():
    return [
        f"results/tables/{t}.{ext}"
        for t in EXPERIMENT_TABLES
        for ext in ("csv", "md", "tex")
        if not (t == "experiments_runs" and ext != "csv")
    ] + list(EXPERIMENT_FIGURES.values())
