"""Cache the real training and validation splits' features, predictions and physiology, and the
random-convolution extractor fitted on the training split."""
from synecg.runtime import rule_logger, select_device, set_threads

log = rule_logger(snakemake.log[0])
set_threads(snakemake.threads)

from synecg.classify.train import load_classifier
from synecg.data.store import load_split
from synecg.fidelity.embed import embed_set, random_conv, save_npz
from synecg.seeding import numpy_rng

dataset = snakemake.wildcards.dataset
device = select_device(snakemake.params.device)
model, normaliser = load_classifier(snakemake.input.model, device)
x_train, y_train, _ = load_split(snakemake.params.data_dir, "train")
randconv = random_conv(snakemake.params.randconv, snakemake.params.seed, x_train, dataset)
arrays = {"randconv_weight": randconv.weight.numpy(), "randconv_biases": randconv.biases.numpy()}
for split in ("train", "val"):
    x, y, _ = load_split(snakemake.params.data_dir, split)
    log.info("%s %s: embedding %d records", dataset, split, len(y))
    rng = numpy_rng(snakemake.params.seed, "fidelity", "physiology", dataset, split)
    part = embed_set(x, y, model, normaliser, randconv, snakemake.params.fs, device, rng, snakemake.params.physiology_max_per_class)
    arrays.update({f"{split}_{k}": v for k, v in part.items()})
save_npz(snakemake.output[0], arrays)
