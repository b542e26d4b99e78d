# Stage 4: fidelity and privacy of each bank against the real training split.
# Per dataset: a frozen feature extractor trained on the real training split only (validation for
# early stopping), then per-set caches (features, predictions, physiology) computed once, then one
# metrics.json per (dataset, generator) plus the real-vs-real reference, the table and the figures.


include: "common/fidelity.smk"


rule train_fidelity_extractor:
    input:
        prepared=fidelity_prepared,
    output:
        model=f"{FIDELITY_DIR}/{{dataset}}/extractor.pt",
        info=f"{FIDELITY_DIR}/{{dataset}}/extractor.json",
    log:
        "logs/train_fidelity_extractor/{dataset}.log",
    benchmark:
        "results/benchmarks/train_fidelity_extractor/{dataset}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: res("classifier", "threads")
    resources:
        mem_mb=res("classifier", "mem_mb"),
        runtime=res("classifier", "runtime"),
        gpu=res("classifier", "gpu"),
    params:
        data_dir=lambda w: dataset_dir(w.dataset),
        model=lambda w: model_settings(config, w.dataset),
        training=lambda w: training_settings(config, w.dataset),
        seed=config["seed"],
        device=config["compute"]["device"],
    script:
        "../scripts/train_fidelity_extractor.py"


rule embed_real:
    input:
        prepared=fidelity_prepared,
        model=f"{FIDELITY_DIR}/{{dataset}}/extractor.pt",
    output:
        f"{FIDELITY_DIR}/{{dataset}}/real_features.npz",
    log:
        "logs/embed_real/{dataset}.log",
    benchmark:
        "results/benchmarks/embed_real/{dataset}.tsv"
    conda:
        "../../envs/eval.yaml"
    threads: res("fidelity", "threads")
    resources:
        mem_mb=res("fidelity", "mem_mb"),
        runtime=res("fidelity", "runtime"),
        gpu=res("fidelity", "gpu"),
    params:
        data_dir=lambda w: dataset_dir(w.dataset),
        randconv=FIDELITY["randconv"],
        physiology_max_per_class=FIDELITY["physiology_max_per_class"],
        per_class=config["bank"]["per_class"],
        seed=config["seed"],
        fs=config["sampling_rate"],
        device=config["compute"]["device"],
    script:
        "../scripts/embed_real.py"


rule fidelity_bank:
    input:
        bank=fidelity_bank_files,
        prepared=fidelity_prepared,
        model=f"{FIDELITY_DIR}/{{dataset}}/extractor.pt",
        extractor=f"{FIDELITY_DIR}/{{dataset}}/extractor.json",
        real=f"{FIDELITY_DIR}/{{dataset}}/real_features.npz",
    output:
        **fidelity_figure_outputs("{generator}"),
        features=f"{FIDELITY_DIR}/{{dataset}}/{{generator}}/features.npz",
        metrics=f"{FIDELITY_DIR}/{{dataset}}/{{generator}}/metrics.json",
        bank_figure=report(
            "results/figures/banks/{dataset}/{generator}.png",
            caption="../report/plot_bank.rst",
            category="Generators",
            subcategory="{dataset}",
            labels={"dataset": "{dataset}", "generator": "{generator}"},
        ),
    log:
        "logs/fidelity_bank/{dataset}/{generator}.log",
    benchmark:
        "results/benchmarks/fidelity_bank/{dataset}/{generator}.tsv"
    wildcard_constraints:
        generator="|".join(GENERATORS),
    conda:
        "../../envs/eval.yaml"
    threads: res("fidelity", "threads")
    resources:
        mem_mb=res("fidelity", "mem_mb"),
        runtime=res("fidelity", "runtime"),
        gpu=res("fidelity", "gpu"),
    params:
        bank_dirs=lambda w: fidelity_bank_dirs(w.dataset, w.generator),
        external=lambda w: w.generator in FIDELITY_EXTERNAL,
        data_dir=lambda w: dataset_dir(w.dataset),
        fidelity=FIDELITY_METRICS,
        plots=FIDELITY["plots"],
        seed=config["seed"],
        fs=config["sampling_rate"],
        device=config["compute"]["device"],
    script:
        "../scripts/fidelity_bank.py"


if FIDELITY_EXTERNAL:

    # The same job for a bank made elsewhere, less the bank figure of our generators' banks.
    use rule fidelity_bank as fidelity_external_bank with:
        output:
            **fidelity_figure_outputs("{generator}"),
            features=f"{FIDELITY_DIR}/{{dataset}}/{{generator}}/features.npz",
            metrics=f"{FIDELITY_DIR}/{{dataset}}/{{generator}}/metrics.json",
        log:
            "logs/fidelity_external_bank/{dataset}/{generator}.log",
        benchmark:
            "results/benchmarks/fidelity_external_bank/{dataset}/{generator}.tsv"
        wildcard_constraints:
            generator="|".join(FIDELITY_EXTERNAL),


if "all" in FIDELITY_GENERATORS:

    # The pool `all`: the experiments' pool members (experiments.pool.members), scored from their
    # cached features (made by their fidelity_bank jobs), with no embedding of its own.
    rule fidelity_pool:
        input:
            bank=lambda w: fidelity_bank_files(w, "all"),
            features=lambda w: fidelity_pool_features(w.dataset),
            prepared=fidelity_prepared,
            extractor=f"{FIDELITY_DIR}/{{dataset}}/extractor.json",
            real=f"{FIDELITY_DIR}/{{dataset}}/real_features.npz",
        output:
            **fidelity_figure_outputs("all"),
            metrics=f"{FIDELITY_DIR}/{{dataset}}/all/metrics.json",
        log:
            "logs/fidelity_pool/{dataset}.log",
        benchmark:
            "results/benchmarks/fidelity_pool/{dataset}.tsv"
        conda:
            "../../envs/eval.yaml"
        threads: res("fidelity", "threads")
        resources:
            mem_mb=res("fidelity", "mem_mb"),
            runtime=res("fidelity", "runtime"),
            gpu=res("fidelity", "gpu"),
        params:
            bank_dirs=lambda w: fidelity_bank_dirs(w.dataset, "all"),
            data_dir=lambda w: dataset_dir(w.dataset),
            fidelity=FIDELITY_METRICS,
            plots=FIDELITY["plots"],
            seed=config["seed"],
            fs=config["sampling_rate"],
        script:
            "../scripts/fidelity_bank.py"


rule score_fidelity_reference:
    input:
        prepared=fidelity_prepared,
        real=f"{FIDELITY_DIR}/{{dataset}}/real_features.npz",
        extractor=f"{FIDELITY_DIR}/{{dataset}}/extractor.json",
    output:
        floor=f"{FIDELITY_DIR}/{{dataset}}/reference/metrics.json",
        ceiling=f"{FIDELITY_DIR}/{{dataset}}/ceiling/metrics.json",
    log:
        "logs/score_fidelity_reference/{dataset}.log",
    benchmark:
        "results/benchmarks/score_fidelity_reference/{dataset}.tsv"
    conda:
        "../../envs/eval.yaml"
    threads: res("fidelity", "threads")
    resources:
        mem_mb=res("fidelity", "mem_mb"),
        runtime=res("fidelity", "runtime"),
        gpu=res("fidelity", "gpu"),
    params:
        data_dir=lambda w: dataset_dir(w.dataset),
        per_class=config["bank"]["per_class"],
        fidelity=FIDELITY_METRICS,
        seed=config["seed"],
        fs=config["sampling_rate"],
    script:
        "../scripts/score_fidelity_reference.py"


rule tabulate_fidelity:
    input:
        fidelity_metrics_files(),
    output:
        csv=report(
            "results/tables/fidelity.csv",
            caption="../report/fidelity_table.rst",
            category="Fidelity",
            subcategory="Table",
        ),
        md="results/tables/fidelity.md",
        tex="results/tables/fidelity.tex",
    log:
        "logs/tabulate_fidelity/all.log",
    benchmark:
        "results/benchmarks/tabulate_fidelity/all.tsv"
    conda:
        "../../envs/eval.yaml"
    threads: res("light", "threads")
    resources:
        mem_mb=res("light", "mem_mb"),
        runtime=res("light", "runtime"),
        gpu=res("light", "gpu"),
    script:
        "../scripts/tabulate_fidelity.py"
