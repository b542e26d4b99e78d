"""The data stage through Snakemake on its own small DAGs (none reads the shared tiny study, so
they run on the other xdist worker): DAGs for both configs, config validation, local sources."""

import numpy as np
import pytest
import yaml
from conftest import TINY_CONFIG, run_snakemake

from synecg.data.store import load_split, read_records


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
def test_local_sources_prepare_the_real_subset(tmp_path, shared_data):
    local = tmp_path / "local.yaml"
    local.write_text(yaml.safe_dump({"datasets": {
        "ptbxl": {"source": "local", "path": str(shared_data / "ptbxl")},
        "chapman": {"source": "local", "path": str(shared_data / "chapman")},
    }}))
    # run_snakemake puts its args after the --configfile list: a flag must end that list before a
    # target, or snakemake reads the target as a config file
    run_snakemake(tmp_path, "--cores", "2", "results/data/merged/records.csv", configfiles=(TINY_CONFIG, local))
    records = read_records(tmp_path / "results/data/merged/records.csv")
    assert len(records) == 300 + 50
    assert records["record_id"].str.startswith("chapman:JS").sum() == 50
    x, _, _ = load_split(tmp_path / "results/data/merged", "train")
    assert np.isfinite(x).all()
