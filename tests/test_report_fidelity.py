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
from synecg.constants import CLASSES
from synecg.generators.bank import file_sha256, write_bank
from synecg.io import read_json

GENERATORS = ["sssd"]
EXTERNAL = "released"  # an external bank directory scored through fidelity.external_banks
FIGURES = ("waveforms", "spectra", "correlation", "embedding", "physiology", "ecg_paper")
TARGETS = ["results/tables/fidelity.csv"] + [
    f"results/figures/fidelity/{d}/{g}/{name}.png" for d in DATASETS for g in GENERATORS for name in FIGURES
] + [f"results/figures/fidelity/ptbxl/{EXTERNAL}/{name}.png" for name in FIGURES]
# Only the fidelity stage runs: the fixture data and banks stand in for the data and generator stages.
# (One generator: no pool `all`, so no fidelity_pool rule.)
FIDELITY_RULES = ["train_fidelity_extractor", "embed_real", "fidelity_bank", "fidelity_external_bank",
                  "score_fidelity_reference", "tabulate_fidelity"]
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
    # An external bank made outside the workflow: the real training records plus 5 µV noise (a copying generator).
    external = workdir / "elsewhere" / EXTERNAL
    x = np.load(workdir / "results/data/ptbxl/train.npy")
    y = pd.read_csv(workdir / "results/data/ptbxl/records.csv").query("split == 'train'")["label"]
    y = np.array([CLASSES.index(c) for c in y])
    write_bank(external, x + 0.005 * np.random.default_rng(0).standard_normal(x.shape).astype(np.float32), y, {"source": "test"})
    overlay = workdir / "overlay.yaml"
    overlay.write_text(yaml.safe_dump({"generators": {"enabled": GENERATORS}, "compute": {"device": "cpu"},
                                       "fidelity": {"external_banks": {EXTERNAL: {"path": str(external), "dataset": "ptbxl"}}}}))
    configs = (TINY_CONFIG, overlay)
    run_snakemake(workdir, "--allowed-rules", *FIDELITY_RULES, "--cores", "2", *TARGETS, configfiles=configs)
    return workdir, configs


@pytest.mark.workflow
@needs_envs
def test_fidelity_stage_writes_metrics_table_and_figures(fidelity_run):
    workdir, configs = fidelity_run
    m = read_json(workdir / "results/fidelity/ptbxl/sssd/metrics.json")
    assert m["extractor_sha256"] == file_sha256(workdir / "results/fidelity/ptbxl/extractor.pt")
    for key in ("classifier_fid", "classifier_kid", "classifier_kid_se", "randconv_fid", "randconv_mmd",
                "randconv_sw", "classifier_c2st_accuracy", "classifier_c2st_ci_high", "classifier_c2st_below_chance",
                "trts_accuracy", "trts_macro_f1", "psd_db_mean", "lead_corr_diff", "einthoven_rel", "hr_bpm_w1",
                "fail_fraction", "dcr_ratio", "near_copies", "degenerate", "mia_auc", "mia_auc_ci_low"):
        assert key in m["overall"] and np.isfinite(m["overall"][key]), key
    # PRDC is reported only in a space that separates the noise ceiling from real, else withheld with the reason.
    for space in ("classifier", "randconv"):
        passed = m["overall"][f"{space}_sanity_c2st"] >= 0.95
        assert (f"{space}_precision" in m["overall"]) == passed
        assert passed or "withheld" in m["overall"][f"{space}_prdc_withheld"]
    assert set(m["per_class"]) == {"SBRAD", "SR", "AFIB", "STACH", "AFLT", "SARRH", "SVTAC"}
    assert "classifier_c2st_accuracy" in m["per_class"]["AFIB"]
    # The fixture bank has more noise and larger R waves than the real records: every distance sees it.
    ref = read_json(workdir / "results/fidelity/ptbxl/reference/metrics.json")
    ceiling = read_json(workdir / "results/fidelity/ptbxl/ceiling/metrics.json")
    assert ref["generator"] == "real floor" and ceiling["generator"] == "noise ceiling"
    assert ref["overall"]["randconv_fid_floor_ci_low"] <= ref["overall"]["randconv_fid_floor_ci_high"]
    for key in ("psd_db_mean", "lead_corr_diff", "einthoven_rel", "randconv_mmd"):
        assert m["overall"][key] > ref["overall"][key], key
    for key in ("psd_db_mean", "randconv_fid", "randconv_mmd", "randconv_c2st_accuracy"):
        assert ceiling["overall"][key] > ref["overall"][key], key

    # The external bank is scored with the same rows and columns; being copies, it is flagged.
    ext = read_json(workdir / f"results/fidelity/ptbxl/{EXTERNAL}/metrics.json")
    assert set(m["overall"]) == set(ext["overall"]) and set(ext["per_class"]) == set(m["per_class"])
    assert ext["overall"]["near_copy_fraction"] > 0.9 and ext["overall"]["mia_auc"] > 0.6

    table = pd.read_csv(workdir / "results/tables/fidelity.csv")
    overall = table[table["class"] == "all"]
    assert sorted(zip(overall["dataset"], overall["generator"])) == sorted(
        [(d, g) for d in DATASETS for g in ("real floor", "noise ceiling", *GENERATORS)] + [("ptbxl", EXTERNAL)]
    )
    floor_rows = overall[overall["generator"] == "real floor"]
    ceiling_rows = overall[overall["generator"] == "noise ceiling"]
    np.testing.assert_allclose(floor_rows["randconv_fid_norm"], 0.0, atol=1e-9)
    np.testing.assert_allclose(ceiling_rows["randconv_fid_norm"], 1.0, atol=1e-9)
    assert "randconv_fid_norm" in table and "| ptbxl | real floor |" in (workdir / "results/tables/fidelity.md").read_text()
    assert "| ptbxl | sssd |" in (workdir / "results/tables/fidelity.md").read_text()
    assert r"\begin{tabular}" in (workdir / "results/tables/fidelity.tex").read_text()
    for target in TARGETS[1:]:
        assert (workdir / target).stat().st_size > 10_000, target
    assert (workdir / "results/fidelity/ptbxl/sssd/features.npz").exists()
    # The bank's job also drew the bank figure; the external bank gets none (it is not one of ours).
    assert (workdir / "results/figures/banks/ptbxl/sssd.png").stat().st_size > 10_000
    assert not (workdir / f"results/figures/banks/ptbxl/{EXTERNAL}.png").exists()
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
// Each step waits for its menu entry (the report renders its menu after load, later on a busy
// machine), clicks it, and lets the page settle; a step whose entry never appears reports false.
// A step written "?label" is optional: Snakemake 9.27 lists the result categories at the top of
// the menu, earlier 9.x releases under "Results"; an optional entry that is absent reports true.
function __synecgWaitAndClick(label, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  return new Promise(resolve => {
    const attempt = () => {
      if (__synecgClick(label)) resolve(true);
      else if (Date.now() > deadline) resolve(false);
      else setTimeout(attempt, 200);
    };
    attempt();
  });
}
const __synecgSleep = ms => new Promise(r => setTimeout(r, ms));
window.addEventListener('load', async () => {
  const ok = [];
  await __synecgSleep(1000);
  for (const step of STEPS) {
    const optional = step.startsWith('?');
    const clicked = await __synecgWaitAndClick(optional ? step.slice(1) : step, optional ? 1500 : 5000);
    ok.push(clicked || optional);
    await __synecgSleep(600);
  }
  await __synecgSleep(800);
  const out = document.createElement('pre');
  out.id = 'synecg-probe';
  out.textContent = JSON.stringify({clicked: ok, errors: window.__synecgErrors});
  document.body.appendChild(out);
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
    probe, text = _open_in_chromium(report, ["?Results", "Fidelity", "ptbxl / sssd"], workdir, ARTIFACTS / "report_fidelity_ptbxl_sssd.png")
    assert probe == {"clicked": [True, True, True], "errors": []}
    for name in FIGURES:
        assert f"ptbxl sssd {name}" in text, name
    assert "synecg asks whether synthetic 12-lead ECGs" in text  # the front page (workflow.rst) rendered
    assert (ARTIFACTS / "report_fidelity_ptbxl_sssd.png").stat().st_size > 20_000

    probe, text = _open_in_chromium(report, ["?Results", "Fidelity"], workdir)
    assert probe["errors"] == []
    for d in DATASETS:
        assert f"{d} / sssd" in text
    assert "Table" in text
    probe, text = _open_in_chromium(report, ["?Results", "Fidelity", "Table"], workdir)
    assert probe["clicked"] == [True, True, True] and "fidelity.csv" in text
