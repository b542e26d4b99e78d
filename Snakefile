# synecg: synthetic ECG for augmentation and transfer learning in rhythm classification.
# Entry point only: the rules live in workflow/rules/, one file per stage, in the order data flows.
# Run:  snakemake --cores 8 [--use-conda]   |   snakemake --profile profiles/slurm --configfile config/paper.yaml
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


# The report is built after a run, not by a rule: snakemake --report results/report.html (or .zip).
# It gathers every output wrapped in report(...), grouped by stage (Data, Generators, Fidelity,
# Experiments), each with its caption from workflow/report/*.rst.
report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/generators.smk"
include: "workflow/rules/timevqvae.smk"
include: "workflow/rules/banks.smk"
include: "workflow/rules/tuning.smk"
include: "workflow/rules/experiments.smk"
include: "workflow/rules/fidelity.smk"


rule all:
    default_target: True
    input:
        data_targets(),
        bank_targets(),
        timevqvae_targets(),
        tuning_targets(),
        experiment_targets(),
        fidelity_targets(),
