"""TrSTeR (TSTR) and TrSTeS: classifiers trained on one bank, tested on real and synthetic data."""
from synecg.runtime import rule_logger, select_device, set_threads

log = rule_logger(snakemake.log[0])
set_threads(snakemake.threads)

from synecg.experiments.runs import JobSpec, load_job_synthetic, load_real, run_training_job

spec = JobSpec(**snakemake.params.job)
real = load_real(snakemake.params.data_dir, spec.dataset)
synthetic = load_job_synthetic(spec, snakemake.params.bank_dirs, snakemake.params.bank_names, snakemake.params.bank_split)
run_training_job(spec, list(snakemake.params.settings), real, synthetic, select_device(snakemake.params.device), log)
