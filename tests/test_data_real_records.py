"""Readers on the real PTB-XL and Chapman records in ../shared/data (skipped where missing)."""

import numpy as np
import pandas as pd
import pytest

from synecg.constants import CLASSES, LEADS
from synecg.data import chapman, ptbxl
from synecg.data.prepare import prepare_dataset
from synecg.data.signals import SignalSpec, prepare_signal
from synecg.data.store import load_split, read_records
from synecg.data.wfdb_io import read_header, read_signal, read_wfdb_reference


def test_fast_reader_matches_wfdb_on_every_real_record(shared_data):
    headers = sorted(shared_data.rglob("*.hea"))
    assert len(headers) >= 370
    for path in headers:
        header = read_header(path)
        assert header.fast_readable, path
        assert np.array_equal(read_signal(header), read_wfdb_reference(path), equal_nan=True), path


def test_ptbxl_labels_of_known_records(shared_data):
    frame = ptbxl.catalog(shared_data / "ptbxl", 100, "drop").set_index("record_id")
    # 00003 {'NORM', 'SR'}; 00011 {'NORM', 'SARRH'}; 00012 {'NORM', 'SBRAD'}
    assert frame.loc["3", "label"] == "SR" and frame.loc["3", "split"] == "train"  # strat_fold 5
    assert frame.loc["11", "label"] == "SARRH"
    assert frame.loc["12", "label"] == "SBRAD"
    assert frame.loc["10", "split"] == "val"  # strat_fold 9
    assert frame.loc["3", "patient_id"] == "20372"
    excluded = frame[frame["status"] == "excluded"]
    assert excluded["reason"].str.contains("PACE").sum() == 5
    assert (excluded["reason"] == "no rhythm statement").sum() == 27


def test_chapman_labels_of_known_records_use_sa_for_sinus_irregularity(shared_data):
    frame = chapman.catalog(shared_data / "chapman", "drop").set_index("record_id")
    assert frame.loc["JS00001", "label"] == "AFIB"  # 164889003 + RBBB + TWC
    assert frame.loc["JS00005", "label"] == "AFLT"  # 164890007 = atrial flutter (acronym AF)
    assert frame.loc["JS00666", "label"] == "STACH"
    assert frame.loc["JS20008", "label"] == "SARRH"  # 427393009, acronym SA in the real table
    assert frame.loc["JS24290", "status"] == "excluded"  # SB + SA
    assert "several rhythm statements" in frame.loc["JS24290", "reason"]
    assert frame.loc["JS20005", "label"] == "STACH"  # empty code in '#Dx: a,,b' is ignored
    assert frame.loc["JS23463", "status"] == "quarantined"  # pacing rhythm code not in the table
    priority = chapman.catalog(shared_data / "chapman", ["SARRH", "SBRAD"]).set_index("record_id")
    assert priority.loc["JS24290", "label"] == "SARRH"


def test_records_found_at_any_depth(shared_data):
    headers, orphans = chapman.find_records(shared_data / "chapman")
    depths = {len(p.relative_to(shared_data / "chapman").parts) for p in headers}
    assert len(headers) == 50 and not orphans
    assert depths == {2, 4}  # challenge2021/JS*.hea and WFDBRecords/01/010/JS*.hea


def test_signals_are_mv_with_header_gain_in_canonical_lead_order(shared_data):
    path = shared_data / "ptbxl" / "records100" / "00000" / "00003_lr.hea"
    spec = SignalSpec(source_fs=100, target_fs=100, seconds=10)
    x = prepare_signal(path, spec)
    assert x.shape == (12, 1000) and x.dtype == np.float32
    # header: gain 1000/mV, first values -29 (I) ... 54 (AVR): 1 unit = 1 uV
    assert x[0, 0] == pytest.approx(-0.029) and x[LEADS.index("aVR"), 0] == pytest.approx(0.054)
    # Einthoven holds on the real record to a few ADC units
    assert np.abs(x[2] - (x[1] - x[0])).max() < 0.005


def test_chapman_mat_is_resampled_to_100_hz_with_anti_aliasing(shared_data):
    path = shared_data / "chapman" / "WFDBRecords" / "01" / "010" / "JS00001.hea"
    raw = read_wfdb_reference(path)
    x = prepare_signal(path, SignalSpec(source_fs=500, target_fs=100, seconds=10))
    assert x.shape == (12, 1000)
    assert raw[0, 0] == pytest.approx(-0.254)
    # the low-frequency content survives: means agree, and samples track the 5-sample block means
    assert np.allclose(x.mean(axis=1), raw.mean(axis=1), atol=0.02)
    blocks = raw.reshape(12, 1000, 5).mean(axis=2)
    assert np.corrcoef(x[1, 10:-10], blocks[1, 10:-10])[0, 1] > 0.95
    # at 500 Hz the record is taken as it is
    assert np.array_equal(prepare_signal(path, SignalSpec(source_fs=500, target_fs=500, seconds=10)), raw)


def test_prepare_real_ptbxl_at_500_hz_reads_records500(shared_data, tmp_path):
    records = prepare_dataset("ptbxl", shared_data / "ptbxl", tmp_path, 500, 10, {}, seed=1, threads=1)
    kept = records[records["status"] == "kept"]
    assert kept["source_path"].str.contains("records500").all()
    assert len(records) == 300
    no_file = records["reason"].str.startswith("table row without record files")
    assert no_file.sum() == 280  # only 20 records ship at 500 Hz
    x, y, rows = load_split(tmp_path, "train")
    assert x.shape[1:] == (12, 5000)
    assert set(rows["label"]) <= set(CLASSES)


def test_prepare_real_datasets_reconcile_and_keep_patients_apart(shared_data, tmp_path):
    for name in ("ptbxl", "chapman"):
        prepare_dataset(name, shared_data / name, tmp_path / name, 100, 10, {}, seed=1, threads=2)
        records = read_records(tmp_path / name / "records.csv")
        assert records["status"].isin(["kept", "excluded", "quarantined"]).all()
        kept = records[records["status"] == "kept"]
        with_patient = kept[kept["patient_id"] != ""]  # Chapman has no patient ids
        assert with_patient.empty or with_patient.groupby("patient_id")["split"].nunique().max() == 1
        total = sum(np.load(tmp_path / name / f"{s}.npy", mmap_mode="r").shape[0] for s in ("train", "val", "test"))
        assert total == len(kept)
    chap = read_records(tmp_path / "chapman" / "records.csv").set_index("record_id")
    assert chap.loc["JS11438", "status"] == "quarantined"
    assert chap.loc["JS11438", "reason"] == "all-zero leads V1, V2, V3, V4, V5, V6"
    summary = pd.read_csv(tmp_path / "ptbxl" / "summary.csv", index_col="class")
    assert summary.loc["SR", "total"] == len(read_records(tmp_path / "ptbxl" / "records.csv").query("label == 'SR' and status == 'kept'"))


def test_default_rule_keeps_the_rare_classes_that_drop_removes_on_real_records(shared_data, tmp_path):
    """The audit's counts: with drop PTB-XL keeps 4 AFLT and no SVTAC (none in the test fold),
    Chapman no SARRH; rarest first keeps them (label_rules.csv and summary.csv per split)."""
    for name in ("ptbxl", "chapman"):
        prepare_dataset(name, shared_data / name, tmp_path / name, 100, 10, {}, seed=1)
    rules = {n: pd.read_csv(tmp_path / n / "label_rules.csv", index_col="class") for n in ("ptbxl", "chapman")}
    assert list(rules["ptbxl"].columns) == ["drop", "rarest_first (configured)"]
    assert rules["ptbxl"].loc[["AFLT", "SVTAC", "SARRH"]].to_numpy().tolist() == [[4, 6], [0, 1], [22, 23]]
    assert rules["chapman"].loc[["SARRH", "STACH"]].to_numpy().tolist() == [[1, 3], [15, 17]]
    ptb = pd.read_csv(tmp_path / "ptbxl" / "summary.csv", index_col="class")
    assert ptb.loc["AFLT"].tolist() == [0, 5, 1, 6] and ptb.loc["SVTAC"].tolist() == [0, 0, 1, 1]
    chap = pd.read_csv(tmp_path / "chapman" / "summary.csv", index_col="class")
    assert chap.loc["SARRH", "total"] == 2  # JS24290, JS24580 (SA + SB); JS20008 has all-zero leads
