"""Records per second: our format-16 reader and the prepare pipeline vs a plain wfdb.rdsamp loop.

Builds a PTB-XL tree of N records (default 5,000) in a temporary folder by copying the real
100 Hz records of ../shared/data/ptbxl under new ids (headers rewritten to the new names),
then times, side by side in one run over the same files:

- ``wfdb.rdsamp`` loop: what the original code did per record;
- fast reader: ``read_header`` + ``read_signal`` (numpy on the format-16 bytes), one process;
- ``prepare_dataset``: the whole rule (catalogue, checks, lead order, arrays written through
  the memory map) on ``--threads`` processes.

It checks the fast reader's arrays are identical to wfdb's on every copied record, and reports
peak memory of the prepare run (flat in N: rows go straight to disk).

    PYTHONPATH=src python benchmarks/prepare_speed.py [--records 5000] [--threads 2] [--shared ../shared/data]
"""

from __future__ import annotations

import argparse
import logging
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from synecg.data.prepare import prepare_dataset  # noqa: E402
from synecg.data.wfdb_io import read_header, read_signal, read_wfdb_reference  # noqa: E402


def build_tree(shared_ptbxl: Path, out: Path, n_records: int) -> list[Path]:
    """Copy the shared 100 Hz records under new ids until there are n_records; returns headers."""
    table = pd.read_csv(shared_ptbxl / "ptbxl_database.csv", dtype=str, keep_default_na=False)
    table = table[[(shared_ptbxl / f"{f}.hea").is_file() for f in table["filename_lr"]]].reset_index(drop=True)
    shutil.copy(shared_ptbxl / "scp_statements.csv", out / "scp_statements.csv")
    rows, headers = [], []
    for new_id in range(1, n_records + 1):
        src = table.iloc[(new_id - 1) % len(table)]
        old_name = Path(src["filename_lr"]).name
        name = f"{new_id:05d}_lr"
        folder = out / "records100" / f"{(new_id // 1000) * 1000:05d}"
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shared_ptbxl / f"{src['filename_lr']}.dat", folder / f"{name}.dat")
        text = (shared_ptbxl / f"{src['filename_lr']}.hea").read_text()
        (folder / f"{name}.hea").write_text(text.replace(old_name, name))
        headers.append(folder / f"{name}.hea")
        row = src.to_dict()
        row.update(ecg_id=str(new_id), patient_id=f"{new_id}.0",
                   filename_lr=str((folder / name).relative_to(out)), filename_hr="")
        rows.append(row)
    pd.DataFrame(rows).to_csv(out / "ptbxl_database.csv", index=False)
    return headers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="synecg-bench-") as tmp:
        root = Path(tmp) / "ptbxl"
        root.mkdir()
        headers = build_tree(args.shared / "ptbxl", root, args.records)
        for path in headers:  # warm the page cache so both readers see the same I/O
            path.with_suffix(".dat").read_bytes()

        start = time.perf_counter()
        reference = [read_wfdb_reference(p) for p in headers]
        t_wfdb = time.perf_counter() - start

        start = time.perf_counter()
        fast = [read_signal(read_header(p)) for p in headers]
        t_fast = time.perf_counter() - start
        identical = all(np.array_equal(a, b, equal_nan=True) for a, b in zip(fast, reference))
        del reference, fast

        logging.getLogger("synecg").setLevel(logging.WARNING)
        start = time.perf_counter()
        records = prepare_dataset("ptbxl", root, Path(tmp) / "out", 100, 10, {}, seed=1, threads=args.threads)
        t_prepare = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    n = len(headers)
    print(f"{n} PTB-XL 100 Hz records (copies of the shared subset), {args.threads} threads for prepare")
    print(f"{'method':<36}{'seconds':>9}{'records/s':>12}{'vs wfdb':>9}")
    for name, seconds in [("wfdb.rdsamp loop", t_wfdb), ("fast reader (1 process)", t_fast),
                          (f"prepare_dataset ({args.threads} processes, all steps)", t_prepare)]:
        print(f"{name:<36}{seconds:>9.2f}{n / seconds:>12.0f}{t_wfdb / seconds:>8.1f}x")
    print(f"fast reader identical to wfdb on all {n} records: {identical}")
    print(f"prepare kept {int((records['status'] == 'kept').sum())} records; peak RSS of this process {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
