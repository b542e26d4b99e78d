# Imports, constants and input functions of the timevqvae stage (timevqvae.smk holds its rules).
from synecg.generators.timevqvae.config import resolve as resolve_timevqvae
from synecg.generators.timevqvae.config import stage_params as timevqvae_stage_params

TIMEVQVAE_DIR = "results/generators/{dataset}/timevqvae"


def timevqvae_params(stage):
    """Input function: the resolved settings of one stage (stage1, stage2, sampling) for a dataset."""
    section = config["generators"].get("timevqvae", {})

    def params(wildcards):
        settings = resolve_timevqvae(section, wildcards.dataset)
        return timevqvae_stage_params(settings)[stage]

    return params


def timevqvae_targets():
    """Stage-1 reconstruction figures (the banks themselves come with bank_targets())."""
    if "timevqvae" not in GENERATORS:
        return []
    return expand(f"{TIMEVQVAE_DIR}/reconstructions.png", dataset=TRAINED_DATASETS)
