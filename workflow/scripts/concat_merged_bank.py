"""The merged dataset's bank: the PTB-XL bank followed by the Chapman bank (as in the paper)."""

from synecg.generators.bank import concat_banks, load_bank, write_bank
from synecg.runtime import rule_logger

log = rule_logger(snakemake.log[0])
parts = snakemake.params.parts
banks = [load_bank(parts[name]) for name in ("ptbxl", "chapman")]
merged = concat_banks(banks, ["ptbxl", "chapman"])
meta = {**merged.meta, "generator": snakemake.wildcards.generator, "dataset": "merged", "made_by": "concatenation of the ptbxl and chapman banks"}
write_bank(snakemake.output.bank.rsplit("/", 1)[0], merged.x, merged.y, meta)
log.info(f"merged bank: {len(banks[0])} ptbxl + {len(banks[1])} chapman = {len(merged)} signals")
