"""results/tables/fidelity.{csv,md,tex} from every metrics.json."""
from synecg.runtime import rule_logger

log = rule_logger(snakemake.log[0])

from pathlib import Path

from synecg.experiments.aggregate import write_table
from synecg.fidelity.table import display, fidelity_rows

rows = fidelity_rows(snakemake.input)
caption = (
    "Fidelity of each synthetic bank against the real training split (overall rows; per-class rows in the CSV). "
    "'real (val)' is the real validation split scored the same way: the floor for every metric."
)
write_table(rows, display(rows), Path(snakemake.output.csv).with_suffix(""), caption)
log.info("%d rows from %d metrics files", len(rows), len(snakemake.input))
