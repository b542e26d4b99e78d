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


rule embed_bank:
    input:
        bank=fidelity_bank_files,
        model=f"{FIDELITY_DIR}/{{dataset}}/extractor.pt",
        real=f"{FIDELITY_DIR}/{{dataset}}/real_features.npz",
        prepared=fidelity_prepared,
    output:
        f"{FIDELITY_DIR}/{{dataset}}/{{generator}}/features.npz",
    log:
        "logs/embed_bank/{dataset}/{generator}.log",
    benchmark:
        "results/benchmarks/embed_bank/{dataset}/{generator}.tsv"
    wildcard_constraints:
        generator="|".join(FIDELITY_BANKS),
    conda:
        "../../envs/eval.yaml"
    threads: res("fidelity", "threads")
    resources:
        mem_mb=res("fidelity", "mem_mb"),
        runtime=res("fidelity", "runtime"),
        gpu=res("fidelity", "gpu"),
    params:
        bank_dir=lambda w: fidelity_bank_dirs(w.dataset, w.generator)[0],
        external=lambda w: w.generator in FIDELITY_EXTERNAL,
        data_dir=lambda w: dataset_dir(w.dataset),
        randconv=FIDELITY["randconv"],
        physiology_max_per_class=FIDELITY["physiology_max_per_class"],
        seed=config["seed"],
        fs=config["sampling_rate"],
        device=config["compute"]["device"],
    script:
        "../scripts/embed_bank.py"


rule score_fidelity:
    input:
        prepared=fidelity_prepared,
        real=f"{FIDELITY_DIR}/{{dataset}}/real_features.npz",
        extractor=f"{FIDELITY_DIR}/{{dataset}}/extractor.json",
        bank=fidelity_bank_files,
        features=fidelity_bank_features,
    output:
        f"{FIDELITY_DIR}/{{dataset}}/{{generator}}/metrics.json",
    log:
        "logs/score_fidelity/{dataset}/{generator}.log",
    benchmark:
        "results/benchmarks/score_fidelity/{dataset}/{generator}.tsv"
    wildcard_constraints:
        generator="|".join(FIDELITY_BANKS),
    conda:
        "../../envs/eval.yaml"
    threads: res("fidelity", "threads")
    resources:
        mem_mb=res("fidelity", "mem_mb"),
        runtime=res("fidelity", "runtime"),
        gpu=res("fidelity", "gpu"),
    params:
        data_dir=lambda w: dataset_dir(w.dataset),
        bank_dirs=lambda w: fidelity_bank_dirs(w.dataset, w.generator),
        fidelity=FIDELITY_METRICS,
        seed=config["seed"],
        fs=config["sampling_rate"],
    script:
        "../scripts/score_fidelity.py"


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
        bank_dirs=[],
        per_class=config["bank"]["per_class"],
        fidelity=FIDELITY_METRICS,
        seed=config["seed"],
        fs=config["sampling_rate"],
    script:
        "../scripts/score_fidelity.py"


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


rule plot_fidelity:
    input:
        prepared=fidelity_prepared,
        real=f"{FIDELITY_DIR}/{{dataset}}/real_features.npz",
        bank=fidelity_bank_files,
        features=fidelity_bank_features,
    output:
        **{
            name: report(
                fidelity_figure("{dataset}", "{generator}", name),
                caption=f"../report/fidelity_{name}.rst",
                category="Fidelity",
                subcategory="{dataset} / {generator}",
                labels={
                    "dataset": "{dataset}",
                    "generator": "{generator}",
                    "figure": name,
                },
            )
            for name in FIDELITY_FIGURES
        },
    log:
        "logs/plot_fidelity/{dataset}/{generator}.log",
    benchmark:
        "results/benchmarks/plot_fidelity/{dataset}/{generator}.tsv"
    wildcard_constraints:
        generator="|".join(FIDELITY_BANKS),
    conda:
        "../../envs/eval.yaml"
    threads: res("fidelity", "threads")
    resources:
        mem_mb=res("fidelity", "mem_mb"),
        runtime=res("fidelity", "runtime"),
        gpu=res("fidelity", "gpu"),
    params:
        data_dir=lambda w: dataset_dir(w.dataset),
        bank_dirs=lambda w: fidelity_bank_dirs(w.dataset, w.generator),
        plots=FIDELITY["plots"],
        seed=config["seed"],
        fs=config["sampling_rate"],
    script:
        "../scripts/plot_fidelity.py"
