#!/usr/bin/env bash
# Run by Snakemake (--sdm conda) inside the new env, from the directory Snakemake runs in: install
# this repository's synecg package (editable, no dependencies: the env file pins those), so the env
# also works outside the workflow (`conda run -p .snakemake/conda/<hash> python -c 'import synecg'`).
# Rule scripts import synecg from the repository's src/ in any case (workflow/rules/common.smk puts
# it on their path), so a run from another directory (--directory) still works without this step.
set -euo pipefail
repo=${SYNECG_REPO:-$PWD}
if grep -qs '^name = "synecg"' "$repo/pyproject.toml"; then
  python -m pip install --quiet --no-deps --no-build-isolation -e "$repo"
else
  echo "synecg not installed into this env: $repo is not the synecg repository (set SYNECG_REPO)" >&2
fi
