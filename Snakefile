# synecg: synthetic ECG for augmentation and transfer learning in rhythm classification.
# Entry point only: the rules live in workflow/rules/, one file per stage, in the order data flows.
# Run:  snakemake --cores 8 [--use-conda]   |   snakemake --profile profiles/slurm --configfile config/paper.yaml
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/generators.smk"
include: "workflow/rules/timevqvae.smk"
include: "workflow/rules/banks.smk"
include: "workflow/rules/experiments.smk"
include: "workflow/rules/fidelity.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        data_targets(),
        bank_targets(),
        timevqvae_targets(),
        experiment_targets(),
        fidelity_targets(),
        report_targets(),
