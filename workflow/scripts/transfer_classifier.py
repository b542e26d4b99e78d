"""Transfer learning: pre-train on a bank, fine-tune (head only and/or all layers) on every fraction of the real data and seed."""
from synecg.runtime import rule_logger, select_device, set_threads

log = rule_logger(snakemake.log[0])
set_threads(snakemake.threads)

from synecg.experiments.runs import JobSpec, job_stacking, load_job_synthetic, load_real, run_transfer_job, save_checkpoints
from synecg.experiments.settings import resolve_tuned_preset

spec = JobSpec(**resolve_tuned_preset(snakemake.params.job))  # tuned: the preset of best.yaml
transfer = snakemake.params.transfer
real = load_real(snakemake.params.data_dir, spec.dataset)
synthetic = load_job_synthetic(spec, snakemake.params.bank_dirs, snakemake.params.bank_names, snakemake.params.bank_split)
pretrained = run_transfer_job(
    spec, real, synthetic, transfer["pretrain_runs"], transfer["trainable"], transfer["normaliser"],
    select_device(snakemake.params.device), log, **job_stacking(snakemake.config, snakemake.log[0], snakemake.resources.mem_mb),
)
save_checkpoints(snakemake.output.pretrained, pretrained)
