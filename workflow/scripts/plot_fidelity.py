"""The figures of one (dataset, generator): waveforms, spectra, correlations, t-SNE, physiology, paper ECGs."""
from synecg.runtime import rule_logger, set_threads

log = rule_logger(snakemake.log[0])
set_threads(snakemake.threads)

from synecg.data.store import load_split
from synecg.fidelity.embed import concat_sets, load_npz, physiology_of, subset
from synecg.generators.bank import concat_banks, load_bank
from synecg.plots import fidelity as plots
from synecg.seeding import derive_seed, numpy_rng

dataset, generator = snakemake.wildcards.dataset, snakemake.wildcards.generator
p, fs, seed = snakemake.params.plots, snakemake.params.fs, snakemake.params.seed
out = snakemake.output
x_train, y_train, _ = load_split(snakemake.params.data_dir, "train")
banks = [load_bank(d, mmap=True) for d in snakemake.params.bank_dirs]
bank = banks[0] if len(banks) == 1 else concat_banks(banks, list(snakemake.params.bank_dirs))
train = subset(load_npz(snakemake.input.real), "train_")
fake = concat_sets([load_npz(f) for f in snakemake.input.features])


def rng(name):
    return numpy_rng(seed, "fidelity", "plot", dataset, generator, name)


# Signal figures use a per-class subsample of both sets: the figures are means, not a census.
real_rows = plots.per_class_rows(y_train, p["records_per_class"], rng("rows-real"))
fake_rows = plots.per_class_rows(bank.y, p["records_per_class"], rng("rows-fake"))
rx, ry = x_train[real_rows], y_train[real_rows]
fx, fy = bank.x[fake_rows], bank.y[fake_rows]
log.info("plotting %s/%s from %d real and %d synthetic records", dataset, generator, len(ry), len(fy))
plots.plot_waveforms(out.waveforms, rx, ry, fx, fy, fs, rng("waveforms"), p["records_per_class"])
plots.plot_spectra(out.spectra, rx, fx, fs)
plots.plot_correlation(out.correlation, rx, fx)
plots.plot_embedding(out.embedding, train["classifier"], train["label"], fake["classifier"], fake["label"], rng("tsne"),
                     p["tsne_max_points"], p["tsne_perplexity"], derive_seed(seed, "fidelity", "tsne", dataset, generator))
plots.plot_physiology(out.physiology, physiology_of(train), physiology_of(fake))
plots.plot_ecg_paper_grid(out.ecg_paper, rx, ry, fx, fy, fs, rng("paper"))
