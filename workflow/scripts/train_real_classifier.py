"""TrRTeR (real-only baselines) or TrRTeR-balanced (their oversampled, class-balanced control) of
one dataset, every fraction and seed; the baselines' classifiers are kept for TrRTeS and
cross-dataset evaluation."""
from synecg.runtime import rule_logger, select_device, set_threads

log = rule_logger(snakemake.log[0])
set_threads(snakemake.threads)

from synecg.experiments.runs import JobSpec, job_stacking, load_real, run_training_job, save_checkpoints
from synecg.experiments.settings import resolve_tuned_preset

spec = JobSpec(**resolve_tuned_preset(snakemake.params.job))  # tuned: the preset of best.yaml
real = load_real(snakemake.params.data_dir, spec.dataset)
checkpoints = run_training_job(spec, [snakemake.params.setting], real, None, select_device(snakemake.params.device), log,
                               **job_stacking(snakemake.config, snakemake.log[0], snakemake.resources.mem_mb))
if "models" in snakemake.output.keys():
    save_checkpoints(snakemake.output.models, checkpoints)
