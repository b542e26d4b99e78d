"""Cache one bank's features (frozen classifier and random convolutions), predictions and physiology."""
from synecg.runtime import rule_logger, select_device, set_threads

log = rule_logger(snakemake.log[0])
set_threads(snakemake.threads)

from synecg.classify.train import load_classifier
from synecg.fidelity.embed import embed_set, load_npz, random_conv_from_state, save_npz
from synecg.data.store import load_split
from synecg.fidelity.external import check_bank
from synecg.generators.bank import load_bank
from synecg.seeding import numpy_rng

dataset, generator = snakemake.wildcards.dataset, snakemake.wildcards.generator
device = select_device(snakemake.params.device)
model, normaliser = load_classifier(snakemake.input.model, device)
randconv = random_conv_from_state(snakemake.params.randconv, load_npz(snakemake.input.real))
bank = load_bank(snakemake.params.bank_dir, mmap=True)
if snakemake.params.external:  # made elsewhere: check it fits this dataset before scoring it
    check_bank(bank, snakemake.params.bank_dir, load_split(snakemake.params.data_dir, "val")[0].shape[-1])
log.info("%s/%s: embedding %d synthetic records", dataset, generator, len(bank))
rng = numpy_rng(snakemake.params.seed, "fidelity", "physiology", dataset, generator)
arrays = embed_set(bank.x, bank.y, model, normaliser, randconv, snakemake.params.fs, device, rng, snakemake.params.physiology_max_per_class)
save_npz(snakemake.output[0], arrays)
