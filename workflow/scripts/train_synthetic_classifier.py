"""TrSTeR (TSTR) and TrSTeS: classifiers trained on one bank, tested on real and synthetic data;
TrRTeS: the dataset's real-only classifiers tested on the same bank's test split."""
from synecg.runtime import rule_logger, select_device, set_threads

log = rule_logger(snakemake.log[0])
set_threads(snakemake.threads)

from synecg.experiments.runs import (
    JobSpec,
    evaluate_saved_job,
    job_stacking,
    load_checkpoints,
    load_job_synthetic,
    load_real,
    run_training_job,
)
from synecg.experiments.settings import manifest_path, metrics_path, resolve_tuned_preset

spec = JobSpec(**resolve_tuned_preset(snakemake.params.job))  # tuned: the preset of best.yaml
device = select_device(snakemake.params.device)
synthetic = load_job_synthetic(spec, snakemake.params.bank_dirs, snakemake.params.bank_names, snakemake.params.bank_split)
if snakemake.params.settings:
    real = load_real(snakemake.params.data_dir, spec.dataset)
    run_training_job(spec, list(snakemake.params.settings), real, synthetic, device, log,
                     **job_stacking(snakemake.config, snakemake.log[0], snakemake.resources.mem_mb))
if snakemake.params.trts:
    evaluate_saved_job(
        spec, load_checkpoints(snakemake.input.baselines[0]), "TrRTeS", synthetic["test"], "synthetic", spec.dataset,
        lambda f, s: metrics_path(spec.dataset, "TrRTeS", spec.generator, f, s),
        manifest_path(spec.dataset, "TrRTeS", spec.generator), device, log,
    )
