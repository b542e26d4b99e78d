"""Stacked training: K classifiers of one architecture trained as one vmapped model.

Each member is a full single run: its own initial weights (``torch.manual_seed(seed)`` then the
model is built, exactly as a single run always did), its own batch order (a generator seeded with
``seed`` draws one ``randperm`` per epoch), its own dropout masks (a generator that continues the
global CPU stream from where the initialisation left it, i.e. the stream ``nn.Dropout`` used in a
single run), its own AdamW moments and step count, and its own early stopping.

The members' weights are stacked with ``torch.func.stack_module_state`` and the model runs through
``torch.func.functional_call`` under ``torch.vmap``: vmap turns each convolution with K weight sets
into one grouped convolution (groups = K) and each Linear into one batched matmul, so one step of
K members costs a handful of kernels instead of K times as many.

Different training-set sizes: the members train in epoch rounds. In round e every live member runs
its own epoch e: step s of the round feeds member k its batch s if it has one. A member with fewer
batches is *inactive* for the remaining steps: its rows carry zero loss weight, it draws no dropout
masks, and its AdamW update is skipped exactly (``torch.where`` keeps its weights, moments and step
count; a zero gradient alone would not do: AdamW still decays the weights and the moments). Ragged
last batches are padded to the batch size with zero-weight rows. A member that stops early is
finalised with its best weights and removed from the stack, so it no longer costs compute.
"""

from __future__ import annotations

import copy
import logging
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch
from torch import Tensor, nn
from torch.func import functional_call, stack_module_state

from synecg.classify.model import ClassifierConfig, ResidualCNN
from synecg.classify.train import LeadNormaliser, TrainConfig, TrainResult, class_weight_tensor, to_device

ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8


@dataclass
class Member:
    """One classifier to train; the arguments of ``train_classifier`` for one run.

    ``x_train``: training parts (N_i, 12, L) whose rows match ``y_train`` (N,) in order; ``x_val``
    (M, 12, L), ``y_val`` (M,). ``init_model`` starts from trained weights (transfer learning),
    ``normaliser`` reuses given statistics instead of fitting them on the training parts.
    """

    key: str
    x_train: Sequence[np.ndarray]
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    seed: int
    init_model: ResidualCNN | None = None
    normaliser: LeadNormaliser | None = None

    @property
    def n_train(self) -> int:
        return len(self.y_train)


class _Forward(nn.Module):
    """The classifier with its dropout layers fed explicit masks (one (B, units) mask per layer)."""

    def __init__(self, model: ResidualCNN):
        super().__init__()
        self.model = model

    def forward(self, x: Tensor, masks: Sequence[Tensor] | None = None) -> Tensor:
        h = self.model.conv_features(x)
        i = 0
        for layer in self.model.hidden:
            if isinstance(layer, nn.Dropout):
                if masks is not None:
                    h = h * masks[i]
                i += 1
            else:
                h = layer(h)
        return self.model.out(h)


def _n_dropout(model: ResidualCNN) -> int:
    return sum(isinstance(m, nn.Dropout) for m in model.hidden)


class _Live:
    """Per-member state that lives on the host: generators, data offsets, early stopping."""

    def __init__(self, index: int, member: Member, n: int, offset: int, order_gen: torch.Generator,
                 drop_gen: torch.Generator, result):
        self.index, self.member, self.n, self.offset = index, member, n, offset
        self.order_gen, self.drop_gen, self.result = order_gen, drop_gen, result
        self.step = 0  # AdamW updates done
        self.waited = 0
        self.best: dict[str, Tensor] | None = None


def _init_member(member: Member, model_cfg: ClassifierConfig, device: torch.device) -> tuple[ResidualCNN, torch.Generator]:
    """A member's initial model and dropout generator, seeded exactly as a single run."""
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(member.seed)
        model = copy.deepcopy(member.init_model) if member.init_model is not None else ResidualCNN(model_cfg)
        drop_gen = torch.Generator(device=device)
        if device.type == "cpu":
            drop_gen.set_state(torch.get_rng_state())  # nn.Dropout's stream after the initialisation
        else:
            drop_gen.manual_seed(member.seed)
    return model.to(device), drop_gen


def train_members(
    members: Sequence[Member], model_cfg: ClassifierConfig, train_cfg: TrainConfig, device: torch.device | str = "cpu",
    logger: logging.Logger | None = None, stack: int = 1,
    on_done: Callable[[Member, TrainResult], None] | None = None,
    on_epoch_end: Callable[[Member, int, ResidualCNN, LeadNormaliser], None] | None = None,
) -> list[TrainResult]:
    """Train every member; return their TrainResults in the order given.

    Members are sorted by training-set size (stable) and trained ``stack`` at a time as one stacked
    model, so members of one stack have similar epoch lengths and little padding. ``on_done(member,
    result)`` is called as soon as a member stops (its best weights restored), before the others of
    its stack finish: the place to write its outputs for a resumable job. ``on_epoch_end(member,
    epoch, model, normaliser)`` is called for every live member after each epoch with a copy of its
    current weights (hyper-parameter search reports to its pruner there; an exception ends training).
    """
    if stack < 1:
        raise ValueError(f"stack must be >= 1, not {stack}")
    device = torch.device(device)
    order = sorted(range(len(members)), key=lambda i: members[i].n_train)
    results: dict[int, TrainResult] = {}
    for start in range(0, len(order), stack):
        chunk = order[start : start + stack]
        for i, result in zip(chunk, _train_stack([members[i] for i in chunk], model_cfg, train_cfg, device, logger, on_done, on_epoch_end)):
            results[i] = result
    return [results[i] for i in range(len(members))]


def _train_stack(members: Sequence[Member], model_cfg: ClassifierConfig, train_cfg: TrainConfig, device: torch.device,
                 logger: logging.Logger | None, on_done: Callable | None,
                 on_epoch_end: Callable | None = None) -> list[TrainResult]:
    """Train ``members`` as one stacked model; return their TrainResults in order (see module doc)."""
    started = time.perf_counter()
    inits, drop_gens, norms = [], [], []
    for m in members:
        model, gen = _init_member(m, model_cfg, device)
        inits.append(model)
        drop_gens.append(gen)
        norms.append(m.normaliser or LeadNormaliser().fit(*m.x_train))
    cfgs = {tuple(sorted(vars(mod.cfg).items())) for mod in inits}
    if len(cfgs) != 1:
        raise ValueError(f"members {[m.key for m in members]} do not share one architecture")
    template = copy.deepcopy(inits[0])  # the finished members' models are copies of this one
    net = _Forward(copy.deepcopy(inits[0])).to(device)
    params, buffers = stack_module_state(inits)
    params = {k: v.detach().clone() for k, v in params.items()}
    if train_cfg.trainable == "head":
        frozen = {id(p) for p in template.conv_parameters()}
        trainable = [k for k, p in template.named_parameters() if id(p) not in frozen]
    elif train_cfg.trainable == "all":
        trainable = [k for k, _ in template.named_parameters()]
    else:
        raise ValueError(f"trainable must be 'all' or 'head', not {train_cfg.trainable!r}")

    # Data: every member's normalised training rows in one pool, validation padded to one block.
    xs, ys, live, offset = [], [], [], 0
    for i, (m, norm) in enumerate(zip(members, norms)):
        y = np.asarray(m.y_train, dtype=np.int64)
        if sum(len(p) for p in m.x_train) != len(y):
            raise ValueError(f"member {m.key}: {sum(len(p) for p in m.x_train)} training signals but {len(y)} labels")
        if len(y) == 0 or len(m.y_val) == 0:
            raise ValueError(f"member {m.key}: empty training ({len(y)}) or validation ({len(m.y_val)}) set")
        xs += [to_device(p, norm, device) for p in m.x_train]
        ys.append(torch.as_tensor(y, device=device))
        order_gen = torch.Generator(device=device)
        order_gen.manual_seed(m.seed)
        result = TrainResult(model=inits[i], normaliser=norm, model_cfg=model_cfg if m.init_model is None else m.init_model.cfg)
        live.append(_Live(i, m, len(y), offset, order_gen, drop_gens[i], result))
        offset += len(y)
    x_pool, y_pool = torch.cat(xs), torch.cat(ys)
    del xs
    cw = torch.stack([class_weight_tensor(np.asarray(m.y_train, dtype=np.int64), device) for m in members]) if train_cfg.class_weights else None
    n_val = max(len(m.y_val) for m in members)
    xv = torch.zeros((len(members), n_val, *x_pool.shape[1:]), device=device)
    yv = torch.zeros((len(members), n_val), dtype=torch.long, device=device)
    for i, (m, norm) in enumerate(zip(members, norms)):
        xv[i, : len(m.y_val)] = to_device(m.x_val, norm, device)
        yv[i, : len(m.y_val)] = torch.as_tensor(np.asarray(m.y_val, dtype=np.int64), device=device)
    val_w = (torch.arange(n_val, device=device)[None] < torch.as_tensor([len(m.y_val) for m in members], device=device)[:, None]).float()

    n_drop, p_drop = _n_dropout(template), float(template.cfg.dropout)
    units = template.cfg.fc_units
    moments = {k: (torch.zeros_like(params[k]), torch.zeros_like(params[k])) for k in trainable}
    autocast = torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=train_cfg.bf16 and device.type == "cuda")
    bs = train_cfg.batch_size

    def logits_of(p, x, masks):
        return functional_call(net, ({("model." + k): v for k, v in p.items()}, buffers), (x, masks))

    train_fwd = torch.vmap(logits_of, in_dims=(0, 0, 0))
    eval_fwd = torch.vmap(lambda p, x: logits_of(p, x, None), in_dims=(0, 0))
    done: dict[int, TrainResult] = {}

    def finish(state: _Live, row: int) -> None:
        model = copy.deepcopy(template)
        best = state.best if state.best is not None else {k: v[row].detach().clone() for k, v in params.items()}
        model.load_state_dict(best, strict=False)
        model.requires_grad_(True)
        model.eval()
        state.result.model = model
        state.result.seconds = time.perf_counter() - started
        done[state.index] = state.result
        if on_done is not None:
            on_done(state.member, state.result)

    for epoch in range(1, train_cfg.max_epochs + 1):
        k = len(live)
        steps = [-(-s.n // bs) for s in live]
        n_steps = max(steps)
        # Index matrix (K, n_steps * bs): each member's permutation, padded with its first row.
        index = torch.empty((k, n_steps * bs), dtype=torch.long, device=device)
        weight = torch.zeros((k, n_steps * bs), device=device)
        for j, s in enumerate(live):
            order = torch.randperm(s.n, device=device, generator=s.order_gen)
            index[j, : s.n] = order + s.offset
            index[j, s.n :] = s.offset
            weight[j, : s.n] = 1.0
        loss_sum = torch.zeros(k, device=device)
        masks = torch.zeros((n_drop, k, bs, units), device=device)
        for step in range(n_steps):
            cols = slice(step * bs, (step + 1) * bs)
            idx, w = index[:, cols], weight[:, cols]
            yb = y_pool[idx]
            active = [step < st for st in steps]
            if n_drop:
                masks.zero_()
                for j, s in enumerate(live):
                    if active[j]:
                        b = min(bs, s.n - step * bs)
                        for layer in range(n_drop):
                            masks[layer, j, :b].bernoulli_(1 - p_drop, generator=s.drop_gen)
                masks.div_(1 - p_drop)
            leaves = {n: (v.requires_grad_(True) if n in moments else v) for n, v in params.items()}
            with autocast:
                logits = train_fwd(leaves, x_pool[idx], list(masks))
            per_row = nn.functional.cross_entropy(logits.float().flatten(0, 1), yb.flatten(), reduction="none").view(k, -1)
            rw = w * cw.gather(1, yb) if cw is not None else w
            member_loss = (per_row * rw).sum(1) / rw.sum(1).clamp_min(1e-12)
            grads = torch.autograd.grad(member_loss.sum(), [params[n] for n in moments])
            loss_sum += member_loss.detach() * w.sum(1)
            with torch.no_grad():
                _adamw_step(params, moments, dict(zip(moments, grads)), live, active, train_cfg, device)
        with torch.no_grad():
            val_sum = torch.zeros(k, device=device)
            correct = torch.zeros(k, device=device)
            for start in range(0, n_val, train_cfg.eval_batch_size):
                sl = slice(start, start + train_cfg.eval_batch_size)
                with autocast:
                    lv = eval_fwd(params, xv[:, sl]).float()
                per_row = nn.functional.cross_entropy(lv.flatten(0, 1), yv[:, sl].flatten(), reduction="none").view(k, -1)
                val_sum += (per_row * val_w[:, sl]).sum(1)
                correct += ((lv.argmax(-1) == yv[:, sl]).float() * val_w[:, sl]).sum(1)
        host = torch.stack([loss_sum, val_sum, correct]).cpu().double().tolist()  # the one host sync of the epoch
        keep = []
        for j, s in enumerate(live):
            n_v = len(s.member.y_val)
            train_loss, val_loss, val_acc = host[0][j] / s.n, host[1][j] / n_v, host[2][j] / n_v
            res = s.result
            res.history.append({"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss, "val_acc": val_acc})
            improved = val_loss < res.best_val_loss - train_cfg.min_delta
            if improved:
                res.best_val_loss, res.best_epoch, s.waited = val_loss, epoch, 0
                s.best = {n: v[j].detach().clone() for n, v in params.items()}
            else:
                s.waited += 1
            res.stopped_epoch = epoch
            if logger:
                logger.info("%s epoch %d train_loss %.5f val_loss %.5f val_acc %.4f%s", s.member.key, epoch,
                            train_loss, val_loss, val_acc, " *" if improved else "")
            if on_epoch_end is not None:
                current = copy.deepcopy(template)
                current.load_state_dict({n: v[j].detach().clone() for n, v in params.items()}, strict=False)
                on_epoch_end(s.member, epoch, current.eval(), res.normaliser)
            if s.waited >= train_cfg.patience or epoch == train_cfg.max_epochs:
                finish(s, j)
            else:
                keep.append(j)
        if not keep:
            break
        if len(keep) < k:  # drop the finished members from the stack
            rows = torch.as_tensor(keep, device=device)
            params = {n: v.index_select(0, rows) for n, v in params.items()}
            moments = {n: (m.index_select(0, rows), v.index_select(0, rows)) for n, (m, v) in moments.items()}
            if cw is not None:
                cw = cw.index_select(0, rows)
            xv, yv, val_w = xv.index_select(0, rows), yv.index_select(0, rows), val_w.index_select(0, rows)
            live = [live[j] for j in keep]
    return [done[i] for i in range(len(members))]


def _adamw_step(params: dict[str, Tensor], moments: dict[str, tuple[Tensor, Tensor]], grads: dict[str, Tensor],
                live: Sequence[_Live], active: Sequence[bool], train_cfg, device: torch.device) -> None:
    """torch.optim.AdamW's update (single-tensor form) on stacked tensors, one step count per member;
    inactive members keep weights, moments and step count exactly."""
    beta1, beta2 = ADAM_BETAS
    lr, wd = train_cfg.lr, train_cfg.weight_decay
    for s, a in zip(live, active):
        s.step += int(a)
    steps = np.asarray([max(s.step, 1) for s in live], dtype=np.float64)
    step_size = torch.as_tensor(-lr / (1 - beta1**steps), dtype=torch.float32, device=device)
    bc2_sqrt = torch.as_tensor(np.sqrt(1 - beta2**steps), dtype=torch.float32, device=device)
    all_active = all(active)
    mask = None if all_active else torch.as_tensor(list(active), device=device)
    for name, (m, v) in moments.items():
        p, g = params[name], grads[name]
        shape = (-1,) + (1,) * (p.dim() - 1)
        new_p = p * (1 - lr * wd)
        new_m = torch.lerp(m, g, 1 - beta1)
        new_v = (v * beta2).addcmul_(g, g, value=1 - beta2)
        denom = (new_v.sqrt() / bc2_sqrt.view(shape)).add_(ADAM_EPS)
        new_p = new_p + step_size.view(shape) * (new_m / denom)
        if mask is not None:
            sel = mask.view(shape)
            new_p, new_m, new_v = torch.where(sel, new_p, p), torch.where(sel, new_m, m), torch.where(sel, new_v, v)
        params[name] = new_p
        moments[name] = (new_m, new_v)
