"""Rule merge_datasets: join the prepared PTB-XL and Chapman datasets per split."""

from pathlib import Path

from synecg.data.prepare import merge_datasets
from synecg.runtime import rule_logger

log = rule_logger(snakemake.log[0])
merge_datasets(snakemake.params.parts, Path(snakemake.output.records).parent, log=log)
