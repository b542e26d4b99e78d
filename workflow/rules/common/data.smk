# Imports, constants and input functions of the data stage (data.smk holds its rules).
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
