"""End to end: the fidelity stage on fixture inputs, then the Snakemake report opened in headless
Chromium as a user would open it (the menu is clicked through to the fidelity figures and table)."""

import json
import os
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import REPO_ROOT, TINY_CONFIG, run_snakemake
from fidelity_fixtures import DATASETS, write_fidelity_inputs
from synecg.generators.bank import file_sha256
from synecg.io import read_json

GENERATORS = ["sssd"]
FIGURES = ("waveforms", "spectra", "correlation", "embedding", "physiology", "ecg_paper")
TARGETS = ["results/tables/fidelity.csv"] + [
    f"results/figures/fidelity/{d}/{g}/{name}.png" for d in DATASETS for g in GENERATORS for name in FIGURES
]
# Only the fidelity stage runs: the fixture data and banks stand in for the data and generator stages.
FIDELITY_RULES = ["train_fidelity_extractor", "embed_real", "embed_bank", "score_fidelity",
                  "score_fidelity_reference", "tabulate_fidelity", "plot_fidelity"]
ARTIFACTS = REPO_ROOT / "test-artifacts"
needs_envs = pytest.mark.skipif(
    not (REPO_ROOT / "envs" / "torch.yaml").exists() or not (REPO_ROOT / "envs" / "eval.yaml").exists(),
    reason="envs/torch.yaml and envs/eval.yaml (the ops stage) are not in this checkout yet",
)


@pytest.fixture(scope="module")
def fidelity_run(tmp_path_factory):
    """The fidelity DAG run once on fixture data and banks (tiny config); returns the workdir."""
    workdir = tmp_path_factory.mktemp("fidelity")
    write_fidelity_inputs(workdir, GENERATORS)
    overlay = workdir / "overlay.yaml"
    overlay.write_text(yaml.safe_dump({"generators": {"enabled": GENERATORS}, "compute": {"device": "cpu"}}))
    configs = (TINY_CONFIG, overlay)
    run_snakemake(workdir, "--allowed-rules", *FIDELITY_RULES, "--cores", "2", *TARGETS, configfiles=configs)
    return workdir, configs


@pytest.mark.workflow
@needs_envs
def test_fidelity_stage_writes_metrics_table_and_figures(fidelity_run):
    workdir, configs = fidelity_run
    m = read_json(workdir / "results/fidelity/ptbxl/sssd/metrics.json")
    assert m["extractor_sha256"] == file_sha256(workdir / "results/fidelity/ptbxl/extractor.pt")
    for key in ("classifier_fid", "classifier_kid", "classifier_kid_se", "randconv_fid", "classifier_precision",
                "classifier_coverage", "randconv_mmd", "classifier_c2st_accuracy", "classifier_c2st_score",
                "trts_accuracy", "trts_macro_f1", "psd_db_mean", "sliced_wasserstein", "lead_corr_diff",
                "einthoven_rel", "hr_bpm_w1", "fail_fraction", "dcr_ratio", "near_copies"):
        assert key in m["overall"] and np.isfinite(m["overall"][key]), key
    assert set(m["per_class"]) == {"SBRAD", "SR", "AFIB", "STACH", "AFLT", "SARRH", "SVTAC"}
    assert "classifier_c2st_accuracy" in m["per_class"]["AFIB"]
    # The fixture bank has more noise and larger R waves than the real records: every distance sees it.
    ref = read_json(workdir / "results/fidelity/ptbxl/reference/metrics.json")
    assert ref["generator"] == "real (val)"
    for key in ("psd_db_mean", "lead_corr_diff", "einthoven_rel", "randconv_mmd"):
        assert m["overall"][key] > ref["overall"][key], key

    table = pd.read_csv(workdir / "results/tables/fidelity.csv")
    overall = table[table["class"] == "all"]
    assert sorted(zip(overall["dataset"], overall["generator"])) == sorted(
        (d, g) for d in DATASETS for g in ("real (val)", *GENERATORS)
    )
    assert "| ptbxl | sssd |" in (workdir / "results/tables/fidelity.md").read_text()
    assert r"\begin{tabular}" in (workdir / "results/tables/fidelity.tex").read_text()
    for target in TARGETS[1:]:
        assert (workdir / target).stat().st_size > 10_000, target
    assert (workdir / "results/fidelity/ptbxl/sssd/features.npz").exists()
    # Nothing left to do: features are cached, nothing re-runs.
    plan = run_snakemake(workdir, "-n", "--allowed-rules", *FIDELITY_RULES, "--cores", "2", *TARGETS, configfiles=configs)
    assert "Nothing to be done" in plan.stdout + plan.stderr


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


PROBE = """<script>
window.__synecgErrors = [];
window.addEventListener('error', e => window.__synecgErrors.push(String(e.message)));
window.addEventListener('unhandledrejection', e => window.__synecgErrors.push('unhandled rejection: ' + String(e.reason)));
function __synecgClick(label) {
  const hits = Array.from(document.querySelectorAll('a span, a')).filter(s => s.textContent.trim() === label);
  if (hits.length) { (hits[0].closest('a') || hits[0]).click(); return true; }
  return false;
}
window.addEventListener('load', () => {
  const steps = STEPS;
  const clicks = steps.map((s, i) => new Promise(r => setTimeout(() => r(__synecgClick(s)), 1000 + 600 * i)));
  Promise.all(clicks).then(ok => setTimeout(() => {
    const out = document.createElement('pre');
    out.id = 'synecg-probe';
    out.textContent = JSON.stringify({clicked: ok, errors: window.__synecgErrors});
    document.body.appendChild(out);
  }, 800));
});
</script>"""


def _open_in_chromium(report, steps, workdir, screenshot=None):
    """Open a copy of the report with a probe that clicks ``steps`` in the menu; return (probe, visible text)."""
    html = report.read_text()
    probe = PROBE.replace("STEPS", json.dumps(steps))
    head = html.index("<head>") + len("<head>")
    page = workdir / f"probe-{len(steps)}.html"
    page.write_text(html[:head] + probe + html[head:])
    base = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--virtual-time-budget=20000", "--window-size=1400,900"]
    dom = subprocess.run([*base, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=180).stdout
    if screenshot:
        subprocess.run([*base, f"--screenshot={screenshot}", page.as_uri()], capture_output=True, timeout=180)
    found = re.search(r'<pre id="synecg-probe">([^<]*)</pre>', dom)
    assert found, "the report's page never finished loading in Chromium"
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)\b.*?</\1>", " ", dom, flags=re.S))
    return json.loads(found.group(1)), re.sub(r"\s+", " ", text)


@pytest.mark.workflow
@needs_envs
def test_report_renders_in_headless_chromium_and_lists_fidelity_results(fidelity_run):
    if _chromium() is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI: .ci/install-chromium.sh should have installed it")
        pytest.skip("chromium is not installed (Debian package `chromium`; .ci/install-chromium.sh installs it in CI)")
    workdir, configs = fidelity_run
    report = workdir / "results/report.html"
    run_snakemake(workdir, "--allowed-rules", *FIDELITY_RULES, "--cores", "1", "--report", str(report), *TARGETS,
                  configfiles=configs)
    assert report.stat().st_size > 100_000

    ARTIFACTS.mkdir(exist_ok=True)
    probe, text = _open_in_chromium(report, ["Results", "Fidelity", "ptbxl / sssd"], workdir, ARTIFACTS / "report_fidelity_ptbxl_sssd.png")
    assert probe == {"clicked": [True, True, True], "errors": []}
    for name in FIGURES:
        assert f"ptbxl sssd {name}" in text, name
    assert "synecg asks whether synthetic 12-lead ECGs" in text  # the front page (workflow.rst) rendered
    assert (ARTIFACTS / "report_fidelity_ptbxl_sssd.png").stat().st_size > 20_000

    probe, text = _open_in_chromium(report, ["Results", "Fidelity"], workdir)
    assert probe["errors"] == []
    for d in DATASETS:
        assert f"{d} / sssd" in text
    assert "Table" in text
    probe, text = _open_in_chromium(report, ["Results", "Fidelity", "Table"], workdir)
    assert probe["clicked"] == [True, True, True] and "fidelity.csv" in text
