"""Every run's metrics -> the study's tables (CSV, Markdown, LaTeX) in results/tables/."""
from pathlib import Path

from synecg.experiments.aggregate import collect_runs, study_tables, write_table
from synecg.io import atomic_path
from synecg.runtime import rule_logger

log = rule_logger(snakemake.log[0])
runs = collect_runs(snakemake.input.metrics)
log.info("%d runs from %d metrics files", len(runs), len(snakemake.input.metrics))
with atomic_path(snakemake.output.runs) as tmp:
    runs.to_csv(tmp, index=False)
boot = snakemake.params.bootstrap
tables = study_tables(runs, snakemake.params.master_seed, boot["resamples"], boot["level"], snakemake.params.primary_metric)
for name, (numeric, display, caption) in tables.items():
    write_table(numeric, display, Path(snakemake.output.runs).parent / name, caption)
    log.info("table %s: %d rows", name, len(numeric))
