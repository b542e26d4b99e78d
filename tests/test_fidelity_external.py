"""External bank directories: a bank made elsewhere that does not fit the dataset gets an error naming the file."""

import numpy as np
import pytest

from synecg.errors import ContractError
from synecg.fidelity.external import check_bank
from synecg.generators.bank import load_bank, write_bank


def _ecg(n=14, length=1000, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(length) / 100
    return (np.sin(2 * np.pi * 1.2 * t) ** 21 + 0.02 * rng.standard_normal((n, 12, length))).astype(np.float32)


@pytest.mark.parametrize("case, problem", [
    ("microvolts", "must be in mV"),
    ("volts", "must be in mV"),
    ("nan", "non-finite"),
    ("length", "samples, the dataset's records have 1000"),
])
def test_bad_external_bank_is_rejected_with_the_file_and_the_problem(tmp_path, case, problem):
    x = _ecg(length=500 if case == "length" else 1000)
    x = {"microvolts": x * 1000, "volts": x / 1000}.get(case, x)
    if case == "nan":
        x[3, 2, 7] = np.nan
    write_bank(tmp_path / case, x, np.arange(len(x)) % 7, {"source": "elsewhere"})
    with pytest.raises(ContractError, match=problem) as err:
        check_bank(load_bank(tmp_path / case), tmp_path / case, 1000)
    assert str(tmp_path / case / "bank.npy") in str(err.value)


def test_good_external_bank_passes_and_wrong_lead_count_or_labels_fail_in_the_loader(tmp_path):
    write_bank(tmp_path / "ok", _ecg(), np.arange(14) % 7, {})
    check_bank(load_bank(tmp_path / "ok"), tmp_path / "ok", 1000)
    with pytest.raises(ContractError, match="expected"):
        write_bank(tmp_path / "leads", _ecg()[:, :8], np.arange(14) % 7, {})
    write_bank(tmp_path / "labels", _ecg(), np.arange(14) % 7, {})
    labels = (tmp_path / "labels" / "labels.csv").read_text().replace("SBRAD", "NORM")
    (tmp_path / "labels" / "labels.csv").write_text(labels)
    with pytest.raises(ContractError, match="labels.csv"):
        load_bank(tmp_path / "labels")
