"""TrRSTeR arms: real training data augmented with a bank's synthetic samples (the whole bank, a
synthetic:real ratio, or the pool drawn down to one bank's size), tested on real data."""
from synecg.runtime import rule_logger, select_device, set_threads

log = rule_logger(snakemake.log[0])
set_threads(snakemake.threads)

from synecg.experiments.runs import JobSpec, job_stacking, load_job_synthetic, load_real, run_training_job
from synecg.experiments.settings import resolve_tuned_preset

spec = JobSpec(**resolve_tuned_preset(snakemake.params.job))  # tuned: the preset of best.yaml
real = load_real(snakemake.params.data_dir, spec.dataset)
synthetic = load_job_synthetic(spec, snakemake.params.bank_dirs, snakemake.params.bank_names, snakemake.params.bank_split)
device = select_device(snakemake.params.device)
for setting in snakemake.params.settings:
    run_training_job(spec, [setting], real, synthetic, device, log,
                     **job_stacking(snakemake.config, snakemake.log[0], snakemake.resources.mem_mb, setting))
