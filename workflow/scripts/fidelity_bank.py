"""Everything fidelity does with one bank, in one process (rules fidelity_bank, fidelity_external_bank,
fidelity_pool): its cache (frozen-classifier and random-convolution features, predictions, physiology),
metrics.json against the real training split, the six fidelity figures and, for our generators' banks,
the bank figure. The pool `all` embeds nothing: it concatenates its members' cached features."""
from synecg.runtime import rule_logger, set_threads

log = rule_logger(snakemake.log[0])
set_threads(snakemake.threads)

import numpy as np

from synecg.fidelity.embed import concat_sets, load_npz, save_npz
from synecg.fidelity.job import RealContext
from synecg.generators.bank import concat_banks, load_bank
from synecg.io import atomic_path, write_json
from synecg.fidelity import FIGURES
from synecg.plots.fidelity import plot_fidelity_figures
from synecg.seeding import numpy_rng

dataset, generator = snakemake.wildcards.dataset, snakemake.wildcards.get("generator", "all")
p, out = snakemake.params, snakemake.output
real = RealContext.load(dataset, p.data_dir, snakemake.input.real, snakemake.input.extractor, p.fidelity, p.seed, p.fs)
banks = [load_bank(d, mmap=True) for d in p.bank_dirs]
bank = banks[0] if len(banks) == 1 else concat_banks(banks, list(p.bank_dirs))

if "features" in out.keys():  # one bank: embed it with the dataset's frozen extractor
    from synecg.classify.train import load_classifier
    from synecg.fidelity.embed import embed_set, random_conv_from_state
    from synecg.fidelity.external import check_bank
    from synecg.runtime import select_device

    if p.external:  # made elsewhere: check it fits this dataset before scoring it
        check_bank(bank, p.bank_dirs[0], real.x_val.shape[-1])
    device = select_device(p.device)
    model, normaliser = load_classifier(snakemake.input.model, device)
    randconv = random_conv_from_state(p.fidelity["randconv"], real.cache)
    log.info("%s/%s: embedding %d synthetic records", dataset, generator, len(bank))
    rng = numpy_rng(p.seed, "fidelity", "physiology", dataset, generator)
    fake = embed_set(bank.x, bank.y, model, normaliser, randconv, p.fs, device, rng, p.fidelity["physiology_max_per_class"])
    save_npz(out.features, fake)
    del model
else:  # the pool: its members' caches, in the order of its bank folders
    fake = concat_sets([load_npz(f) for f in snakemake.input.features])
    if not np.array_equal(fake["label"], bank.y):
        raise RuntimeError(f"cached features of {dataset}/{generator} do not match its bank labels; delete {snakemake.input.features}")

write_json(out.metrics, real.score(generator, fake, bank.x, bank.y, real.x_val, real.y_val, log))
log.info("plotting %s/%s", dataset, generator)
plot_fidelity_figures({name: out[name] for name in FIGURES}, real.x_train, real.y_train, real.train, bank.x, bank.y, fake,
                      p.plots, p.fs, p.seed, dataset, generator)
if "bank_figure" in out.keys():  # one synthetic ECG per class beside a real training record
    from synecg.plots.banks import plot_bank_grid

    fig = plot_bank_grid(real.x_train, real.y_train, bank.x, bank.y, numpy_rng(p.seed, "plot_bank", dataset, generator),
                         title=f"{generator} bank, {dataset}: real (left) vs synthetic (right)", fs=p.fs)
    with atomic_path(out.bank_figure) as tmp:
        fig.savefig(tmp, dpi=110)
log.info("wrote %s and the figures of %s/%s", out.metrics, dataset, generator)
