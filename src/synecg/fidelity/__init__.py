"""Fidelity and privacy of synthetic ECG banks (docs/fidelity.md)."""

# The figures of every scored set (synecg.plots.fidelity draws them; the rules name their outputs so).
FIGURES = ("waveforms", "spectra", "correlation", "embedding", "physiology", "ecg_paper")
