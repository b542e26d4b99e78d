"""Stacked training: K members trained as one vmapped model equal K separate single runs."""

import numpy as np
import pytest
import torch
from torch import nn

from experiment_fixtures import class_signals
from synecg.classify.metrics import classification_metrics
from synecg.classify.model import ClassifierConfig, ResidualCNN
from synecg.classify.stacked import Member, train_members
from synecg.classify.train import LeadNormaliser, TrainConfig, predict_proba, to_device, train_classifier

TINY = ClassifierConfig(blocks=2, kernels=4, kernel_size=5, fc_layers=2, fc_units=16, dropout=0.3, signal_length=200)


def _data(n, seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 7, n)
    return class_signals(y, 200, rng), y


@pytest.fixture(scope="module")
def members():
    # Different seeds and training-set sizes (40-70 rows: 2 or 3 batches of 32, ragged last
    # batches); member 1 has random validation labels, so it stops early while the others go on.
    xv, yv = _data(40, 99)
    noisy = np.random.default_rng(5).integers(0, 7, 40)
    out = []
    for i, (n, seed) in enumerate([(64, 1), (40, 2), (50, 3), (70, 4)]):
        x, y = _data(n, 10 + i)
        out.append(Member(f"m{i}", [x], y, xv, noisy if i == 1 else yv, seed))
    return out


CFG = TrainConfig(lr=3e-3, max_epochs=8, patience=2)


def test_four_stacked_members_equal_four_single_runs(members, one_torch_thread):
    singles = [train_classifier(m.x_train, m.y_train, m.x_val, m.y_val, TINY, CFG, seed=m.seed) for m in members]
    done = []
    stacked = train_members(members, TINY, CFG, stack=4, on_done=lambda m, r: done.append(m.key))
    stops = [r.stopped_epoch for r in singles]
    assert min(stops) < max(stops)  # one member stopped while the others went on
    assert done[0] == members[int(np.argmin(stops))].key  # ... and was reported as soon as it stopped
    xt, yt = _data(60, 7)
    for single, stack in zip(singles, stacked):
        assert stack.best_epoch == single.best_epoch and stack.stopped_epoch == single.stopped_epoch
        assert [h["val_loss"] for h in stack.history] == pytest.approx([h["val_loss"] for h in single.history], abs=1e-5)
        p_single = predict_proba(single.model, single.normaliser, xt)
        p_stack = predict_proba(stack.model, stack.normaliser, xt)
        np.testing.assert_allclose(p_stack, p_single, atol=1e-5)
        m_single, m_stack = classification_metrics(yt, p_single), classification_metrics(yt, p_stack)
        assert {k: v for k, v in m_stack.items() if "auroc" not in k} == {k: v for k, v in m_single.items() if "auroc" not in k}
        assert m_stack["macro_auroc"] == pytest.approx(m_single["macro_auroc"], abs=1e-6)


def test_stacked_transfer_members_keep_frozen_convolutions_and_given_normaliser(members, one_torch_thread):
    init = ResidualCNN(TINY)
    norm = LeadNormaliser().fit(*members[0].x_train)
    cfg = TrainConfig(lr=3e-3, max_epochs=3, patience=5, trainable="head", class_weights=True)
    tuned = [Member(m.key, m.x_train, m.y_train, m.x_val, m.y_val, m.seed, init_model=init, normaliser=norm if i % 2 else None)
             for i, m in enumerate(members)]
    singles = [train_classifier(m.x_train, m.y_train, m.x_val, m.y_val, TINY, cfg, m.seed, init_model=init, normaliser=m.normaliser)
               for m in tuned]
    stacked = train_members(tuned, TINY, cfg, stack=3)
    for single, stack, m in zip(singles, stacked, tuned):
        assert torch.equal(stack.model.stem.weight, init.stem.weight)  # convolutions frozen
        assert (stack.normaliser is norm) == (m.normaliser is norm)
        np.testing.assert_allclose(predict_proba(stack.model, stack.normaliser, m.x_val),
                                   predict_proba(single.model, single.normaliser, m.x_val), atol=1e-5)


def _plain_torch_run(member: Member, cfg: TrainConfig, epochs: int) -> ResidualCNN:
    """The classic loop: nn.Dropout on the global RNG, torch.optim.AdamW, randperm batch order."""
    with torch.random.fork_rng():
        torch.manual_seed(member.seed)
        model = ResidualCNN(TINY)
        norm = LeadNormaliser().fit(*member.x_train)
        x, y = to_device(member.x_train[0], norm, torch.device("cpu")), torch.as_tensor(member.y_train)
        opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        order_gen = torch.Generator().manual_seed(member.seed)
        model.train()
        for _ in range(epochs):
            order = torch.randperm(len(y), generator=order_gen)
            for start in range(0, len(y), cfg.batch_size):
                idx = order[start : start + cfg.batch_size]
                loss = nn.functional.cross_entropy(model(x[idx]), y[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
    return model.eval()


def test_single_run_follows_the_plain_torch_loop_dropout_stream_included(members, one_torch_thread):
    m = members[3]
    cfg = TrainConfig(lr=3e-3, max_epochs=1)  # one epoch: its weights are the best ones, the loops compare 1:1
    reference = _plain_torch_run(m, cfg, epochs=1)
    result = train_members([m], TINY, cfg, stack=1)[0]
    for (name, a), b in zip(reference.state_dict().items(), result.model.state_dict().values()):
        torch.testing.assert_close(b, a, atol=1e-6, rtol=1e-5, msg=name)
