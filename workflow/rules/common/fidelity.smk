# Imports, constants and input functions of the fidelity stage (fidelity.smk holds its rules).
FIDELITY = config["fidelity"]
# Bank folders made elsewhere, scored like ours: name -> {path, dataset}.
FIDELITY_EXTERNAL = FIDELITY.get("external_banks", {})
# What the scoring jobs depend on (figure settings and the list of external banks excluded, so a
# figure change re-runs figures only and adding an external bank re-scores nothing else).
FIDELITY_METRICS = {
    k: v for k, v in FIDELITY.items() if k not in ("plots", "external_banks")
}
# The reference rows of every dataset: size-matched real floor and per-lead noise ceiling.
FIDELITY_REFERENCES = ("reference", "ceiling")
for _name in FIDELITY_EXTERNAL:
    if _name in [*GENERATORS_AND_ALL, *FIDELITY_REFERENCES]:
        raise ValueError(
            f"fidelity.external_banks: name {_name!r} is taken by a generator or reference row"
        )
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


def fidelity_generators(dataset):
    """Everything scored for a dataset: our banks, `all`, and the external banks of that dataset."""
    external = [n for n, e in FIDELITY_EXTERNAL.items() if e["dataset"] == dataset]
    return [*GENERATORS_AND_ALL, *external]


FIDELITY_BANKS = sorted({g for d in DATASETS for g in fidelity_generators(d)})


def fidelity_bank_dirs(dataset, generator):
    if generator in FIDELITY_EXTERNAL:
        return [FIDELITY_EXTERNAL[generator]["path"]]
    return bank_dirs(dataset, generator)


def fidelity_bank_features(wildcards):
    return [
        f"{FIDELITY_DIR}/{wildcards.dataset}/{g}/features.npz"
        for g in fidelity_parts(wildcards.generator)
    ]


def fidelity_bank_files(wildcards):
    return [
        f"{d}/{f}"
        for d in fidelity_bank_dirs(wildcards.dataset, wildcards.generator)
        for f in ("bank.npy", "labels.csv", "bank.json")
    ]


def fidelity_figure(dataset, generator, name):
    return f"results/figures/fidelity/{dataset}/{generator}/{name}.png"


def fidelity_metrics_files():
    return [
        f"{FIDELITY_DIR}/{d}/{g}/metrics.json"
        for d in DATASETS
        for g in [*FIDELITY_REFERENCES, *fidelity_generators(d)]
    ]


def fidelity_targets():
    return [f"results/tables/fidelity.{ext}" for ext in ("csv", "md", "tex")] + [
        fidelity_figure(d, g, name)
        for d in DATASETS
        for g in fidelity_generators(d)
        for name in FIDELITY_FIGURES
    ]
