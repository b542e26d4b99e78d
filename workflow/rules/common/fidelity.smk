# Imports, constants and input functions of the fidelity stage (fidelity.smk holds its rules).
FIDELITY = config["fidelity"]
# What the scoring jobs depend on (figure settings excluded, so a figure change re-runs figures only).
FIDELITY_METRICS = {k: v for k, v in FIDELITY.items() if k != "plots"}
FIDELITY_DIR = "results/fidelity"
FIDELITY_FIGURES = (
    "waveforms",
    "spectra",
    "correlation",
    "embedding",
    "physiology",
    "ecg_paper",
)


def fidelity_prepared(wildcards):
    """What the fidelity stage reads of a prepared dataset: never the test split."""
    return [
        f"{dataset_dir(wildcards.dataset)}/{name}"
        for name in ("records.csv", "train.npy", "val.npy")
    ]


def fidelity_parts(generator):
    """Generators whose cached features make up {generator}: itself, or every enabled one for `all`."""
    return GENERATORS if generator == "all" else [generator]


def fidelity_bank_features(wildcards):
    return [
        f"{FIDELITY_DIR}/{wildcards.dataset}/{g}/features.npz"
        for g in fidelity_parts(wildcards.generator)
    ]


def fidelity_bank_files(wildcards):
    return bank_files(wildcards.dataset, wildcards.generator)


def fidelity_figure(dataset, generator, name):
    return f"results/figures/fidelity/{dataset}/{generator}/{name}.png"


def fidelity_metrics_files():
    return [
        f"{FIDELITY_DIR}/{d}/{g}/metrics.json"
        for d in DATASETS
        for g in ["reference", *GENERATORS_AND_ALL]
    ]


def fidelity_targets():
    return [f"results/tables/fidelity.{ext}" for ext in ("csv", "md", "tex")] + [
        fidelity_figure(d, g, name)
        for d in DATASETS
        for g in GENERATORS_AND_ALL
        for name in FIDELITY_FIGURES
    ]
