# Stage 1: raw WFDB records -> prepared arrays (results/data/{dataset}/), see synecg.data.store.
# Raw data per dataset come from config `datasets.<name>.source`: demo (simulated here),
# local (an existing folder) or physionet (downloaded into resources/ and verified).


include: "common/data.smk"


rule simulate_demo:
    output:
        directory("resources/demo/{dataset}"),
    log:
        "logs/simulate_demo/{dataset}.log",
    benchmark:
        "results/benchmarks/simulate_demo/{dataset}.tsv"
    wildcard_constraints:
        dataset="ptbxl|chapman",
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        mem_mb=res("data", "mem_mb"),
        runtime=res("data", "runtime"),
        gpu=res("data", "gpu"),
    params:
        demo=config["demo"],
        seed=config["seed"],
        seconds=config["signal_seconds"],
    script:
        "../scripts/simulate_demo.py"


rule download_physionet:
    output:
        "resources/physionet/{dataset}.verified.json",
    log:
        "logs/download_physionet/{dataset}.log",
    benchmark:
        "results/benchmarks/download_physionet/{dataset}.tsv"
    wildcard_constraints:
        dataset="ptbxl|chapman",
    conda:
        "../../envs/data.yaml"
    threads: res("data", "threads")
    resources:
        mem_mb=res("light", "mem_mb"),
        runtime=res("data", "runtime"),
        gpu=res("data", "gpu"),
    params:
        url=physionet_url,
        folder="resources/physionet/{dataset}",
    script:
        "../scripts/download_physionet.py"


rule prepare_dataset:
    input:
        raw_input,
    output:
        records="results/data/{dataset}/records.csv",
        summary="results/data/{dataset}/summary.csv",
        label_rules="results/data/{dataset}/label_rules.csv",
        arrays=expand("results/data/{{dataset}}/{split}.npy", split=SPLITS),
    log:
        "logs/prepare_dataset/{dataset}.log",
    benchmark:
        "results/benchmarks/prepare_dataset/{dataset}.tsv"
    wildcard_constraints:
        dataset="ptbxl|chapman",
    conda:
        "../../envs/data.yaml"
    threads: res("data", "threads")
    resources:
        mem_mb=res("data", "mem_mb"),
        runtime=res("data", "runtime"),
        gpu=res("data", "gpu"),
    params:
        root=lambda wildcards: raw_root(wildcards.dataset),
        prepare=config["prepare"],
        sampling_rate=config["sampling_rate"],
        seconds=config["signal_seconds"],
        seed=config["seed"],
    script:
        "../scripts/prepare_dataset.py"


rule merge_datasets:
    input:
        ptbxl=prepared_files("ptbxl"),
        chapman=prepared_files("chapman"),
    output:
        records="results/data/merged/records.csv",
        summary="results/data/merged/summary.csv",
        arrays=expand("results/data/merged/{split}.npy", split=SPLITS),
    log:
        "logs/merge_datasets/merged.log",
    benchmark:
        "results/benchmarks/merge_datasets/merged.tsv"
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        mem_mb=res("data", "mem_mb"),
        runtime=res("data", "runtime"),
        gpu=res("data", "gpu"),
    params:
        parts={"ptbxl": dataset_dir("ptbxl"), "chapman": dataset_dir("chapman")},
    script:
        "../scripts/merge_datasets.py"


rule plot_data_summary:
    input:
        "results/data/{dataset}/summary.csv",
    output:
        report(
            "results/data/{dataset}/summary.png",
            caption="../report/data_summary.rst",
            category="Data",
            subcategory="{dataset}",
        ),
    log:
        "logs/plot_data_summary/{dataset}.log",
    benchmark:
        "results/benchmarks/plot_data_summary/{dataset}.tsv"
    conda:
        "../../envs/data.yaml"
    threads: 1
    resources:
        mem_mb=res("light", "mem_mb"),
        runtime=res("light", "runtime"),
        gpu=res("light", "gpu"),
    script:
        "../scripts/plot_data_summary.py"
