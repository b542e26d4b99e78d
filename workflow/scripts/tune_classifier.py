"""One worker of a dataset's hyper-parameter search: its share of the trials, on the training and
validation splits only (synecg.tuning.load_tuning_splits never opens test.npy)."""
from synecg.runtime import rule_logger, select_device, set_threads

log = rule_logger(snakemake.log[0])
set_threads(snakemake.threads)

import yaml

from synecg.io import atomic_path
from synecg.tuning import StudySpec, load_tuning_splits, run_worker

spec = StudySpec(**yaml.safe_load(open(snakemake.input.study)))
worker = int(snakemake.wildcards.worker)
done = run_worker(spec, worker, *load_tuning_splits(snakemake.params.data_dir),
                  device=select_device(snakemake.params.device), logger=log)
with atomic_path(snakemake.output.trials) as tmp:
    done.to_csv(tmp, index=False)
