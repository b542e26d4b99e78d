"""The best preset of a dataset's study (best.yaml, with provenance) and its trial table."""
from synecg.runtime import rule_logger

log = rule_logger(snakemake.log[0])

import optuna
import yaml

from synecg.io import atomic_path
from synecg.tuning import StudySpec, best_preset, open_storage, trials_table

spec = StudySpec(**yaml.safe_load(open(snakemake.input.study)))
study = optuna.load_study(study_name=spec.name, storage=open_storage(spec.storage))
best = best_preset(study, spec)
with atomic_path(snakemake.output.best) as tmp:
    tmp.write_text(yaml.safe_dump(best, sort_keys=False))
with atomic_path(snakemake.output.trials) as tmp:
    trials_table(study).to_csv(tmp, index=False)
log.info("best trial %d: validation %s %.4f, preset %s", best["validation"]["trial"], spec.metric,
         best["validation"]["value"], best["preset"])
