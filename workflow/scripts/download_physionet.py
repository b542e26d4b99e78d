"""Rule download_physionet: fetch a PhysioNet release into resources/, verified against SHA256SUMS.txt."""

from synecg.data.download import download_release
from synecg.io import write_json
from synecg.runtime import rule_logger

log = rule_logger(snakemake.log[0])
# Downloads wait on the network, not the CPU: a few connections per core.
summary = download_release(snakemake.params.url, snakemake.params.folder, threads=4 * snakemake.threads, log=log)
write_json(snakemake.output[0], {**summary, "folder": snakemake.params.folder})
