# Imports, constants and input functions of the banks stage (banks.smk holds its rules).
from synecg.experiments.controls import CONTROL_BANKS
from synecg.experiments.settings import control_generator


def bank_targets():
    """Every (dataset, generator) bank and its figure."""
    banks = [f for d in BANK_DATASETS for g in GENERATORS for f in bank_files(d, g)]
    figures = [
        f"results/figures/banks/{d}/{g}.png" for d in BANK_DATASETS for g in GENERATORS
    ]
    return banks + figures


def control_bank_dir(dataset, control):
    """Folder of one control bank (real training records in the bank contract, see
    synecg.experiments.controls); the experiments name it control-{control}."""
    return f"results/controls/{dataset}/{control}"


def control_bank_size(dataset):
    """Samples per class of a dataset's control banks: those of its generator banks (the merged
    bank under generators.merged_bank concat is two banks, so twice bank.per_class)."""
    concat = dataset == "merged" and MERGED_BANK == "concat"
    return config["bank"]["per_class"] * (2 if concat else 1)
