"""Transfer-learning curves: metric vs % of real data, per generator and real-only."""
import pandas as pd

from synecg.plots.experiments import plot_transfer_curves
from synecg.runtime import rule_logger

log = rule_logger(snakemake.log[0])
plot_transfer_curves(pd.read_csv(snakemake.input.summary), snakemake.params.datasets, snakemake.params.metric, snakemake.output[0])
log.info("wrote %s", snakemake.output[0])
