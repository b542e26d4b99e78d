# Stage 5: the Snakemake report (snakemake --report results/report.html).


def report_targets():
    return []
