# Stage 5: the Snakemake report. It is not a rule output: build it after a run with
#   snakemake --report results/report.html      (or results/report.zip)
# It gathers every output wrapped in report(...) by the stages, grouped by category (Data,
# Generators, Fidelity, Experiments), each with its caption from workflow/report/*.rst.


def report_targets():
    return []
