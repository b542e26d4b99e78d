"""Records per second: our format-16 reader and the prepare pipeline vs a plain wfdb.rdsamp loop.

Builds a PTB-XL tree of N records (default 5,000) in a temporary folder by copying the real
100 Hz records of ../shared/data/ptbxl under new ids (headers rewritten to the new names),
then times, side by side in one run over the same files:

- ``wfdb.rdsamp`` loop: what the original code did per record;
- fast reader: ``read_header`` + ``read_signal`` (numpy on the format-16 bytes), one process
  (the two loops alternate over blocks of 250 records, so machine load hits both alike);
- ``prepare_dataset``: the whole rule (catalogue, checks, lead order, arrays written through
  the memory map) on ``--threads`` processes.

It checks the fast reader's arrays are identical to wfdb's on every copied record, and reports
the peak memory of the prepare process (a fresh interpreter) next to the size of the arrays it
wrote: rows go straight to disk, so memory does not grow with N.

    PYTHONPATH=src python benchmarks/prepare_speed.py [--records 5000] [--threads 2] [--shared ../shared/data]
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import shutil
import subprocess
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


def prepare_only(root: str, out: str, threads: str) -> None:
    """Child process: run prepare_dataset, print its seconds and peak RSS (MB)."""
    logging.getLogger("synecg").setLevel(logging.WARNING)
    start = time.perf_counter()
    prepare_dataset("ptbxl", root, out, 100, 10, {}, seed=1, threads=int(threads))
    print(time.perf_counter() - start, peak_rss_mb())


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM; unlike ru_maxrss it does not inherit the
    peak of the process that forked us)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    if sys.argv[1:2] == ["--prepare-only"]:
        prepare_only(*sys.argv[2:5])
        return
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

        # Interleaved blocks: load from other processes on the machine hits both readers alike.
        t_wfdb = t_fast = 0.0
        identical = True
        for block in range(0, len(headers), 250):
            paths = headers[block : block + 250]
            start = time.perf_counter()
            reference = [read_wfdb_reference(p) for p in paths]
            t_wfdb += time.perf_counter() - start
            start = time.perf_counter()
            fast = [read_signal(read_header(p)) for p in paths]
            t_fast += time.perf_counter() - start
            identical &= all(np.array_equal(a, b, equal_nan=True) for a, b in zip(fast, reference))

        # prepare in a fresh interpreter, so its peak memory is its own
        t_prepare, peak_mb = {}, {}
        for threads in sorted({1, args.threads}):
            out = Path(tmp) / f"out{threads}"
            cmd = [sys.executable, __file__, "--prepare-only", str(root), str(out), str(threads)]
            result = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.split()
            t_prepare[threads], peak_mb[threads] = map(float, result)
        records = pd.read_csv(out / "records.csv")
        array_mb = sum((out / f"{s}.npy").stat().st_size for s in ("train", "val", "test")) / 2**20

    n = len(headers)
    print(f"{n} PTB-XL 100 Hz records (copies of the shared subset); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'method':<38}{'seconds':>9}{'records/s':>12}{'vs wfdb':>9}")
    rows = [("wfdb.rdsamp loop", t_wfdb), ("fast reader (1 process)", t_fast)]
    rows += [(f"prepare_dataset, all steps, {t} proc.", t_prepare[t]) for t in sorted(t_prepare)]
    for name, seconds in rows:
        print(f"{name:<38}{seconds:>9.2f}{n / seconds:>12.0f}{t_wfdb / seconds:>8.1f}x")
    print(f"fast reader identical to wfdb on all {n} records: {identical}")
    print(f"prepare kept {int((records['status'] == 'kept').sum())} records into {array_mb:.0f} MB of arrays; "
          f"peak RSS of the prepare process {max(peak_mb.values()):.0f} MB (rows go straight to disk)")


if __name__ == "__main__":
    main()
