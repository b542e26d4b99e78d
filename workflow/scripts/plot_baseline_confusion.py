"""Confusion matrices of the real-only baselines at the largest fraction, summed over seeds."""
from synecg.experiments.runs import read_manifest
from synecg.io import read_json
from synecg.plots.experiments import plot_confusion_matrices
from synecg.runtime import rule_logger

log = rule_logger(snakemake.log[0])
records = {d: [] for d in snakemake.params.datasets}
for manifest in snakemake.input.manifests:
    for path in read_manifest(manifest):
        record = read_json(path)
        if abs(record["fraction"] - snakemake.params.fraction) < 1e-9:
            records[record["dataset"]].append(record)
plot_confusion_matrices(records, snakemake.output[0])
log.info("wrote %s", snakemake.output[0])
