"""Create (or replace) one dataset's Optuna study and write its spec, read by every worker."""
from synecg.runtime import rule_logger

log = rule_logger(snakemake.log[0])

from dataclasses import asdict

import yaml

from synecg.io import atomic_path
from synecg.tuning import StudySpec, create_study

spec = StudySpec(**snakemake.params.study)
create_study(spec)
with atomic_path(snakemake.output.study) as tmp:
    tmp.write_text(yaml.safe_dump(asdict(spec), sort_keys=False))
log.info("study %s created in %s (%d trials, %d workers)", spec.name, spec.storage, spec.n_trials, spec.workers)
