# Imports, constants and input functions of the banks stage (banks.smk holds its rules).
def bank_targets():
    """Every (dataset, generator) bank and its figure."""
    banks = [f for d in DATASETS for g in GENERATORS for f in bank_files(d, g)]
    figures = [
        f"results/figures/banks/{d}/{g}.png" for d in DATASETS for g in GENERATORS
    ]
    return banks + figures
