"""Augmentation bars: real-only vs real + each generator's samples, per dataset."""
import pandas as pd

from synecg.plots.experiments import plot_augmentation_bars
from synecg.runtime import rule_logger

log = rule_logger(snakemake.log[0])
plot_augmentation_bars(pd.read_csv(snakemake.input.summary), snakemake.params.datasets, snakemake.params.metric, snakemake.output[0])
log.info("wrote %s", snakemake.output[0])
