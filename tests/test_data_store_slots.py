"""SplitSlots: rows written at slots by several processes, unfilled slots dropped in order."""

import multiprocessing

import numpy as np
import pytest

from synecg.data.store import SplitSlots, write_slot
from synecg.errors import ContractError


def _fill(args):
    target, slot = args
    write_slot(target, slot, np.full((12, 7), float(slot)))
    return slot


def test_slots_filled_out_of_order_by_two_processes_keep_slot_order(tmp_path):
    slots = SplitSlots(tmp_path / "train.npy", 40, 7)
    order = list(np.random.default_rng(0).permutation(40))
    filled = np.ones(40, dtype=bool)
    filled[[0, 5, 6, 39]] = False  # records quarantined while reading: never written
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pool.map(_fill, [(slots.target, int(s)) for s in order if filled[s]])
    assert slots.close(filled) == 36
    x = np.load(tmp_path / "train.npy")
    assert x.shape == (36, 12, 7) and x.dtype == np.float32
    assert list(x[:, 3, 2]) == [float(s) for s in range(40) if filled[s]]
    assert not list(tmp_path.glob(".*partial*"))


def test_large_capacity_and_empty_splits_give_valid_npy(tmp_path):
    big = SplitSlots(tmp_path / "val.npy", 10**6, 5)  # sparse file; the header has room for the digits
    write_slot(big.target, 3, np.ones((12, 5)))
    flags = np.zeros(10**6, dtype=bool)
    flags[3] = True
    assert big.close(flags) == 1
    assert np.load(tmp_path / "val.npy").shape == (1, 12, 5)
    empty = SplitSlots(tmp_path / "test.npy", 0, 5)
    empty.close([])
    assert np.load(tmp_path / "test.npy").shape == (0, 12, 5)


def test_wrong_row_shape_or_slot_is_refused(tmp_path):
    slots = SplitSlots(tmp_path / "train.npy", 2, 7)
    with pytest.raises(ContractError):
        write_slot(slots.target, 0, np.zeros((12, 8)))
    with pytest.raises(ContractError):
        write_slot(slots.target, 2, np.zeros((12, 7)))


def test_rewriting_a_split_in_one_process_never_touches_the_previous_file(tmp_path):
    from synecg.data import store

    first = SplitSlots(tmp_path / "train.npy", 2, 7)
    for slot in range(2):
        write_slot(first.target, slot, np.full((12, 7), 1.0))
    first.close([True, True])
    kept = tmp_path / "kept.npy"
    (tmp_path / "train.npy").rename(kept)
    second = SplitSlots(tmp_path / "train.npy", 2, 7)
    for slot in range(2):
        write_slot(second.target, slot, np.full((12, 7), 2.0))
    second.close([True, False])
    assert (np.load(kept) == 1.0).all() and np.load(tmp_path / "train.npy").shape == (1, 12, 7)
    assert (np.load(tmp_path / "train.npy") == 2.0).all()
    assert not store._SLOT_FILES  # descriptors released on close
