# Imports, constants and input functions of the tuning stage (tuning.smk holds its rules).
from synecg.experiments.settings import TUNING_DIR, TRAINING_KEYS
from synecg.tuning import storage_location

TUNING = config["tuning"]
TUNING_WORKERS = list(range(TUNING["workers"]))


def tuning_inputs(wildcards):
    """The only data a search reads: the records table and the training and validation splits."""
    return [
        f"{dataset_dir(wildcards.dataset)}/{name}"
        for name in ("records.csv", "train.npy", "val.npy")
    ]


def study_params(wildcards):
    """Everything one dataset's study depends on (synecg.tuning.StudySpec)."""
    clf = config["classifier"]
    training = {k: clf[k] for k in TRAINING_KEYS if k != "weight_decay"}
    training["max_epochs"] = TUNING["max_epochs"] or clf["max_epochs"]
    training["bf16"] = bool(config["compute"].get("bf16", True))
    return {
        "name": f"{TUNING['study_name']}-{wildcards.dataset}",
        "storage": storage_location(
            TUNING["storage"], f"{TUNING_DIR}/{wildcards.dataset}"
        ),
        "dataset": wildcards.dataset,
        "seed": config["seed"],
        "n_trials": TUNING["n_trials"],
        "workers": TUNING["workers"],
        "metric": TUNING["metric"],
        "pruner": TUNING["pruner"],
        "startup_trials": TUNING["startup_trials"],
        "space": TUNING["space"],
        "training": training,
        "data_files": tuning_inputs(wildcards),
    }


def tuning_targets():
    """best.yaml, trial table and history figure of every dataset, when tuning.enabled."""
    if not TUNING["enabled"]:
        return []
    return [
        f"{TUNING_DIR}/{d}/{name}"
        for d in DATASETS
        for name in ("best.yaml", "trials.csv", "history.png")
    ]
