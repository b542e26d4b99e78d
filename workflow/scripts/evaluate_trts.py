"""TrRTeS: the real-only baselines of one dataset tested on a bank's synthetic test split."""
from synecg.runtime import rule_logger, select_device, set_threads

log = rule_logger(snakemake.log[0])
set_threads(snakemake.threads)

from synecg.experiments.runs import JobSpec, evaluate_saved_job, load_checkpoints, load_job_synthetic
from synecg.experiments.settings import metrics_path

spec = JobSpec(**snakemake.params.job)
synthetic = load_job_synthetic(spec, snakemake.params.bank_dirs, snakemake.params.bank_names, snakemake.params.bank_split)
evaluate_saved_job(
    spec, load_checkpoints(snakemake.input.models), "TrRTeS", synthetic["test"], "synthetic", spec.dataset,
    lambda f, s: metrics_path(spec.dataset, "TrRTeS", spec.generator, f, s),
    select_device(snakemake.params.device), log,
)
