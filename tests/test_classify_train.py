"""Training loop: best weights restored, seeded, samples never dropped, normaliser, freezing."""

import numpy as np
import pytest
import torch
from torch import nn

from experiment_fixtures import class_signals
from synecg.classify.model import ClassifierConfig
from synecg.classify.train import (
    LeadNormaliser,
    TrainConfig,
    load_classifier,
    predict_proba,
    save_classifier,
    to_device,
    train_classifier,
)

TINY = ClassifierConfig(blocks=2, kernels=4, kernel_size=5, fc_layers=1, fc_units=16, signal_length=200)


def _data(n, seed, length=200):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 7, n)
    return class_signals(y, length, rng), y


def test_early_stopping_restores_the_best_validation_epoch():
    # Validation labels are random: the training set is memorised and validation loss soon rises.
    x, y = _data(64, 0)
    xv, _ = _data(64, 1)
    yv = np.random.default_rng(2).integers(0, 7, 64)
    result = train_classifier(x, y, xv, yv, TINY, TrainConfig(lr=1e-2, max_epochs=40, patience=3), seed=3)
    losses = [h["val_loss"] for h in result.history]
    assert result.best_epoch < result.stopped_epoch  # it stopped after the best epoch ...
    assert result.stopped_epoch - result.best_epoch == 3  # ... by exactly the patience
    assert result.best_val_loss == pytest.approx(min(losses))
    with torch.no_grad():
        logits = result.model(to_device(xv, result.normaliser, torch.device("cpu")))
        restored = nn.functional.cross_entropy(logits, torch.as_tensor(yv)).item()
    assert restored == pytest.approx(losses[result.best_epoch - 1], rel=1e-4)


def test_training_is_reproducible_from_the_seed():
    x, y = _data(48, 0)
    xv, yv = _data(16, 1)
    cfg = TrainConfig(lr=3e-3, max_epochs=2)
    a = train_classifier(x, y, xv, yv, TINY, cfg, seed=11)
    b = train_classifier(x, y, xv, yv, TINY, cfg, seed=11)
    c = train_classifier(x, y, xv, yv, TINY, cfg, seed=12)
    assert [h["val_loss"] for h in a.history] == [h["val_loss"] for h in b.history]
    assert [h["val_loss"] for h in a.history] != [h["val_loss"] for h in c.history]


def test_classifier_learns_class_dependent_rhythms():
    x, y = _data(350, 0)
    xv, yv = _data(70, 1)
    xt, yt = _data(70, 2)
    result = train_classifier(x, y, xv, yv, ClassifierConfig(blocks=2, kernels=8, fc_layers=1, fc_units=32, signal_length=200),
                              TrainConfig(lr=3e-3, max_epochs=15, patience=4), seed=0)
    accuracy = (predict_proba(result.model, result.normaliser, xt).argmax(1) == yt).mean()
    assert accuracy > 0.85


def test_predict_proba_scores_every_sample_of_a_ragged_last_batch():
    x, y = _data(40, 0)
    result = train_classifier(x, y, x, y, TINY, TrainConfig(max_epochs=1), seed=0)
    xt, _ = _data(257, 5)
    proba = predict_proba(result.model, result.normaliser, xt, batch_size=32)
    assert proba.shape == (257, 7)
    assert np.allclose(proba.sum(axis=1), 1.0, atol=1e-5)


def test_normaliser_pools_real_and_synthetic_parts_like_their_concatenation():
    a, _ = _data(10, 0)
    b, _ = _data(7, 1)
    b = b * 3 + 1
    pooled = LeadNormaliser().fit(a, b, chunk=4)
    joint = np.concatenate([a, b])
    assert np.allclose(pooled.mean.ravel(), joint.mean(axis=(0, 2)), atol=1e-5)
    assert np.allclose(pooled.std.ravel(), joint.std(axis=(0, 2)), atol=1e-5)
    z = pooled(joint)
    assert np.allclose(z.mean(axis=(0, 2)), 0, atol=1e-4) and np.allclose(z.std(axis=(0, 2)), 1, atol=1e-4)


def test_flat_lead_is_centred_not_divided_by_zero():
    x, _ = _data(5, 0)
    x[:, 3] = 2.0
    z = LeadNormaliser().fit(x)(x)
    assert np.isfinite(z).all() and np.allclose(z[:, 3], 0)


def test_saved_classifier_predicts_the_same(tmp_path):
    x, y = _data(40, 0)
    result = train_classifier(x, y, x, y, TINY, TrainConfig(max_epochs=1), seed=0)
    save_classifier(tmp_path / "clf.pt", result)
    model, normaliser = load_classifier(tmp_path / "clf.pt")
    assert np.allclose(predict_proba(model, normaliser, x), predict_proba(result.model, result.normaliser, x), atol=1e-6)


def test_head_only_fine_tuning_keeps_convolutions_fixed():
    x, y = _data(40, 0)
    pre = train_classifier(x, y, x, y, TINY, TrainConfig(max_epochs=1), seed=0)
    x2, y2 = _data(40, 1)
    tuned = train_classifier(x2, y2, x2, y2, TINY, TrainConfig(lr=1e-2, max_epochs=2, trainable="head"), seed=1, init_model=pre.model)
    for a, b in zip(pre.model.conv_parameters(), tuned.model.conv_parameters()):
        assert torch.equal(a, b)
    assert not all(torch.equal(a, b) for a, b in zip(pre.model.head_parameters(), tuned.model.head_parameters()))
    assert all(p.requires_grad for p in tuned.model.parameters())
