# Stage 3a (optional): hyper-parameter search of the classifier on the training and validation
# splits only (Optuna, docs/classifier.md "Hyper-parameter search"). Per dataset: one study in an
# Optuna storage, tuning.workers worker jobs sharing it, then the best preset, the trial table and
# the optimisation history. With classifier.preset_family tuned the classifier jobs read best.yaml.


include: "common/tuning.smk"


rule create_tuning_study:
    output:
        study=f"{TUNING_DIR}/{{dataset}}/study.yaml",
    log:
        "logs/create_tuning_study/{dataset}.log",
    benchmark:
        "results/benchmarks/create_tuning_study/{dataset}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: res("light", "threads")
    resources:
        mem_mb=res("light", "mem_mb"),
        runtime=res("light", "runtime"),
        gpu=res("light", "gpu"),
    params:
        study=study_params,
    script:
        "../scripts/create_tuning_study.py"


rule tune_classifier:
    input:
        prepared=tuning_inputs,
        study=f"{TUNING_DIR}/{{dataset}}/study.yaml",
    output:
        trials=f"{TUNING_DIR}/{{dataset}}/workers/{{worker}}.csv",
    log:
        "logs/tune_classifier/{dataset}/{worker}.log",
    benchmark:
        "results/benchmarks/tune_classifier/{dataset}/{worker}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: res("classifier", "threads")
    resources:
        mem_mb=res("classifier", "mem_mb"),
        runtime=res("classifier", "runtime"),
        gpu=res("classifier", "gpu"),
    params:
        data_dir=lambda w: dataset_dir(w.dataset),
        device=config["compute"]["device"],
    script:
        "../scripts/tune_classifier.py"


rule summarise_tuning:
    input:
        study=f"{TUNING_DIR}/{{dataset}}/study.yaml",
        workers=expand(
            f"{TUNING_DIR}/{{{{dataset}}}}/workers/{{worker}}.csv",
            worker=TUNING_WORKERS,
        ),
    output:
        best=f"{TUNING_DIR}/{{dataset}}/best.yaml",
        trials=report(
            f"{TUNING_DIR}/{{dataset}}/trials.csv",
            caption="../report/tuning_trials.rst",
            category="Tuning",
            subcategory="{dataset}",
        ),
    log:
        "logs/summarise_tuning/{dataset}.log",
    benchmark:
        "results/benchmarks/summarise_tuning/{dataset}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: res("light", "threads")
    resources:
        mem_mb=res("light", "mem_mb"),
        runtime=res("light", "runtime"),
        gpu=res("light", "gpu"),
    script:
        "../scripts/summarise_tuning.py"


rule plot_tuning_history:
    input:
        trials=f"{TUNING_DIR}/{{dataset}}/trials.csv",
    output:
        report(
            f"{TUNING_DIR}/{{dataset}}/history.png",
            caption="../report/tuning_history.rst",
            category="Tuning",
            subcategory="{dataset}",
        ),
    log:
        "logs/plot_tuning_history/{dataset}.log",
    benchmark:
        "results/benchmarks/plot_tuning_history/{dataset}.tsv"
    conda:
        "../../envs/eval.yaml"
    threads: res("light", "threads")
    resources:
        mem_mb=res("light", "mem_mb"),
        runtime=res("light", "runtime"),
        gpu=res("light", "gpu"),
    params:
        metric=TUNING["metric"],
    script:
        "../scripts/plot_tuning_history.py"
