"""TrRSTeR: real training data augmented with a bank's synthetic samples, tested on real data."""
from synecg.runtime import rule_logger, select_device, set_threads

log = rule_logger(snakemake.log[0])
set_threads(snakemake.threads)

from synecg.experiments.runs import JobSpec, load_job_synthetic, load_real, run_training_job
from synecg.experiments.settings import resolve_tuned_preset

spec = JobSpec(**resolve_tuned_preset(snakemake.params.job))  # tuned: the preset of best.yaml
real = load_real(snakemake.params.data_dir, spec.dataset)
synthetic = load_job_synthetic(spec, snakemake.params.bank_dirs, snakemake.params.bank_names, snakemake.params.bank_split)
run_training_job(spec, ["TrRSTeR"], real, synthetic, select_device(snakemake.params.device), log)
