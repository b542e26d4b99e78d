"""Optimisation history of one dataset's search (from its trial table)."""
from synecg.runtime import rule_logger

log = rule_logger(snakemake.log[0])

import pandas as pd

from synecg.plots.tuning import plot_optimisation_history

plot_optimisation_history(pd.read_csv(snakemake.input.trials), snakemake.params.metric, snakemake.output[0])
