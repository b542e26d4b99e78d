"""Cache the real training and validation splits' features, predictions and physiology, the
random-convolution extractor fitted on the training split, and the same for the noise ceiling
(Gaussian noise with each lead's training mean and std, ``per_class`` records per class)."""
from synecg.runtime import rule_logger, select_device, set_threads

log = rule_logger(snakemake.log[0])
set_threads(snakemake.threads)

from synecg.classify.train import load_classifier
from synecg.data.store import load_split
import numpy as np

from synecg.constants import CLASSES
from synecg.fidelity.embed import embed_set, noise_ceiling, random_conv, save_npz
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
y_noise = np.repeat(np.arange(len(CLASSES)), snakemake.params.per_class)
x_noise = noise_ceiling(x_train, len(y_noise), numpy_rng(snakemake.params.seed, "fidelity", "noise", dataset))
log.info("%s noise ceiling: embedding %d records", dataset, len(y_noise))
rng = numpy_rng(snakemake.params.seed, "fidelity", "physiology", dataset, "noise")
part = embed_set(x_noise, y_noise, model, normaliser, randconv, snakemake.params.fs, device, rng, snakemake.params.physiology_max_per_class)
arrays.update({f"noise_{k}": v for k, v in part.items()})
save_npz(snakemake.output[0], arrays)
