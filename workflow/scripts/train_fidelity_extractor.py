"""Train the fidelity feature extractor of one dataset on its real training split (validation for
early stopping only), freeze it, and record its SHA-256 for metrics.json."""
from synecg.runtime import rule_logger, select_device, set_threads

log = rule_logger(snakemake.log[0])
set_threads(snakemake.threads)

from synecg.classify.train import save_classifier, train_classifier
from synecg.data.store import load_split
from synecg.experiments.settings import build_model_config, build_train_config
from synecg.generators.bank import file_sha256
from synecg.io import write_json
from synecg.seeding import derive_seed

dataset = snakemake.wildcards.dataset
x_train, y_train, _ = load_split(snakemake.params.data_dir, "train")
x_val, y_val, _ = load_split(snakemake.params.data_dir, "val")
training = {k: v for k, v in snakemake.params.training.items()}
result = train_classifier(
    x_train, y_train, x_val, y_val,
    build_model_config(snakemake.params.model, x_train.shape[-1]),
    build_train_config(training),
    seed=derive_seed(snakemake.params.seed, "fidelity", "extractor", dataset),
    device=select_device(snakemake.params.device),
    logger=log,
)
save_classifier(snakemake.output.model, result)
write_json(snakemake.output.info, {
    "sha256": file_sha256(snakemake.output.model),
    "best_epoch": result.best_epoch,
    "best_val_loss": result.best_val_loss,
    "val_acc": result.history[result.best_epoch - 1]["val_acc"] if result.best_epoch else float("nan"),
    "n_train": int(len(y_train)),
    "n_val": int(len(y_val)),
    "preset": snakemake.params.model.get("preset"),
})
log.info("extractor for %s: best epoch %d, sha256 %s", dataset, result.best_epoch, file_sha256(snakemake.output.model))
