"""Forest plot of the answer table (the primary endpoint per dataset and generator)."""
import pandas as pd

from synecg.plots.experiments import plot_answer_forest
from synecg.runtime import rule_logger

log = rule_logger(snakemake.log[0])
plot_answer_forest(pd.read_csv(snakemake.input.answer), snakemake.output[0])
log.info("wrote %s", snakemake.output[0])
