"""The demo ECG simulator: seven rhythm classes, 12 leads in mV, numpy only, seeded.

It exists to make the workflow runnable anywhere in minutes, not to support scientific claims.

Model: each beat is a 3-D heart-vector (dipole) trajectory, a sum of Gaussian bumps along fixed
directions (P; septal Q, main R and basal S of the QRS; T), in body axes x = left, y = inferior,
z = anterior. Leads are projections of the dipole: I and II onto frontal-plane lead vectors,
V1-V6 onto horizontal-plane ones. III, aVR, aVL and aVF are derived from I and II
(Einthoven, Goldberger), so III = II - I and aVR + aVL + aVF = 0 hold exactly before
quantisation. Rhythm sets the beat times and the atrial activity:

=====  ==================================================================================
SR     60-100 bpm, regular, P before every QRS
SBRAD  < 60 bpm (42-57), sinus
STACH  > 100 bpm (105-150), sinus
SARRH  sinus 58-95 bpm with respiratory RR modulation (0.18-0.33 Hz, depth 12-22 %)
AFIB   irregularly irregular RR (independent gamma intervals, CV 0.18-0.30), no P, f-waves
       (5-8 Hz, frequency- and amplitude-modulated)
AFLT   saw-tooth flutter waves at 250-350/min, no P; QRS after every 2nd, 3rd or 4th wave
SVTAC  150-250 bpm (160-230), regular, narrow QRS, no visible P
=====  ==================================================================================

``draw_record`` fixes everything about a record (timing, morphology); ``render`` evaluates it at
a sampling rate; ``decimate`` makes the 100 Hz version of a PTB-XL style record from its 500 Hz
one (same beats, same noise), as PTB-XL's records100 were made from records500.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from synecg.constants import CLASSES

# Lead vectors: I at 0 deg and II at 60 deg in the frontal (x, y) plane; precordial leads in the
# horizontal (x, z) plane, V1 right-anterior ... V6 left-lateral.
_LEAD_I = np.array([1.0, 0.0, 0.0])
_LEAD_II = np.array([np.cos(np.pi / 3), np.sin(np.pi / 3), 0.0])
_CHEST_ANGLES_DEG = (115.0, 95.0, 75.0, 55.0, 30.0, 5.0)
_CHEST = np.array([[np.cos(np.radians(a)), 0.1, np.sin(np.radians(a))] for a in _CHEST_ANGLES_DEG])
_CHEST_GAIN = 1.4  # chest electrodes sit closer to the heart

# Wave directions (x = left, y = inferior, z = anterior).
_DIRECTIONS = {
    "P": (0.5, 0.8, 0.2),
    "Q": (-0.6, 0.1, 0.8),  # septal depolarisation: left to right, anterior
    "R": (0.6, 0.7, -0.25),  # main ventricular depolarisation: left, inferior, posterior
    "S": (-0.4, -0.5, -0.75),  # basal: superior, posterior
    "T": (0.6, 0.6, 0.25),
    "F": (-0.2, 0.7, 0.7),  # atrial fibrillatory activity: inferior and anterior (II, V1)
    "FL": (0.1, -0.8, 0.6),  # counter-clockwise flutter: negative saw-tooth in II, III, aVF
}

HEART_RATE_BPM = {
    "SR": (62.0, 98.0),
    "SBRAD": (42.0, 57.0),
    "STACH": (105.0, 150.0),
    "SARRH": (58.0, 95.0),
    "AFIB": (80.0, 140.0),
    "SVTAC": (160.0, 230.0),
}
FLUTTER_RATE_PER_MIN = (250.0, 350.0)
SINUS_CLASSES = ("SR", "SBRAD", "STACH", "SARRH")


@dataclass
class RecordParams:
    """Everything that makes one simulated record, independent of the sampling rate."""

    label: str
    seconds: float
    r_times: np.ndarray  # QRS (R peak) times in s; may start before 0 and end after `seconds`
    p_times: np.ndarray  # P wave peaks in s (empty without sinus P waves)
    directions: dict[str, np.ndarray]  # unit vectors per wave, after the record's axis rotation
    amplitudes: dict[str, float]  # mV
    qrs_scale: float  # QRS widths x this (narrow for SVTAC)
    atrial: dict = field(default_factory=dict)  # f-waves / flutter-waves settings
    wander: np.ndarray = field(default_factory=lambda: np.zeros((8, 3)))  # per channel: amp, freq, phase
    noise_mv: float = 0.01


def _unit(v) -> np.ndarray:
    v = np.asarray(v, dtype=float)
    return v / np.linalg.norm(v)


def _rotation(rng: np.random.Generator, max_deg: float) -> np.ndarray:
    """A small random rotation (heart axis differs between people)."""
    angles = np.radians(rng.uniform(-max_deg, max_deg, size=3))
    cx, cy, cz = np.cos(angles)
    sx, sy, sz = np.sin(angles)
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return rz @ ry @ rx


def rr_intervals(label: str, seconds: float, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """R-peak times (s) covering [-2, seconds + 2] for one rhythm class, and rhythm details."""
    start = -rng.uniform(1.0, 2.0)
    end = seconds + 2.0
    info: dict = {}
    times = [start]
    if label in ("SR", "SBRAD", "STACH", "SVTAC"):
        rr0 = 60.0 / rng.uniform(*HEART_RATE_BPM[label])
        jitter = 0.01 if label == "SVTAC" else 0.02
        while times[-1] < end:
            times.append(times[-1] + rr0 * (1.0 + jitter * rng.standard_normal()))
    elif label == "SARRH":
        rr0 = 60.0 / rng.uniform(*HEART_RATE_BPM[label])
        resp_hz, depth, phase = rng.uniform(0.18, 0.33), rng.uniform(0.12, 0.22), rng.uniform(0, 2 * np.pi)
        info.update(resp_hz=resp_hz, depth=depth)
        while times[-1] < end:
            t = times[-1]
            times.append(t + rr0 * (1.0 + depth * np.sin(2 * np.pi * resp_hz * t + phase)))
    elif label == "AFIB":
        rr0 = 60.0 / rng.uniform(*HEART_RATE_BPM[label])
        cv = rng.uniform(0.18, 0.30)
        shape = 1.0 / cv**2
        while times[-1] < end:
            times.append(times[-1] + max(0.28, rng.gamma(shape, rr0 / shape)))
    elif label == "AFLT":
        flutter_hz = rng.uniform(*FLUTTER_RATE_PER_MIN) / 60.0
        ratio = int(rng.choice([2, 3, 4], p=[0.5, 0.25, 0.25]))
        variable = rng.random() < 0.25  # some records alternate their conduction ratio
        av_delay = rng.uniform(0.18, 0.26)
        info.update(flutter_hz=flutter_hz, ratio=ratio, variable=variable, phase=start)
        wave = 0
        times = []
        while True:
            t = start + wave / flutter_hz + av_delay
            if t > end:
                break
            times.append(t + 0.004 * rng.standard_normal())
            wave += int(rng.choice([2, 4])) if variable else ratio
    else:
        raise ValueError(f"unknown rhythm class {label!r}; expected one of {CLASSES}")
    return np.asarray(times), info


def draw_record(label: str, seconds: float, rng: np.random.Generator, noise_mv: float = 0.015,
                wander_mv: float = 0.1) -> RecordParams:
    """Draw one record of class ``label``: beat times, atrial activity, morphology, noise levels."""
    r_times, info = rr_intervals(label, seconds, rng)
    rotation = _rotation(rng, 20.0)
    directions = {k: rotation @ _unit(v) for k, v in _DIRECTIONS.items()}
    amplitudes = {
        "P": rng.uniform(0.10, 0.18),
        "Q": rng.uniform(0.10, 0.25),
        "R": rng.uniform(1.0, 1.6),
        "S": rng.uniform(0.3, 0.6),
        "T": rng.uniform(0.25, 0.45),
    }
    p_times = np.empty(0)
    if label in SINUS_CLASSES:
        pr = rng.uniform(0.13, 0.19)
        p_times = r_times - pr
    atrial: dict = {}
    if label == "AFIB":
        atrial = {
            "kind": "fib",
            "amp": rng.uniform(0.05, 0.10),
            "freqs": rng.uniform(5.0, 8.0, size=3),
            "phases": rng.uniform(0, 2 * np.pi, size=3),
            "mod_hz": rng.uniform(0.2, 0.8, size=3),
        }
    elif label == "AFLT":
        atrial = {"kind": "flutter", "amp": rng.uniform(0.15, 0.25), "hz": info["flutter_hz"], "start": info["phase"]}
    wander = np.stack([
        rng.uniform(0.3, 1.0, size=8) * wander_mv,  # amplitude per independent channel
        rng.uniform(0.05, 0.4, size=8),  # Hz
        rng.uniform(0, 2 * np.pi, size=8),
    ], axis=1)
    return RecordParams(
        label=label, seconds=seconds, r_times=r_times, p_times=p_times, directions=directions,
        amplitudes=amplitudes, qrs_scale=0.8 if label == "SVTAC" else rng.uniform(0.95, 1.15),
        atrial=atrial, wander=wander, noise_mv=noise_mv * rng.uniform(0.5, 1.5),
    )


def _bumps(t: np.ndarray, centres: np.ndarray, widths: np.ndarray | float, amps: np.ndarray | float) -> np.ndarray:
    """Sum of Gaussian bumps on the time grid t (s)."""
    if centres.size == 0:
        return np.zeros_like(t)
    widths = np.broadcast_to(widths, centres.shape)[:, None]
    amps = np.broadcast_to(amps, centres.shape)[:, None]
    return (amps * np.exp(-0.5 * ((t[None, :] - centres[:, None]) / widths) ** 2)).sum(axis=0)


def heart_vector(params: RecordParams, t: np.ndarray) -> np.ndarray:
    """The dipole trajectory (3, len(t)) in mV at times t (s)."""
    r = params.r_times
    rr = np.diff(r, append=r[-1] + (r[-1] - r[-2] if r.size > 1 else 1.0))
    rr_prev = np.diff(r, prepend=r[0] - rr[0])
    qt = 0.40 * np.sqrt(np.clip(rr_prev, 0.25, 2.0))  # Bazett: QT shortens with rate
    a, d, q = params.amplitudes, params.directions, params.qrs_scale
    vec = np.zeros((3, t.size))
    vec += np.outer(d["Q"], _bumps(t, r - 0.022 * q, 0.008 * q, a["Q"]))
    vec += np.outer(d["R"], _bumps(t, r, 0.011 * q, a["R"]))
    vec += np.outer(d["S"], _bumps(t, r + 0.026 * q, 0.010 * q, a["S"]))
    vec += np.outer(d["T"], _bumps(t, r + qt - 0.08, 0.045 * np.sqrt(qt / 0.4), a["T"]))
    if params.p_times.size:
        vec += np.outer(d["P"], _bumps(t, params.p_times, 0.022, a["P"]))
    atrial = params.atrial
    if atrial.get("kind") == "fib":
        f = np.zeros_like(t)
        for freq, phase, mod in zip(atrial["freqs"], atrial["phases"], atrial["mod_hz"]):
            inst_phase = 2 * np.pi * freq * t + 0.8 * np.sin(2 * np.pi * mod * t) + phase
            f += (0.6 + 0.4 * np.sin(2 * np.pi * mod * 0.7 * t + phase)) * np.sin(inst_phase)
        vec += np.outer(d["F"], atrial["amp"] * f / 1.5)
    elif atrial.get("kind") == "flutter":
        phase = ((t - atrial["start"]) * atrial["hz"]) % 1.0
        # Saw-tooth: slow ramp over 75 % of the cycle, fast return over 25 %, mean zero.
        saw = np.where(phase < 0.75, phase / 0.75, (1.0 - phase) / 0.25) - 0.5
        vec += np.outer(d["FL"], atrial["amp"] * 2.0 * saw)
    return vec


def render(params: RecordParams, fs: int, rng: np.random.Generator) -> np.ndarray:
    """The 12-lead record (12, seconds * fs) in mV at ``fs`` Hz, canonical lead order, with noise
    and baseline wander (drawn from ``rng``)."""
    n = int(round(params.seconds * fs))
    t = np.arange(n) / fs
    vec = heart_vector(params, t)
    # Eight independent channels: I, II, V1-V6.
    channels = np.vstack([_LEAD_I @ vec, _LEAD_II @ vec, _CHEST_GAIN * (_CHEST @ vec)])
    amp, freq, phase = params.wander.T
    channels += amp[:, None] * np.sin(2 * np.pi * freq[:, None] * t[None, :] + phase[:, None])
    channels += params.noise_mv * rng.standard_normal(channels.shape)
    return limb_leads_from_i_ii(channels[0], channels[1], channels[2:])


def limb_leads_from_i_ii(lead_i: np.ndarray, lead_ii: np.ndarray, chest: np.ndarray) -> np.ndarray:
    """Stack I, II, III = II - I, aVR = -(I + II)/2, aVL = I - II/2, aVF = II - I/2, V1-V6."""
    return np.vstack([
        lead_i, lead_ii, lead_ii - lead_i, -(lead_i + lead_ii) / 2, lead_i - lead_ii / 2, lead_ii - lead_i / 2, chest,
    ])


def decimate(signal_mv: np.ndarray, factor: int, taps: int = 61) -> np.ndarray:
    """Anti-aliased downsampling by an integer factor along the last axis (numpy only): a
    Hamming-windowed sinc low-pass at 0.8 x the new Nyquist frequency, zero phase, then every
    ``factor``-th sample. The 100 Hz PTB-XL files were made from the 500 Hz ones the same way."""
    if factor == 1:
        return signal_mv
    n = np.arange(taps) - (taps - 1) / 2
    cutoff = 0.8 / factor  # fraction of the input Nyquist frequency
    h = cutoff * np.sinc(cutoff * n) * np.hamming(taps)
    h /= h.sum()
    pad = taps // 2
    padded = np.pad(signal_mv, [(0, 0)] * (signal_mv.ndim - 1) + [(pad, pad)], mode="reflect")
    filtered = np.apply_along_axis(lambda row: np.convolve(row, h, mode="valid"), -1, padded)
    return filtered[..., ::factor]


def to_digital(signal_mv: np.ndarray, gain: float = 1000.0) -> np.ndarray:
    """mV -> int16 ADC units at ``gain`` units/mV. Limb leads are derived from the rounded I and II
    so that III = II - I holds exactly in the stored integers (Goldberger leads to +-1 unit)."""
    d = np.clip(np.round(signal_mv * gain), -32767, 32767)
    d[2:6] = np.round(limb_leads_from_i_ii(d[0], d[1], d[6:])[2:6])
    return np.clip(d, -32767, 32767).astype(np.int16)
