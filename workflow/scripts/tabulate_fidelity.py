"""results/tables/fidelity.{csv,md,tex} from every metrics.json."""
from synecg.runtime import rule_logger

log = rule_logger(snakemake.log[0])

from pathlib import Path

from synecg.experiments.aggregate import write_table
from synecg.fidelity.table import display, fidelity_rows

rows = fidelity_rows(snakemake.input)
caption = (
    "Fidelity of each synthetic bank against the real training split (overall rows; per-class rows in the CSV). "
    "Per dataset, 'real floor' scores held-out real records at the bank's class size and 'noise ceiling' per-lead "
    "Gaussian noise the same way; 'norm' columns are (m - floor) / (ceiling - floor): 0 = as close as new real "
    "records, 1 = as far as noise."
)
write_table(rows, display(rows), Path(snakemake.output.csv).with_suffix(""), caption)
log.info("%d rows from %d metrics files", len(rows), len(snakemake.input))
