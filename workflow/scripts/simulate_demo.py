"""Rule simulate_demo: write the simulated demo dataset in its raw PhysioNet layout."""

from synecg.data.demo import write_demo
from synecg.runtime import rule_logger

log = rule_logger(snakemake.log[0])
demo = snakemake.params.demo
n = write_demo(
    snakemake.wildcards.dataset,
    snakemake.output[0],
    records_per_class=demo["records_per_class"],
    seed=snakemake.params.seed,
    seconds=snakemake.params.seconds,
    noise_mv=demo["noise_mv"],
    wander_mv=demo["baseline_wander_mv"],
)
log.info("wrote %d simulated %s records to %s", n, snakemake.wildcards.dataset, snakemake.output[0])
