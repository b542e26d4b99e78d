"""Rule plot_data_summary: bar chart of class counts per split."""

import pandas as pd

from synecg.data.plots import plot_class_summary
from synecg.runtime import rule_logger

log = rule_logger(snakemake.log[0])
summary = pd.read_csv(snakemake.input[0], index_col="class")
plot_class_summary(summary, snakemake.output[0], title=snakemake.wildcards.dataset)
log.info("plotted %s", snakemake.output[0])
