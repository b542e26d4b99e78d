"""The data stage through Snakemake: DAGs for both configs, the demo run, local sources."""

import numpy as np
import pytest
import yaml
from conftest import TINY_CONFIG, copy_study, run_snakemake

from synecg.data.store import load_split, read_records

# run_snakemake appends its args after the --configfile list: an option must end that list
# before targets, or snakemake reads the targets as config files.
TARGET_AFTER_CONFIGFILES = ("--cores", "2")


def test_dag_builds_for_demo_and_paper_configs(tmp_path, repo_root):
    demo = run_snakemake(tmp_path, "-n", "--quiet", "rules", configfiles=(TINY_CONFIG,))
    assert "simulate_demo" in demo.stdout and "prepare_dataset" in demo.stdout
    paper = run_snakemake(tmp_path, "-n", "--quiet", "rules", configfiles=(repo_root / "config" / "paper.yaml",))
    assert "download_physionet" in paper.stdout and "merge_datasets" in paper.stdout


def test_unknown_config_key_is_rejected_naming_it(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"prepare": {"multi_rythm": "drop"}}))
    proc = run_snakemake(tmp_path, "-n", configfiles=(bad,), check=False)
    assert proc.returncode != 0 and "multi_rythm" in proc.stdout + proc.stderr


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
    again = run_snakemake(study, "-n", *TARGET_AFTER_CONFIGFILES, "results/data/merged/records.csv", configfiles=(TINY_CONFIG,))
    assert "Nothing to be done" in again.stdout + again.stderr


@pytest.mark.workflow
def test_local_sources_prepare_the_real_subset(tmp_path, shared_data):
    local = tmp_path / "local.yaml"
    local.write_text(yaml.safe_dump({"datasets": {
        "ptbxl": {"source": "local", "path": str(shared_data / "ptbxl")},
        "chapman": {"source": "local", "path": str(shared_data / "chapman")},
    }}))
    run_snakemake(tmp_path, *TARGET_AFTER_CONFIGFILES, "results/data/merged/records.csv", configfiles=(TINY_CONFIG, local))
    records = read_records(tmp_path / "results/data/merged/records.csv")
    assert len(records) == 300 + 50
    assert records["record_id"].str.startswith("chapman:JS").sum() == 50
    x, _, _ = load_split(tmp_path / "results/data/merged", "train")
    assert np.isfinite(x).all()
