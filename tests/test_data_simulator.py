"""The demo simulator: rhythm-true timing per class, Einthoven/Goldberger, determinism, layouts."""

import numpy as np
import pytest
from scipy.signal import butter, find_peaks, sosfiltfilt

from synecg.constants import CLASSES, LEADS
from synecg.data import chapman, ptbxl
from synecg.data.demo import write_demo
from synecg.data.simulate import draw_record, render, to_digital
from synecg.seeding import numpy_rng

FS = 500


def _r_peaks(x: np.ndarray, fs: int) -> np.ndarray:
    """R-peak times (s) from the QRS energy of all leads (8-30 Hz band, squared, 60 ms smoothing)."""
    qrs_band = sosfiltfilt(butter(2, [8, 30], btype="bandpass", fs=fs, output="sos"), x, axis=1)
    energy = np.convolve((qrs_band**2).sum(axis=0), np.ones(int(0.06 * fs)), mode="same")
    peaks, _ = find_peaks(energy, height=0.35 * np.percentile(energy, 99), distance=int(0.24 * fs))
    return peaks / fs


def _rhythm_stats(label: str, n: int = 6):
    hr, cv = [], []
    for i in range(n):
        params = draw_record(label, 10.0, numpy_rng(11, "test", label, i))
        rr = np.diff(_r_peaks(render(params, FS, numpy_rng(12, "noise", label, i)), FS))
        hr.append(60 / rr.mean())
        cv.append(rr.std() / rr.mean())
    return np.array(hr), np.array(cv)


@pytest.fixture(scope="module")
def stats():
    return {label: _rhythm_stats(label) for label in CLASSES}


def test_heart_rates_measured_from_the_signal_fit_each_class(stats):
    assert (stats["SBRAD"][0] < 60).all()
    assert ((stats["SR"][0] >= 60) & (stats["SR"][0] <= 100)).all()
    assert (stats["STACH"][0] > 100).all()
    assert ((stats["SVTAC"][0] >= 150) & (stats["SVTAC"][0] <= 250)).all()


def test_rr_variability_separates_afib_and_sinus_arrhythmia_from_regular_rhythms(stats):
    regular = np.concatenate([stats[c][1] for c in ("SR", "SBRAD", "STACH", "SVTAC")])
    assert regular.max() < 0.05
    assert stats["SARRH"][1].min() > regular.max()
    assert stats["AFIB"][1].min() > 0.12
    assert np.median(stats["AFIB"][1]) > np.median(stats["SARRH"][1])


def test_sinus_arrhythmia_follows_respiration():
    params = draw_record("SARRH", 30.0, numpy_rng(3, "sarrh"))
    r = params.r_times
    rr = np.diff(r)
    # RR oscillates: its spectrum peaks in the respiratory band 0.15-0.4 Hz
    t = r[1:]
    freqs = np.linspace(0.05, 1.0, 200)
    power = [abs(np.sum((rr - rr.mean()) * np.exp(-2j * np.pi * f * t))) for f in freqs]
    assert 0.15 <= freqs[int(np.argmax(power))] <= 0.4


def test_flutter_conducts_every_second_to_fourth_wave_at_250_to_350_per_minute():
    for i in range(8):
        params = draw_record("AFLT", 10.0, numpy_rng(5, "aflt", i))
        rate = params.atrial["hz"] * 60
        assert 250 <= rate <= 350
        waves_per_beat = np.diff(params.r_times) * params.atrial["hz"]
        assert np.allclose(waves_per_beat, np.round(waves_per_beat), atol=0.1)
        assert set(np.round(waves_per_beat).astype(int)) <= {2, 3, 4}


def test_p_waves_only_in_sinus_rhythms_and_f_waves_in_afib():
    for label in CLASSES:
        params = draw_record(label, 10.0, numpy_rng(1, label))
        assert bool(params.p_times.size) == (label in ("SR", "SBRAD", "STACH", "SARRH")), label
    assert draw_record("AFIB", 10.0, numpy_rng(1, "AFIB")).atrial["kind"] == "fib"


def test_svtac_qrs_is_narrow():
    assert draw_record("SVTAC", 10.0, numpy_rng(2)).qrs_scale < draw_record("SR", 10.0, numpy_rng(2)).qrs_scale


def test_einthoven_and_goldberger_identities_hold():
    for label in CLASSES:
        x = render(draw_record(label, 10.0, numpy_rng(4, label)), FS, numpy_rng(5, label))
        i, ii, iii, avr, avl, avf = x[:6]
        assert np.allclose(iii, ii - i, atol=1e-12)
        assert np.allclose(avr + avl + avf, 0, atol=1e-12)
        assert np.allclose(avr, -(i + ii) / 2, atol=1e-12)
        d = to_digital(x).astype(np.int64)
        assert np.array_equal(d[2], d[1] - d[0])
        assert np.abs(d[3] + d[4] + d[5]).max() <= 2
        assert 0.4 < np.abs(x[:, :]).max() < 5.0  # mV, ECG-sized


def test_demo_trees_are_deterministic_per_seed(tmp_path):
    for name in ("a", "b"):
        write_demo("chapman", tmp_path / name, 10, seed=42)
    write_demo("chapman", tmp_path / "c", 10, seed=43)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert len(files) == 7 * 10 * 2 + 1
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files)
    mat = sorted((tmp_path / "a").rglob("JS00001.mat"))[0].relative_to(tmp_path / "a")
    assert (tmp_path / "a" / mat).read_bytes() != (tmp_path / "c" / mat).read_bytes()


def test_demo_layouts_are_read_by_the_real_readers_with_every_class(tmp_path):
    write_demo("ptbxl", tmp_path / "ptbxl", 10, seed=1)
    write_demo("chapman", tmp_path / "chapman", 10, seed=1)
    p = ptbxl.catalog(tmp_path / "ptbxl", 100, "drop")
    c = chapman.catalog(tmp_path / "chapman", "drop")
    for frame in (p, c):
        assert (frame["status"] == "candidate").all()
        assert frame["label"].value_counts().to_dict() == {cls: 10 for cls in CLASSES}
    for split in ("train", "val", "test"):
        assert set(p.loc[p["split"] == split, "label"]) == set(CLASSES)
    assert (tmp_path / "ptbxl" / "records500" / "00000" / "00001_hr.dat").stat().st_size == 12 * 5000 * 2
    assert "AVR" in (tmp_path / "ptbxl" / "records100" / "00000" / "00001_lr.hea").read_text()
    assert LEADS[3] == "aVR"


def test_demo_100_hz_records_are_the_500_hz_records_decimated(tmp_path):
    from synecg.data.wfdb_io import read_header, read_signal

    write_demo("ptbxl", tmp_path, 10, seed=2)
    lr = read_signal(read_header(tmp_path / "records100" / "00000" / "00003_lr.hea"))
    hr = read_signal(read_header(tmp_path / "records500" / "00000" / "00003_hr.hea"))
    assert lr.shape == (12, 1000) and hr.shape == (12, 5000)
    from scipy.signal import resample_poly

    reference = resample_poly(hr.astype(np.float64), 1, 5, axis=1)  # scipy's anti-aliasing resampler
    assert np.corrcoef(lr[1], reference[1])[0, 1] > 0.99
    assert np.abs(lr[2] - (lr[1] - lr[0])).max() <= 0.0011  # Einthoven in the stored 100 Hz file
