"""benchmarks/learning_check.py stops before any generator trains when its reference classifier,
the one that scores the banks (TRTS), does not recognise held-out real records."""

import importlib.util
import logging

import yaml

from conftest import REPO_ROOT


def _script():
    spec = importlib.util.spec_from_file_location("learning_check", REPO_ROOT / "benchmarks" / "learning_check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_reference_classifier_below_the_floor_stops_the_check(tmp_path, caplog):
    config = yaml.safe_load((REPO_ROOT / "benchmarks" / "learning_check.yaml").read_text())
    config["classifier"]["train"].update(max_epochs=1, patience=1)
    path = tmp_path / "check.yaml"
    path.write_text(yaml.safe_dump(config))
    out = tmp_path / "out"
    with caplog.at_level(logging.INFO):
        # no accuracy reaches 1.01: the guard must stop the run whatever the one epoch learnt
        code = _script().main(["--generator", "sssd", "--records-per-class", "10", "--config", str(path),
                               "--min-reference-trts", "1.01", "--out", str(out)])
    assert code == 2
    assert "below --min-reference-trts 1.01" in caplog.text
    assert "sssd" not in caplog.text  # no generator was trained or scored
    assert not list(out.glob("learning_check_*.json"))
