# Imports, constants and input functions of the fidelity stage (fidelity.smk holds its rules).
from synecg.fidelity import FIGURES

FIDELITY = config["fidelity"]
# Bank folders made elsewhere, scored like ours: name -> {path, dataset}.
FIDELITY_EXTERNAL = FIDELITY.get("external_banks", {})
# What scoring depends on (the list of external banks excluded, so adding one re-scores nothing else).
# The bank jobs also take `plots`: they draw their figures, so a figure change re-runs them (docs/fidelity.md).
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
FIDELITY_FIGURES = FIGURES


def fidelity_prepared(wildcards):
    """What the fidelity stage reads of a prepared dataset: never the test split."""
    return [
        f"{dataset_dir(wildcards.dataset)}/{name}"
        for name in ("records.csv", "train.npy", "val.npy")
    ]


# The pool `all` is the experiments' pool (experiments.pool.members, POOL in common/experiments.smk,
# included before this file), so the fidelity row and the pooled arms describe the same banks.
FIDELITY_GENERATORS = EXPERIMENT_GENERATORS


def fidelity_generators(dataset):
    """Everything scored for a dataset: our banks and the pool `all` (where it has banks, see
    BANK_DATASETS), and that dataset's external banks."""
    ours = FIDELITY_GENERATORS if dataset in BANK_DATASETS else []
    external = [n for n, e in FIDELITY_EXTERNAL.items() if e["dataset"] == dataset]
    return [*ours, *external]


def fidelity_bank_dirs(dataset, generator):
    """Bank folders of one scored set: an external bank's path, or our banks (the pool's members for `all`)."""
    if generator in FIDELITY_EXTERNAL:
        return [FIDELITY_EXTERNAL[generator]["path"]]
    return [bank_dir(dataset, g) for g in pool_parts(generator)]


def fidelity_pool_features(dataset):
    """The pool's members' cached features: the pool re-embeds nothing."""
    return [f"{FIDELITY_DIR}/{dataset}/{g}/features.npz" for g in pool_parts("all")]


def fidelity_bank_files(wildcards, generator=None):
    return contract_files(
        fidelity_bank_dirs(wildcards.dataset, generator or wildcards.generator)
    )


def fidelity_figure(dataset, generator, name):
    return f"results/figures/fidelity/{dataset}/{generator}/{name}.png"


def fidelity_figure_outputs(generator):
    """The figures of one scored set, named as FIDELITY_FIGURES and tagged for the report."""
    return {
        name: report(
            fidelity_figure("{dataset}", generator, name),
            caption=f"../report/fidelity_{name}.rst",
            category="Fidelity",
            subcategory=f"{{dataset}} / {generator}",
            labels={"dataset": "{dataset}", "generator": generator, "figure": name},
        )
        for name in FIDELITY_FIGURES
    }


def fidelity_metrics_files():
    return [
        f"{FIDELITY_DIR}/{d}/{g}/metrics.json"
        for d in DATASETS
        if fidelity_generators(d)
        for g in [*FIDELITY_REFERENCES, *fidelity_generators(d)]
    ]


def fidelity_targets():
    return [f"results/tables/fidelity.{ext}" for ext in ("csv", "md", "tex")] + [
        fidelity_figure(d, g, name)
        for d in DATASETS
        for g in fidelity_generators(d)
        for name in FIDELITY_FIGURES
    ]
