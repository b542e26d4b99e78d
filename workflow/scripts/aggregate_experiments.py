"""Every run's metrics and test predictions -> the study's tables (CSV, Markdown, LaTeX) in
results/tables/, the answer table of the primary endpoint included."""
from pathlib import Path

from synecg.experiments.aggregate import collect_runs, study_tables, write_table
from synecg.experiments.runs import read_manifest
from synecg.io import atomic_path
from synecg.runtime import rule_logger

log = rule_logger(snakemake.log[0])
metrics_files = [f for manifest in snakemake.input.manifests for f in read_manifest(manifest)]
runs = collect_runs(metrics_files)
log.info("%d runs from %d manifests", len(runs), len(snakemake.input.manifests))
with atomic_path(snakemake.output.runs) as tmp:
    runs.drop(columns="path").to_csv(tmp, index=False)
boot = snakemake.params.bootstrap
tables = study_tables(
    runs, snakemake.params.master_seed, boot["resamples"], boot["level"], snakemake.params.primary_metric,
    snakemake.params.primary_endpoint, snakemake.params.multiplicity, snakemake.params.answer_classes,
)
for name, (numeric, display, caption) in tables.items():
    write_table(numeric.drop(columns="path", errors="ignore"), display, Path(snakemake.output.runs).parent / name, caption)
    log.info("table %s: %d rows", name, len(numeric))
