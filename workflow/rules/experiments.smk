# Stage 3: classifier runs over the experiment grid, aggregated tables and figures.
# One job = every fraction and seed of one (dataset, setting family, generator); params carry only
# what that job depends on (its dataset's preset, the shared training settings, its grid), so a
# change to one dataset's preset or to the synthetic ratio re-runs only the jobs it affects.
from synecg.experiments.settings import (
    REAL_GENERATOR,
    TRANSFER,
    fraction_label,
    metrics_path,
    model_settings,
    models_path,
    pretrained_path,
    training_settings,
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
    return prepared_split_files(wildcards.dataset)


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
        "model": model_settings(config, dataset),
        "training": training_settings(config, dataset),
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


rule train_real_classifier:
    input:
        prepared=prepared_inputs,
    output:
        metrics=run_metrics("{dataset}", "TrRTeR", REAL_GENERATOR, BASELINE_SEEDS),
        models=models_path("{dataset}", "TrRTeR", REAL_GENERATOR),
    log:
        "logs/train_real_classifier/{dataset}.log",
    benchmark:
        "results/benchmarks/train_real_classifier/{dataset}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: res("classifier", "threads")
    resources:
        mem_mb=res("classifier", "mem_mb"),
        runtime=res("classifier", "runtime"),
        gpu=res("classifier", "gpu"),
    params:
        job=lambda w: job_params(w.dataset, REAL_GENERATOR, BASELINE_SEEDS),
        data_dir=lambda w: dataset_dir(w.dataset),
        device=config["compute"]["device"],
    script:
        "../scripts/train_real_classifier.py"


if CROSS_DATASETS:

    rule evaluate_cross_dataset:
        input:
            models=models_path("merged", "TrRTeR", REAL_GENERATOR),
            prepared=cross_test_files,
        output:
            metrics=[
                m
                for d in CROSS_DATASETS
                for m in run_metrics(
                    "merged", "TrRTeR", REAL_GENERATOR, BASELINE_SEEDS, d
                )
            ],
        log:
            "logs/evaluate_cross_dataset/merged.log",
        benchmark:
            "results/benchmarks/evaluate_cross_dataset/merged.tsv"
        conda:
            "../../envs/torch.yaml"
        threads: res("classifier", "threads")
        resources:
            mem_mb=res("classifier", "mem_mb"),
            runtime=res("classifier", "runtime"),
            gpu=res("classifier", "gpu"),
        params:
            job=job_params("merged", REAL_GENERATOR, BASELINE_SEEDS),
            targets={d: dataset_dir(d) for d in CROSS_DATASETS},
            device=config["compute"]["device"],
        script:
            "../scripts/evaluate_cross_dataset.py"


if SYNTHETIC_SETTINGS or EVALUATE_TRTS:

    # TrSTeR and TrSTeS share their classifiers (trained on the bank); TrRTeS tests the real
    # baselines on the same bank's test split. One job per (dataset, generator) loads the bank once.
    rule train_synthetic_classifier:
        input:
            prepared=prepared_inputs,
            banks=bank_inputs,
            baselines=baseline_models_for_trts,
        output:
            metrics=[
                m
                for s in SYNTHETIC_SETTINGS + (["TrRTeS"] if EVALUATE_TRTS else [])
                for m in run_metrics("{dataset}", s, "{generator}", SEEDS)
            ],
        log:
            "logs/train_synthetic_classifier/{dataset}/{generator}.log",
        benchmark:
            "results/benchmarks/train_synthetic_classifier/{dataset}/{generator}.tsv"
        conda:
            "../../envs/torch.yaml"
        threads: res("classifier", "threads")
        resources:
            mem_mb=res("classifier", "mem_mb"),
            runtime=res("classifier", "runtime"),
            gpu=res("classifier", "gpu"),
        params:
            job=lambda w: job_params(w.dataset, w.generator, SEEDS),
            settings=SYNTHETIC_SETTINGS,
            trts=EVALUATE_TRTS,
            data_dir=lambda w: dataset_dir(w.dataset),
            bank_dirs=lambda w: bank_dirs(w.dataset, w.generator),
            bank_names=bank_names,
            bank_split=EXPERIMENTS["bank_split"],
            device=config["compute"]["device"],
        script:
            "../scripts/train_synthetic_classifier.py"


if AUGMENT:

    rule train_augmented_classifier:
        input:
            prepared=prepared_inputs,
            banks=bank_inputs,
        output:
            metrics=run_metrics("{dataset}", "TrRSTeR", "{generator}", SEEDS),
        log:
            "logs/train_augmented_classifier/{dataset}/{generator}.log",
        benchmark:
            "results/benchmarks/train_augmented_classifier/{dataset}/{generator}.tsv"
        conda:
            "../../envs/torch.yaml"
        threads: res("classifier", "threads")
        resources:
            mem_mb=res("classifier", "mem_mb"),
            runtime=res("classifier", "runtime"),
            gpu=res("classifier", "gpu"),
        params:
            job=lambda w: job_params(w.dataset, w.generator, SEEDS, ratio=True),
            data_dir=lambda w: dataset_dir(w.dataset),
            bank_dirs=lambda w: bank_dirs(w.dataset, w.generator),
            bank_names=bank_names,
            bank_split=EXPERIMENTS["bank_split"],
            device=config["compute"]["device"],
        script:
            "../scripts/train_augmented_classifier.py"


if TRANSFER_ON:

    rule transfer_classifier:
        input:
            prepared=prepared_inputs,
            banks=bank_inputs,
        output:
            metrics=run_metrics("{dataset}", TRANSFER, "{generator}", TRANSFER_SEEDS),
            pretrained=pretrained_path("{dataset}", "{generator}"),
        log:
            "logs/transfer_classifier/{dataset}/{generator}.log",
        benchmark:
            "results/benchmarks/transfer_classifier/{dataset}/{generator}.tsv"
        conda:
            "../../envs/torch.yaml"
        threads: res("classifier", "threads")
        resources:
            mem_mb=res("classifier", "mem_mb"),
            runtime=res("classifier", "runtime"),
            gpu=res("classifier", "gpu"),
        params:
            job=lambda w: job_params(w.dataset, w.generator, TRANSFER_SEEDS),
            transfer=EXPERIMENTS["transfer"],
            data_dir=lambda w: dataset_dir(w.dataset),
            bank_dirs=lambda w: bank_dirs(w.dataset, w.generator),
            bank_names=bank_names,
            bank_split=EXPERIMENTS["bank_split"],
            device=config["compute"]["device"],
        script:
            "../scripts/transfer_classifier.py"


rule aggregate_experiments:
    input:
        metrics=all_experiment_metrics(),
    output:
        runs="results/tables/experiments_runs.csv",
        tables=[
            f"results/tables/{t}.{ext}"
            for t in EXPERIMENT_TABLES[1:]
            for ext in ("csv", "md", "tex")
        ],
    log:
        "logs/aggregate_experiments/all.log",
    benchmark:
        "results/benchmarks/aggregate_experiments/all.tsv"
    conda:
        "../../envs/eval.yaml"
    threads: res("light", "threads")
    resources:
        mem_mb=res("light", "mem_mb"),
        runtime=res("light", "runtime"),
        gpu=res("light", "gpu"),
    params:
        master_seed=config["seed"],
        bootstrap=EXPERIMENTS["bootstrap"],
        primary_metric=EXPERIMENTS["primary_metric"],
    script:
        "../scripts/aggregate_experiments.py"


rule plot_transfer_curves:
    input:
        summary="results/tables/experiments_summary.csv",
    output:
        report(
            EXPERIMENT_FIGURES["transfer_curves"],
            caption="../report/transfer_curves.rst",
            category="Experiments",
        ),
    log:
        "logs/plot_transfer_curves/all.log",
    benchmark:
        "results/benchmarks/plot_transfer_curves/all.tsv"
    conda:
        "../../envs/eval.yaml"
    threads: res("light", "threads")
    resources:
        mem_mb=res("light", "mem_mb"),
        runtime=res("light", "runtime"),
        gpu=res("light", "gpu"),
    params:
        datasets=DATASETS,
        metric=EXPERIMENTS["primary_metric"],
    script:
        "../scripts/plot_transfer_curves.py"


rule plot_augmentation:
    input:
        summary="results/tables/experiments_summary.csv",
    output:
        report(
            EXPERIMENT_FIGURES["augmentation"],
            caption="../report/augmentation.rst",
            category="Experiments",
        ),
    log:
        "logs/plot_augmentation/all.log",
    benchmark:
        "results/benchmarks/plot_augmentation/all.tsv"
    conda:
        "../../envs/eval.yaml"
    threads: res("light", "threads")
    resources:
        mem_mb=res("light", "mem_mb"),
        runtime=res("light", "runtime"),
        gpu=res("light", "gpu"),
    params:
        datasets=DATASETS,
        metric=EXPERIMENTS["primary_metric"],
    script:
        "../scripts/plot_augmentation.py"


rule plot_baseline_confusion:
    input:
        metrics=[
            metrics_path(d, "TrRTeR", REAL_GENERATOR, LARGEST_FRACTION, s)
            for d in DATASETS
            for s in BASELINE_SEEDS
        ],
    output:
        report(
            EXPERIMENT_FIGURES["baseline_confusion"],
            caption="../report/baseline_confusion.rst",
            category="Experiments",
        ),
    log:
        "logs/plot_baseline_confusion/all.log",
    benchmark:
        "results/benchmarks/plot_baseline_confusion/all.tsv"
    conda:
        "../../envs/eval.yaml"
    threads: res("light", "threads")
    resources:
        mem_mb=res("light", "mem_mb"),
        runtime=res("light", "runtime"),
        gpu=res("light", "gpu"),
    params:
        datasets=DATASETS,
    script:
        "../scripts/plot_baseline_confusion.py"
