# Shared by every stage: config validation, the lists the DAG is built from, input functions.
import sys
from pathlib import Path

from snakemake.utils import validate

# The library is importable from src/ even without `pip install -e .` (e.g. on a cluster node).
sys.path.insert(0, str(Path(workflow.basedir) / "src"))

from synecg.constants import CLASSES, SPLITS

validate(config, schema="../schemas/config.schema.yaml")

# Datasets the study runs on: the configured ones, plus `merged` when both are there.
SOURCE_DATASETS = [d for d in ("ptbxl", "chapman") if d in config["datasets"]]
DATASETS = SOURCE_DATASETS + (["merged"] if len(SOURCE_DATASETS) == 2 else [])

# Generators: the enabled ones. `all` is the pool of the enabled members of experiments.pool.members
# (POOL, common/experiments.smk), read together and never copied, in the experiments and fidelity alike.
GENERATORS = list(config["generators"]["enabled"])
GENERATORS_AND_ALL = GENERATORS + (["all"] if len(GENERATORS) > 1 else [])

# Datasets a generator is trained on. By default the merged bank is the concatenation of the
# PTB-XL and Chapman banks (as in the paper); `generators.merged_bank: train` trains on merged data.
MERGED_BANK = config["generators"]["merged_bank"]
TRAINED_DATASETS = SOURCE_DATASETS + (
    ["merged"] if "merged" in DATASETS and MERGED_BANK == "train" else []
)
# Datasets with banks, hence with generator and control arms, fidelity and bank figures. Under
# `merged_bank: none` the merged dataset has no bank and runs its real-data arms only (TrRTeR, the
# balanced control, the cross-dataset tests).
BANK_DATASETS = [d for d in DATASETS if d != "merged" or MERGED_BANK != "none"]


wildcard_constraints:
    dataset="|".join(DATASETS),
    split="|".join(SPLITS),
    generator="|".join(GENERATORS_AND_ALL),
    seed=r"\d+",


def dataset_dir(dataset):
    """Folder of one prepared dataset (the data-layer contract, see synecg.data.store)."""
    return f"results/data/{dataset}"


def bank_dir(dataset, generator):
    """Folder of one synthetic bank (the bank contract, see synecg.generators.bank)."""
    return f"results/synthetic/{dataset}/{generator}"


def contract_files(dirs):
    """The files of the bank contract (synecg.generators.bank) in each of the bank folders ``dirs``."""
    return [f"{d}/{f}" for d in dirs for f in ("bank.npy", "labels.csv", "bank.json")]


def bank_files(dataset, generator):
    """The files of one generator's bank (the bank contract)."""
    return contract_files(bank_dirs(dataset, generator))


def bank_dirs(dataset, generator):
    """The folder of one generator's bank, as a list. The pool `all` has no bank of its own: its
    members are pool_parts("all") (experiments.pool.members, common/experiments.smk), for the
    experiments and the fidelity stage alike."""
    if generator == "all":
        raise ValueError(
            "bank_dirs: `all` is a pool, not a bank; use pool_parts('all')"
        )
    return [bank_dir(dataset, generator)]


def res(family, key):
    """Resource `key` (mem_mb, runtime, gpu, threads) of a rule family, from config `resources`.

    Families: data, generator, classifier, fidelity, light (tables, plots). Profiles may still
    override per rule with --set-resources.
    """
    return config["resources"][family][key]
