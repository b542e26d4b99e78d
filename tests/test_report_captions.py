"""Every report caption renders to clean reStructuredText, as Snakemake renders it (Jinja with the
job's wildcards and config, then docutils): a warning there garbles the caption in the report."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml
from docutils.core import publish_parts
from jinja2 import Environment

from conftest import REPO_ROOT

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # writer_name, as Snakemake calls it

CAPTIONS = sorted((REPO_ROOT / "workflow" / "report").glob("*.rst"))
# A bank's jobs have both wildcards; the pool's fidelity job (generator `all`) has only the dataset.
WILDCARDS = [{"dataset": "ptbxl", "generator": "sssd"}, {"dataset": "merged"}]


class Job:
    """The part of Snakemake's caption context the captions read."""

    def __init__(self, config: dict, wildcards: dict):
        self.config, self.wildcards, self.params, self.input, self.output = config, wildcards, {}, {}, {}


def render(path: Path, config: dict, wildcards: dict) -> tuple[str, str]:
    text = Environment(trim_blocks=True, lstrip_blocks=True).from_string(path.read_text()).render(snakemake=Job(config, wildcards))
    warnings = io.StringIO()
    publish_parts(text, writer_name="html", settings_overrides={"warning_stream": warnings, "report_level": 2})
    return text, warnings.getvalue()


@pytest.mark.parametrize("config_file", ["config.yaml", "paper.yaml"])
@pytest.mark.parametrize("caption", CAPTIONS, ids=lambda p: p.name)
def test_caption_renders_without_warnings(caption, config_file):
    config = yaml.safe_load((REPO_ROOT / "config" / config_file).read_text())
    for wildcards in WILDCARDS:
        text, warnings = render(caption, config, wildcards)
        assert not warnings, f"{caption.name} with {wildcards}: {warnings}\n{text}"
        assert " of  on " not in text and "None" not in text, f"{caption.name} with {wildcards} leaves a gap:\n{text}"


def test_the_check_catches_a_broken_caption(tmp_path):
    broken = tmp_path / "broken.rst"
    broken.write_text("Records of\n{{ snakemake.wildcards.generator }} on {{ snakemake.wildcards.dataset }}, and\nthe difference.\n")
    _, warnings = render(broken, {}, {"dataset": "merged"})
    assert "Definition list" in warnings
