"""Known answers of the learning-check metrics (synecg.generators.learning)."""

import numpy as np

from synecg.generators.learning import amplitude_ratio, c2st_accuracy, log_psd_distance, set_metrics, trts_accuracy

FS = 100


def _sines(n: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(1000) / FS
    f = rng.uniform(1.0, 2.0, (n, 12, 1))
    return (np.sin(2 * np.pi * f * t) + 0.01 * rng.standard_normal((n, 12, 1000))).astype(np.float32)


def test_identical_sets_give_amplitude_ratio_one_and_zero_psd_distance():
    x = _sines(40, np.random.default_rng(0))
    assert amplitude_ratio(x, x) == 1.0
    assert log_psd_distance(x, x, FS) < 1e-9


def test_gaussian_noise_is_far_in_spectrum_and_separable():
    rng = np.random.default_rng(1)
    real = _sines(60, rng)
    noise = rng.standard_normal(real.shape).astype(np.float32) * real.std()
    assert abs(amplitude_ratio(real, noise) - 1) < 0.05  # same scale: only the spectrum tells them apart
    assert log_psd_distance(real, noise, FS) > 10 * log_psd_distance(real, _sines(60, rng), FS)
    assert c2st_accuracy(real, noise, FS, seed=0) > 0.95
    assert c2st_accuracy(real, _sines(60, rng), FS, seed=0) < 0.75


def test_bank_of_real_records_gets_trts_equal_to_real_accuracy():
    rng = np.random.default_rng(2)
    x = _sines(50, rng)
    y = rng.integers(0, 7, 50)
    # a classifier right on the first 35 records only: accuracy 0.7 on real and on a "bank" of them
    predict = lambda z: np.where(np.arange(len(z)) < 35, y[: len(z)], (y[: len(z)] + 1) % 7)  # noqa: E731
    assert trts_accuracy(predict, x, y) == 0.7
    metrics = set_metrics(x, x.copy(), y, predict, FS, seed=0)
    assert metrics["trts"] == 0.7 and metrics["amplitude_ratio"] == 1.0


def test_cpu_time_cap_stops_the_training_loop_with_a_checkpoint(tmp_path):
    import time

    import torch

    from synecg.generators.training import CheckpointStore, LoopConfig, run_loop

    model = torch.nn.Linear(2, 1)

    def busy_step(step):
        t = time.process_time()
        while time.process_time() - t < 0.02:  # 20 ms of CPU per step
            pass
        return {"loss": torch.zeros(())}

    store = CheckpointStore(tmp_path, "fp")
    result = run_loop(LoopConfig(steps=10_000, checkpoint_every=10_000, log_every=10_000, max_cpu_minutes=0.2 / 60),
                      store, {"model": model}, busy_step)
    assert result.stopped_by == "cpu-time"
    assert 5 <= result.final_step < 100
    assert store.latest()["step"] == result.final_step


def _ecgs(labels: list[str], per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Simulated 12-lead records (the demo simulator) at FS Hz, and their class indices."""
    from synecg.constants import CLASSES
    from synecg.data.simulate import draw_record, render
    from synecg.seeding import numpy_rng

    x, y = [], []
    for label in labels:
        for i in range(per_class):
            x.append(render(draw_record(label, 10.0, numpy_rng(seed, "record", label, i)), FS, numpy_rng(seed, "noise", label, i)))
            y.append(CLASSES.index(label))
    return np.stack(x), np.array(y)


def test_beat_ratio_counts_missing_beats_not_beat_height():
    from synecg.generators.learning import beat_ratio

    real, y = _ecgs(["SBRAD", "SR", "STACH"], 6, seed=3)
    other, y_other = _ecgs(["SBRAD", "SR", "STACH"], 6, seed=4)
    half_flat = other.copy()
    half_flat[..., half_flat.shape[-1] // 2:] = 0.0  # the second 5 s drawn as flat baseline
    same = beat_ratio(real, y, other, y_other, FS)
    assert 0.85 < same < 1.15
    assert 0.85 < beat_ratio(real, y, 0.8 * other, y_other, FS) < 1.15  # lower beats are still beats
    assert 0.35 < beat_ratio(real, y, half_flat, y_other, FS) < 0.65
    assert beat_ratio(real, y, 0.05 * other, y_other, FS) < 0.1  # a near-flat bank has no beats
    # amplitude alone cannot tell the half-flat bank from one of lower beats
    assert abs(amplitude_ratio(real, half_flat) - amplitude_ratio(real, 0.75 * other)) < 0.1
