"""Cross-dataset: the merged-data baselines tested on each source dataset's real test split."""
from synecg.runtime import rule_logger, select_device, set_threads

log = rule_logger(snakemake.log[0])
set_threads(snakemake.threads)

from synecg.experiments.runs import JobSpec, evaluate_saved_job, load_checkpoints, load_real
from synecg.experiments.settings import REAL_GENERATOR, manifest_path, metrics_path, resolve_tuned_preset

spec = JobSpec(**resolve_tuned_preset(snakemake.params.job))  # tuned: the preset of best.yaml
checkpoints = load_checkpoints(snakemake.input.models)
for target, data_dir in snakemake.params.targets.items():
    test = load_real(data_dir, target)["test"]
    evaluate_saved_job(
        spec, checkpoints, "TrRTeR", test, "real", target,
        lambda f, s: metrics_path(spec.dataset, "TrRTeR", REAL_GENERATOR, f, s, target),
        manifest_path(spec.dataset, "TrRTeR", REAL_GENERATOR, target),
        select_device(snakemake.params.device), log,
    )
