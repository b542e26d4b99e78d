# Stage 3: classifier runs over the experiment grid, aggregated tables and figures.
# One job = every fraction and seed of one (dataset, setting family, generator); params carry only
# what that job depends on (its dataset's preset, the shared training settings, its grid), so a
# change to one dataset's preset or to the synthetic ratio re-runs only the jobs it affects.


include: "common/experiments.smk"


rule train_real_classifier:
    input:
        prepared=prepared_inputs,
    output:
        manifests=manifests("{dataset}", ["TrRTeR"], REAL_GENERATOR),
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
        setting="TrRTeR",
        data_dir=lambda w: dataset_dir(w.dataset),
        device=config["compute"]["device"],
    script:
        "../scripts/train_real_classifier.py"


if BALANCED_ON:

    # The balanced real-only control: the baseline's real subsets and seeds, oversampled to balance.
    rule train_balanced_classifier:
        input:
            prepared=prepared_inputs,
        output:
            manifests=manifests("{dataset}", [BALANCED], REAL_GENERATOR),
        log:
            "logs/train_balanced_classifier/{dataset}.log",
        benchmark:
            "results/benchmarks/train_balanced_classifier/{dataset}.tsv"
        conda:
            "../../envs/torch.yaml"
        threads: res("classifier", "threads")
        resources:
            mem_mb=res("classifier", "mem_mb"),
            runtime=res("classifier", "runtime"),
            gpu=res("classifier", "gpu"),
        params:
            job=lambda w: job_params(w.dataset, REAL_GENERATOR, BASELINE_SEEDS),
            setting=BALANCED,
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
            manifests=[
                manifest_path("merged", "TrRTeR", REAL_GENERATOR, d)
                for d in CROSS_DATASETS
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
            manifests=manifests(
                "{dataset}",
                SYNTHETIC_SETTINGS + (["TrRTeS"] if EVALUATE_TRTS else []),
                "{generator}",
            ),
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
            bank_dirs=lambda w: experiment_bank_dirs(w.dataset, w.generator),
            bank_names=bank_names,
            bank_split=EXPERIMENTS["bank_split"],
            device=config["compute"]["device"],
        script:
            "../scripts/train_synthetic_classifier.py"


if AUGMENT:

    # Every TrRSTeR arm of one (dataset, generator): the whole bank and the ratio sweep; the
    # control banks (generator control-<name>) run here too.
    rule train_augmented_classifier:
        input:
            prepared=prepared_inputs,
            banks=bank_inputs,
        output:
            manifests=manifests("{dataset}", augment_settings(None), "{generator}"),
        log:
            "logs/train_augmented_classifier/{dataset}/{generator}.log",
        benchmark:
            "results/benchmarks/train_augmented_classifier/{dataset}/{generator}.tsv"
        wildcard_constraints:
            generator="|".join(EXPERIMENT_GENERATORS + CONTROL_GENERATORS),
        conda:
            "../../envs/torch.yaml"
        threads: res("classifier", "threads")
        resources:
            mem_mb=res("classifier", "mem_mb"),
            runtime=res("classifier", "runtime"),
            gpu=res("classifier", "gpu"),
        params:
            job=lambda w: job_params(w.dataset, w.generator, SEEDS),
            settings=augment_settings(None),
            data_dir=lambda w: dataset_dir(w.dataset),
            bank_dirs=lambda w: experiment_bank_dirs(w.dataset, w.generator),
            bank_names=bank_names,
            bank_split=EXPERIMENTS["bank_split"],
            device=config["compute"]["device"],
        script:
            "../scripts/train_augmented_classifier.py"


if AUGMENT and "all" in EXPERIMENT_GENERATORS and EXPERIMENTS["pool"]["equal_size"]:

    # The pool drawn down to one bank's size, beside the full pool (diversity without quantity).
    rule train_equal_pool_classifier:
        input:
            prepared=prepared_inputs,
            banks=lambda w: experiment_bank_files(w.dataset, "all"),
        output:
            manifests=manifests("{dataset}", [EQUAL_POOL], "all"),
        log:
            "logs/train_equal_pool_classifier/{dataset}.log",
        benchmark:
            "results/benchmarks/train_equal_pool_classifier/{dataset}.tsv"
        conda:
            "../../envs/torch.yaml"
        threads: res("classifier", "threads")
        resources:
            mem_mb=res("classifier", "mem_mb"),
            runtime=res("classifier", "runtime"),
            gpu=res("classifier", "gpu"),
        params:
            job=lambda w: job_params(w.dataset, "all", SEEDS),
            settings=[EQUAL_POOL],
            data_dir=lambda w: dataset_dir(w.dataset),
            bank_dirs=lambda w: experiment_bank_dirs(w.dataset, "all"),
            bank_names=POOL,
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
            manifests=manifests("{dataset}", TRANSFER_SETTINGS, "{generator}"),
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
            bank_dirs=lambda w: experiment_bank_dirs(w.dataset, w.generator),
            bank_names=bank_names,
            bank_split=EXPERIMENTS["bank_split"],
            device=config["compute"]["device"],
        script:
            "../scripts/transfer_classifier.py"


rule aggregate_experiments:
    input:
        manifests=all_experiment_manifests(),
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
        primary_endpoint=EXPERIMENTS["primary_endpoint"],
        multiplicity=EXPERIMENTS["multiplicity"],
        answer_classes=EXPERIMENTS["answer_classes"],
    script:
        "../scripts/aggregate_experiments.py"


rule plot_answer:
    input:
        answer="results/tables/answer.csv",
    output:
        report(
            EXPERIMENT_FIGURES["answer"],
            caption="../report/answer.rst",
            category="Experiments",
        ),
    log:
        "logs/plot_answer/all.log",
    benchmark:
        "results/benchmarks/plot_answer/all.tsv"
    conda:
        "../../envs/eval.yaml"
    threads: res("light", "threads")
    resources:
        mem_mb=res("light", "mem_mb"),
        runtime=res("light", "runtime"),
        gpu=res("light", "gpu"),
    script:
        "../scripts/plot_answer.py"


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
        datasets=BANK_DATASETS,
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
        datasets=BANK_DATASETS,
        metric=EXPERIMENTS["primary_metric"],
    script:
        "../scripts/plot_augmentation.py"


rule plot_baseline_confusion:
    input:
        manifests=[manifest_path(d, "TrRTeR", REAL_GENERATOR) for d in DATASETS],
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
        fraction=float(LARGEST_FRACTION),
    script:
        "../scripts/plot_baseline_confusion.py"
