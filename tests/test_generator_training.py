"""The resumable training loop: a killed-and-resumed run ends with the weights of an uninterrupted one."""

import numpy as np
import torch

from synecg.generators.training import (
    EMA,
    CheckpointStore,
    LoopConfig,
    batch_indices,
    config_fingerprint,
    run_loop,
)


def test_batch_order_is_a_pure_function_of_the_step_and_covers_each_epoch():
    n, bs = 10, 3
    first = [batch_indices(n, bs, seed=5, step=s) for s in range(3)]
    again = [batch_indices(n, bs, seed=5, step=s) for s in range(3)]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert len(set(np.concatenate(first))) == 9  # one epoch: 3 disjoint batches of 3
    assert not np.array_equal(batch_indices(n, bs, 5, 0), batch_indices(n, bs, 6, 0))
    assert len(batch_indices(2, 8, 5, 0)) == 2  # a set smaller than the batch is used whole


class _Stop(Exception):
    pass


def _train(folder, steps, crash_at=None):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Dropout(0.3), torch.nn.Linear(8, 1))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    ema = EMA(model, max_decay=0.9)
    gen = torch.Generator().manual_seed(3)
    data = torch.randn(20, 4, generator=torch.Generator().manual_seed(1))

    def step_fn(step):
        if crash_at is not None and step == crash_at:
            raise _Stop
        x = data[torch.from_numpy(batch_indices(20, 4, 9, step))]
        noise = torch.randn(x.shape[0], 1, generator=gen)
        loss = ((model(x) - noise) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        ema.update(model)
        return {"loss": loss.detach()}

    store = CheckpointStore(folder, config_fingerprint({"steps": steps}))
    result = run_loop(LoopConfig(steps=steps, checkpoint_every=5, log_every=5), store,
                      {"model": model, "opt": opt, "ema": ema}, step_fn, generators={"noise": gen})
    return model, ema, result


def test_killed_and_resumed_run_matches_uninterrupted_run(tmp_path):
    ref_model, ref_ema, _ = _train(tmp_path / "ref", steps=17)
    try:
        _train(tmp_path / "run", steps=17, crash_at=12)
    except _Stop:
        pass
    model, ema, result = _train(tmp_path / "run", steps=17)
    assert result.resumed_from == 10
    for a, b in zip(ref_model.state_dict().values(), model.state_dict().values()):
        assert torch.equal(a, b)
    for k in ref_ema.shadow:
        assert torch.equal(ref_ema.shadow[k], ema.shadow[k])


def test_checkpoint_of_another_config_is_not_resumed(tmp_path):
    store = CheckpointStore(tmp_path, "aaaa")
    store.save(5, {"components": {}, "generators": {}, "torch_rng": torch.get_rng_state()})
    assert CheckpointStore(tmp_path, "bbbb").latest() is None
    assert CheckpointStore(tmp_path, "aaaa").latest()["step"] == 5


def test_checkpoint_carries_the_cuda_rng_field_and_loads_with_weights_only(tmp_path):
    _train(tmp_path, steps=5)
    (path,) = sorted(tmp_path.glob("step_*.pt"))
    payload = torch.load(path, map_location="cpu", weights_only=True)  # raises on any pickled object
    assert "cuda_rng" in payload
    expected = torch.cuda.get_rng_state_all() if torch.cuda.is_available() and torch.cuda.is_initialized() else []
    assert len(payload["cuda_rng"]) == len(expected)
