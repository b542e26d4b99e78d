"""Write the simulated demo data in the raw PhysioNet layouts, so the demo runs the real readers.

- ``write_demo_ptbxl``: ``ptbxl_database.csv`` (ecg_id, patient_id, age, sex, scp_codes,
  strat_fold, filename_lr, filename_hr), ``scp_statements.csv``, ``records100/`` and
  ``records500/`` (WFDB format 16, lead names AVR/AVL/AVF as in PTB-XL).
- ``write_demo_chapman``: ``WFDBRecords/NN/NNN/JSxxxxx.{hea,mat}`` at 500 Hz with ``#Age``,
  ``#Sex`` and ``#Dx`` SNOMED codes, and ``ConditionNames_SNOMED-CT.csv`` (with its BOM).

Every class gets ``records_per_class`` records; PTB-XL style folds give every class members in
folds 1-8, 9 and 10. Everything is drawn from ``numpy_rng(seed, "demo", dataset, ...)``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from synecg.constants import CLASSES, LEADS
from synecg.data.labels import CLASS_TO_SNOMED
from synecg.data.simulate import decimate, draw_record, render, to_digital
from synecg.data.wfdb_io import write_record
from synecg.seeding import numpy_rng

PTBXL_LEAD_NAMES = [name.upper() if name.startswith("aV") else name for name in LEADS]
N_FOLDS = 10

# Rows of PTB-XL's scp_statements.csv that the demo needs (rhythm statements + a few diagnostic).
_SCP_STATEMENTS = [
    # code, description, diagnostic, form, rhythm, diagnostic_class
    ("NORM", "normal ECG", "1.0", "", "", "NORM"),
    ("NDT", "non-diagnostic T abnormalities", "1.0", "1.0", "", "STTC"),
    ("SR", "sinus rhythm", "", "", "1.0", ""),
    ("AFIB", "atrial fibrillation", "", "", "1.0", ""),
    ("STACH", "sinus tachycardia", "", "", "1.0", ""),
    ("SARRH", "sinus arrhythmia", "", "", "1.0", ""),
    ("SBRAD", "sinus bradycardia", "", "", "1.0", ""),
    ("PACE", "normal functioning artificial pacemaker", "", "", "1.0", ""),
    ("SVARR", "supraventricular arrhythmia", "", "", "1.0", ""),
    ("BIGU", "bigeminal pattern (unknown origin, SV or Ventricular)", "", "", "1.0", ""),
    ("AFLT", "atrial flutter", "", "", "1.0", ""),
    ("SVTAC", "supraventricular tachycardia", "", "", "1.0", ""),
    ("PSVT", "paroxysmal supraventricular tachycardia", "", "", "1.0", ""),
    ("TRIGU", "trigeminal pattern (unknown origin, SV or Ventricular)", "", "", "1.0", ""),
]

# Rows of Chapman's ConditionNames_SNOMED-CT.csv the demo needs: rhythms + a few secondary codes.
_CONDITIONS = [
    ("APB", "atrial premature beats", "284470004"),
    ("RBBB", "right bundle branch block", "59118001"),
    ("TWC", "T wave Change", "164934002"),
    ("LVH", "left ventricle hypertrophy", "164873001"),
    ("SB", "Sinus Bradycardia", "426177001"),
    ("SR", "Sinus Rhythm", "426783006"),
    ("AFIB", "Atrial Fibrillation", "164889003"),
    ("ST", "Sinus Tachycardia", "427084000"),
    ("AF", "Atrial Flutter", "164890007"),
    ("SA", "Sinus Irregularity", "427393009"),
    ("SVT", "Supraventricular Tachycardia", "426761007"),
    ("AT", "Atrial Tachycardia", "713422000"),
    ("AVNRT", "Atrioventricular  Node Reentrant Tachycardia", "233896004"),
    ("AVRT", "Atrioventricular Reentrant Tachycardia", "233897008"),
    ("SAAWR", "Sinus Atrium to Atrial Wandering Rhythm", "195101003"),
]
_SECONDARY_CODES = ("284470004", "59118001", "164934002", "164873001")


def class_plan(records_per_class: int, rng: np.random.Generator) -> list[str]:
    """The class of every demo record, shuffled so that ids do not sort by class."""
    labels = np.repeat(np.array(CLASSES), records_per_class)
    return [str(x) for x in rng.permutation(labels)]


def simulate_one(label: str, seconds: float, fs_list: tuple[int, ...], seed: int, dataset: str, index: int,
                 noise_mv: float, wander_mv: float) -> dict[int, np.ndarray]:
    """One demo record at each rate in ``fs_list``: {fs: int16 (12, seconds * fs)}. Rendered at the
    highest rate; lower rates are anti-aliased decimations of it."""
    params = draw_record(label, seconds, numpy_rng(seed, "demo", dataset, "record", index), noise_mv, wander_mv)
    top = max(fs_list)
    signal = render(params, top, numpy_rng(seed, "demo", dataset, "noise", index))
    out = {}
    for fs in fs_list:
        if top % fs:
            raise ValueError(f"demo rates must divide {top} Hz, got {fs} Hz")
        out[fs] = to_digital(decimate(signal, top // fs))
    return out


def write_demo_ptbxl(root: str | Path, records_per_class: int, seed: int, seconds: float = 10.0,
                     noise_mv: float = 0.015, wander_mv: float = 0.1, shared_patient_share: float = 0.1) -> int:
    """Write a PTB-XL v1.0.3 style demo tree under ``root``; returns the number of records."""
    root = Path(root)
    rng = numpy_rng(seed, "demo", "ptbxl", "plan")
    labels = class_plan(records_per_class, rng)
    folds = np.zeros(len(labels), dtype=int)
    for cls in CLASSES:  # per class, folds 1..10 round-robin in random order
        members = rng.permutation([i for i, lab in enumerate(labels) if lab == cls])
        folds[members] = np.arange(len(members)) % N_FOLDS + 1
    patients = 10_000 + rng.permutation(len(labels) * 3)[: len(labels)]
    # A few patients with two records (same class and fold, as PTB-XL's folds keep patients whole).
    for i in range(len(labels)):
        partners = [j for j in range(i) if labels[j] == labels[i] and folds[j] == folds[i]]
        if partners and rng.random() < shared_patient_share:
            patients[i] = patients[partners[0]]
    rows = []
    for i, (label, fold, patient) in enumerate(zip(labels, folds, patients)):
        ecg_id = i + 1
        signals = simulate_one(label, seconds, (100, 500), seed, "ptbxl", i, noise_mv, wander_mv)
        folder = f"{(ecg_id // 1000) * 1000:05d}"
        lr, hr = f"records100/{folder}/{ecg_id:05d}_lr", f"records500/{folder}/{ecg_id:05d}_hr"
        write_record(root / Path(lr).parent, Path(lr).name, signals[100], 100, PTBXL_LEAD_NAMES)
        write_record(root / Path(hr).parent, Path(hr).name, signals[500], 500, PTBXL_LEAD_NAMES)
        diagnostic = "NORM" if label in ("SR", "SBRAD", "SARRH") else "NDT"
        rows.append({
            "ecg_id": ecg_id,
            "patient_id": f"{float(patient):.1f}",
            "age": f"{rng.integers(18, 90):.1f}",
            "sex": int(rng.integers(0, 2)),
            "scp_codes": str({diagnostic: 100.0, label: 0.0}),
            "strat_fold": int(fold),
            "filename_lr": lr,
            "filename_hr": hr,
        })
    with open(root / "ptbxl_database.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with open(root / "scp_statements.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["", "description", "diagnostic", "form", "rhythm", "diagnostic_class"])
        writer.writerows(_SCP_STATEMENTS)
    return len(rows)


def write_demo_chapman(root: str | Path, records_per_class: int, seed: int, seconds: float = 10.0,
                       noise_mv: float = 0.015, wander_mv: float = 0.1) -> int:
    """Write a Chapman/Ningbo (ecg-arrhythmia v1.0.0) style demo tree under ``root``."""
    root = Path(root)
    rng = numpy_rng(seed, "demo", "chapman", "plan")
    labels = class_plan(records_per_class, rng)
    for i, label in enumerate(labels):
        number = i + 1
        signals = simulate_one(label, seconds, (500,), seed, "chapman", i, noise_mv, wander_mv)
        codes = [CLASS_TO_SNOMED[label]]
        if rng.random() < 0.3:
            codes.append(str(rng.choice(_SECONDARY_CODES)))
        folder = root / "WFDBRecords" / f"{number // 10_000 + 1:02d}" / f"{number // 1000 + 10:03d}"
        comments = [f"Age: {rng.integers(18, 90)}", f"Sex: {'Male' if rng.random() < 0.5 else 'Female'}",
                    f"Dx: {','.join(codes)}", "Rx: Unknown", "Hx: Unknown", "Sx: Unknown"]
        write_record(folder, f"JS{number:05d}", signals[500], 500, list(LEADS), mat=True, comments=comments)
    with open(root / "ConditionNames_SNOMED-CT.csv", "w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow(["AcronymName", "FullName", "Snomed_CT"])
        writer.writerows(_CONDITIONS)
    return len(labels)


def write_demo(dataset: str, root: str | Path, records_per_class: int, seed: int, seconds: float = 10.0,
               noise_mv: float = 0.015, wander_mv: float = 0.1) -> int:
    """Write the demo tree of ``dataset`` (ptbxl or chapman)."""
    writers = {"ptbxl": write_demo_ptbxl, "chapman": write_demo_chapman}
    if dataset not in writers:
        raise ValueError(f"no demo layout for dataset {dataset!r}; expected one of {sorted(writers)}")
    return writers[dataset](root, records_per_class, seed, seconds, noise_mv, wander_mv)
