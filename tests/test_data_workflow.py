"""The data stage of the shared tiny study (tests/test_data_workflow_local.py runs the data stage's own
small DAGs: both configs, config validation, local sources)."""

import pytest
from conftest import TINY_CONFIG, copy_study, run_snakemake

from synecg.data.store import load_split, read_records

@pytest.mark.workflow
def test_demo_workflow_prepares_merged_data(tiny_study, tmp_path):
    """Read from the session's tiny study (its data stage is this one); the re-plan runs on a copy."""
    records = read_records(tiny_study / "results/data/merged/records.csv")
    assert (records["status"] == "kept").all() and len(records) == 2 * 7 * 10
    x, y, _ = load_split(tiny_study / "results/data/merged", "test")
    assert x.shape[1:] == (12, 1000) and set(y) == set(range(7))
    assert (tiny_study / "results/data/merged/summary.png").stat().st_size > 0
    assert (tiny_study / "logs/prepare_dataset/chapman.log").read_text().count("records found 70: kept 70") == 1
    study = copy_study(tiny_study, tmp_path / "study")
    again = run_snakemake(study, "-n", "--cores", "2", "results/data/merged/records.csv",
                         configfiles=(TINY_CONFIG,))  # a flag ends the --configfile list before the target
    assert "Nothing to be done" in again.stdout + again.stderr
