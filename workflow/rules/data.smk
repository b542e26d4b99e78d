# Stage 1: raw WFDB records -> prepared arrays (results/data/{dataset}/), see synecg.data.store.
# Raw data per dataset come from config `datasets.<name>.source`: demo (simulated here),
# local (an existing folder) or physionet (downloaded into resources/ and verified).

PHYSIONET_URLS = {
    "ptbxl": "https://physionet.org/files/ptb-xl/1.0.3/",
    "chapman": "https://physionet.org/files/ecg-arrhythmia/1.0.0/",
}
PREPARED_FILES = ["records.csv", "summary.csv"] + [f"{split}.npy" for split in SPLITS]


def raw_root(dataset):
    """Folder holding the raw files of a source dataset."""
    source = config["datasets"][dataset]
    if source["source"] == "local":
        if not source.get("path"):
            raise ValueError(
                f"config datasets.{dataset}: source is local but no path is given"
            )
        return source["path"]
    return f"resources/{source['source']}/{dataset}"


def raw_input(wildcards):
    """What prepare_dataset waits for: the simulated tree, the verified download, or the local
    metadata table (so a wrong path fails at planning time, naming the file)."""
    dataset = wildcards.dataset
    source = config["datasets"][dataset]["source"]
    if source == "demo":
        return f"resources/demo/{dataset}"
    if source == "physionet":
        return f"resources/physionet/{dataset}.verified.json"
    root = raw_root(dataset)
    return f"{root}/ptbxl_database.csv" if dataset == "ptbxl" else root


def prepared_files(dataset):
    return [f"{dataset_dir(dataset)}/{name}" for name in PREPARED_FILES]


def physionet_url(wildcards):
    return (
        config["datasets"][wildcards.dataset].get("url")
        or PHYSIONET_URLS[wildcards.dataset]
    )


def data_targets():
    return [f for d in DATASETS for f in prepared_files(d)] + [
        f"{dataset_dir(d)}/summary.png" for d in DATASETS
    ]


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
