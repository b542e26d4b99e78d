"""Every bad-input case of issue #2 section 4 on small hand-made WFDB trees: quarantined with its
reason, or the rule fails naming the path; and kept + excluded + quarantined = records found."""

import shutil

import numpy as np
import pandas as pd
import pytest

from synecg.constants import LEADS
from synecg.data.demo import PTBXL_LEAD_NAMES, write_demo_chapman
from synecg.data.prepare import prepare_dataset
from synecg.data.signals import SignalSpec, prepare_signal
from synecg.data.store import load_split
from synecg.data.wfdb_io import read_header, read_signal, read_wfdb_reference, write_record
from synecg.errors import DatasetError

SR, AFIB = "426783006", "164889003"

# the records with two rhythm statements here test the exclusion rule: prepare.multi_rhythm drop
DROP = {"multi_rhythm": "drop"}


def _digital(n_leads=12, n=5000, seed=0):
    rng = np.random.default_rng(seed)
    return np.round(rng.normal(0, 300, size=(n_leads, n))).astype(np.int16)


def _chapman_record(folder, name, dx=SR, leads=LEADS, fs=500, n=5000, digital=None):
    digital = _digital(len(leads), n) if digital is None else digital
    comments = ["Age: 50", "Sex: Male", f"Dx: {dx}"]
    return write_record(folder, name, digital, fs, list(leads), mat=True, comments=comments)


@pytest.fixture
def bad_chapman(tmp_path):
    """A Chapman tree: 14 good records (2 per class, so every split can be filled) + one record
    per bad case."""
    root = tmp_path / "chapman"
    write_demo_chapman(root, records_per_class=10, seed=3, seconds=10)
    bad = root / "WFDBRecords" / "09" / "090"
    _chapman_record(bad, "JS90001")
    with open(bad / "JS90001.mat", "r+b") as fh:  # truncated signal file
        fh.truncate(24 + 12 * 2 * 3000)
    _chapman_record(bad, "JS90002")
    with open(bad / "JS90002.mat", "ab") as fh:  # file longer than the header says
        fh.write(b"\0" * 240)
    _chapman_record(bad, "JS90003")
    (bad / "JS90003.mat").unlink()  # missing signal file
    _chapman_record(bad, "JS90004", leads=LEADS[:11])  # 11 leads
    _chapman_record(bad, "JS90005", fs=250, n=2500)  # unexpected sampling rate
    nan = _digital()
    nan[7, 100:120] = -32768  # WFDB's invalid sample -> NaN
    _chapman_record(bad, "JS90006", digital=nan)
    zero = _digital()
    zero[8] = 0
    _chapman_record(bad, "JS90007", digital=zero)  # all-zero lead V3
    _chapman_record(bad, "JS90008", dx="999999999")  # unknown SNOMED code
    _chapman_record(bad, "JS90009", dx="")  # empty #Dx
    _chapman_record(root / "flat", "JS90010", dx=AFIB)
    _chapman_record(root / "elsewhere", "JS90010", dx=AFIB)  # duplicate id
    _chapman_record(bad, "JS90011", n=4000)  # header says 4000 samples (8 s)
    _chapman_record(bad, "JS90012", dx=f"{SR},{AFIB}")  # two rhythms: excluded by rule
    (bad / "JS90013.mat").write_bytes(b"\0" * 100)  # signal file without header
    return root


def test_every_bad_chapman_record_is_quarantined_with_its_reason(bad_chapman, tmp_path):
    records = prepare_dataset("chapman", bad_chapman, tmp_path / "out", 100, 10, DROP, seed=1)
    by_id = records.groupby("record_id")
    status = {rid: list(g["status"]) for rid, g in by_id}
    reason = {rid: " | ".join(g["reason"]) for rid, g in by_id}
    expected = {
        "JS90001": "truncated",
        "JS90002": "longer than its header",
        "JS90003": "signal file not found",
        "JS90004": "11 leads, expected 12",
        "JS90005": "sampling rate 250 Hz, expected 500 Hz",
        "JS90006": "NaN (invalid) samples in leads V2",
        "JS90007": "all-zero leads V3",
        "JS90008": "unknown SNOMED code(s) 999999999",
        "JS90009": "empty #Dx",
        "JS90011": "header says 4000 samples, expected 5000",
        "JS90013": "signal file without a header",
    }
    for rid, text in expected.items():
        assert status[rid] == ["quarantined"], rid
        assert text in reason[rid], (rid, reason[rid])
    assert status["JS90010"] == ["kept", "quarantined"]
    assert "duplicate record id JS90010" in reason["JS90010"]
    assert status["JS90012"] == ["excluded"] and "several rhythm statements" in reason["JS90012"]
    counts = records["status"].value_counts()
    assert counts["kept"] == 71 and counts["excluded"] == 1 and counts["quarantined"] == 12
    assert counts.sum() == 70 + 13 + 1  # records found: 70 good + 13 bad headers + 1 orphan .mat
    spec = SignalSpec(source_fs=500, target_fs=100, seconds=10)
    for split in ("train", "val", "test"):  # quarantined slots dropped, the rest in records order
        x, _, rows = load_split(tmp_path / "out", split)
        assert len(x) == len(rows) > 0
        for k in (0, len(rows) // 2, len(rows) - 1):
            assert np.array_equal(x[k], prepare_signal(rows["source_path"][k], spec))


def test_reasons_are_logged_with_counts(bad_chapman, tmp_path, caplog):
    caplog.set_level("INFO", logger="synecg")
    prepare_dataset("chapman", bad_chapman, tmp_path / "out", 100, 10, DROP, seed=1)
    text = caplog.text
    assert "records found 84: kept 71, excluded 1, quarantined 12" in text
    assert "all-zero leads V3" in text


def test_all_zero_leads_can_be_kept_by_config(bad_chapman, tmp_path):
    records = prepare_dataset("chapman", bad_chapman, tmp_path / "out", 100, 10, {"all_zero_leads": "keep"}, seed=1)
    assert records.set_index("record_id").loc["JS90007", "status"] == "kept"


def test_unusable_datasets_fail_naming_the_path(tmp_path):
    empty = tmp_path / "chapman"
    empty.mkdir()
    with pytest.raises(DatasetError, match="ConditionNames_SNOMED-CT.csv not found") as err:
        prepare_dataset("chapman", empty, tmp_path / "out", 100, 10, {}, seed=1)
    assert str(empty) in str(err.value)
    shutil.copy(__file__, empty / "unrelated.py")
    (empty / "ConditionNames_SNOMED-CT.csv").write_text("AcronymName,FullName,Snomed_CT\nSR,Sinus Rhythm,426783006\n")
    with pytest.raises(DatasetError, match="no Chapman records"):
        prepare_dataset("chapman", empty, tmp_path / "out", 100, 10, {}, seed=1)
    with pytest.raises(DatasetError, match="ptbxl_database.csv: PTB-XL metadata table not found|scp_statements.csv"):
        prepare_dataset("ptbxl", empty, tmp_path / "out", 100, 10, {}, seed=1)
    with pytest.raises(DatasetError, match="raw ptbxl folder not found"):
        prepare_dataset("ptbxl", tmp_path / "nowhere", tmp_path / "out", 100, 10, {}, seed=1)


def _ptbxl_tree(root, n=30):
    """A PTB-XL layout with n SR records over folds 1-10 (3 per fold)."""
    rows = []
    for i in range(1, n + 1):
        lr = f"records100/00000/{i:05d}_lr"
        write_record(root / "records100" / "00000", f"{i:05d}_lr", _digital(n=1000, seed=i), 100, PTBXL_LEAD_NAMES)
        rows.append({"ecg_id": i, "patient_id": f"{100 + i}.0", "scp_codes": "{'NORM': 100.0, 'SR': 0.0}",
                     "strat_fold": (i - 1) % 10 + 1, "filename_lr": lr, "filename_hr": lr.replace("100", "500")})
    pd.DataFrame(rows).to_csv(root / "ptbxl_database.csv", index=False)
    pd.DataFrame({"": ["SR", "AFIB", "NORM"], "description": ["sinus rhythm", "atrial fibrillation", "normal"],
                  "rhythm": [1.0, 1.0, None]}).to_csv(root / "scp_statements.csv", index=False)
    return rows


def test_ptbxl_table_rows_without_files_and_files_without_rows(tmp_path):
    root = tmp_path / "ptbxl"
    rows = _ptbxl_tree(root)
    (root / "records100" / "00000" / "00004_lr.hea").unlink()  # row without files
    (root / "records100" / "00000" / "00004_lr.dat").unlink()
    write_record(root / "records100" / "00001", "01234_lr", _digital(n=1000), 100, PTBXL_LEAD_NAMES)  # no row
    table = pd.read_csv(root / "ptbxl_database.csv")
    table = pd.concat([table, table.iloc[[5]]])  # duplicate ecg_id 6
    table.loc[table["ecg_id"] == 7, "scp_codes"] = "{'NORM': 100.0, 'SR': 0.0, 'AFIB': 0.0}"
    table.to_csv(root / "ptbxl_database.csv", index=False)
    records = prepare_dataset("ptbxl", root, tmp_path / "out", 100, 10, DROP, seed=1)
    rid = records.set_index(["record_id", records.groupby("record_id").cumcount()])
    assert rid.loc[("4", 0), "status"] == "quarantined"
    assert "table row without record files" in rid.loc[("4", 0), "reason"]
    assert rid.loc[("1234", 0), "reason"] == "record file without a row in ptbxl_database.csv"
    assert rid.loc[("6", 1), "status"] == "quarantined" and "duplicate record id 6" in rid.loc[("6", 1), "reason"]
    assert rid.loc[("7", 0), "status"] == "excluded"
    assert len(records) == len(rows) + 2
    assert (records["status"] == "kept").sum() == len(rows) - 2


def test_lead_names_match_case_insensitively_in_any_order(tmp_path):
    digital = _digital(n=1000)
    order = [5, 3, 0, 1, 2, 4, 11, 10, 9, 8, 7, 6]
    names = [LEADS[i].upper() if i % 2 else LEADS[i].lower() for i in order]
    path = write_record(tmp_path, "JS1", digital[order], 100, names)
    x = prepare_signal(path, SignalSpec(source_fs=100, target_fs=100, seconds=10))
    assert np.array_equal(x, digital.astype(np.float32) / 1000)
    write_record(tmp_path, "JS2", digital, 100, ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V5"])
    with pytest.raises(Exception, match="not the twelve standard leads"):
        prepare_signal(tmp_path / "JS2.hea", SignalSpec(source_fs=100, target_fs=100, seconds=10))


def test_gain_and_baseline_from_the_header_give_mv(tmp_path):
    path = write_record(tmp_path, "JS1", _digital(n=1000), 100, list(LEADS))
    text = path.read_text().replace("1000.0(0)/mV", "200.0(10)/mV")
    path.write_text(text)
    digital = read_wfdb_reference(path)
    x = read_signal(read_header(path))
    assert np.array_equal(x, digital)
    raw = np.fromfile(tmp_path / "JS1.dat", dtype="<i2").reshape(1000, 12).T
    assert np.allclose(x, (raw - 10) / 200.0)


def test_formats_other_than_16_fall_back_to_wfdb(tmp_path):
    import wfdb

    signal = np.random.default_rng(0).normal(0, 0.5, size=(1000, 12))
    wfdb.wrsamp("JS1", fs=100, units=["mV"] * 12, sig_name=list(LEADS), p_signal=signal, fmt=["212"] * 12,
                adc_gain=[200.0] * 12, baseline=[0] * 12, write_dir=str(tmp_path))
    header = read_header(tmp_path / "JS1.hea")
    assert not header.fast_readable
    x = read_signal(header)
    assert np.array_equal(x, read_wfdb_reference(tmp_path / "JS1.hea"))
    assert np.abs(x - signal.T).max() < 0.01
