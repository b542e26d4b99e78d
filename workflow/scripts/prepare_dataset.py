"""Rule prepare_dataset: raw PTB-XL / Chapman records -> records.csv, {split}.npy, summary.csv, label_rules.csv."""

from pathlib import Path

from synecg.data.prepare import prepare_dataset
from synecg.runtime import rule_logger

log = rule_logger(snakemake.log[0])
prepare_dataset(
    snakemake.wildcards.dataset,
    snakemake.params.root,
    Path(snakemake.output.records).parent,
    sampling_rate=snakemake.params.sampling_rate,
    seconds=snakemake.params.seconds,
    prepare_cfg=snakemake.params.prepare,
    seed=snakemake.params.seed,
    threads=snakemake.threads,
    log=log,
)
