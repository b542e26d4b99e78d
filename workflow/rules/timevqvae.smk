# Stage 2b: TimeVQVAE (stage 1 VQ-VAE, stage 2 MaskGIT prior), then sample a bank.
# Each stage receives only its own settings as params, so changing a prior setting re-runs
# stage 2 and sampling, never stage 1. The merged dataset is trained only when
# generators.merged_bank is "train" (otherwise banks.smk concatenates the PTB-XL and Chapman banks).


include: "common/timevqvae.smk"


rule train_timevqvae_stage1:
    input:
        train=lambda wc: f"{dataset_dir(wc.dataset)}/train.npy",
        val=lambda wc: f"{dataset_dir(wc.dataset)}/val.npy",
        records=lambda wc: f"{dataset_dir(wc.dataset)}/records.csv",
    output:
        f"{TIMEVQVAE_DIR}/stage1.pt",
    log:
        "logs/train_timevqvae_stage1/{dataset}.log",
    benchmark:
        "results/benchmarks/train_timevqvae_stage1/{dataset}.tsv"
    wildcard_constraints:
        dataset="|".join(TRAINED_DATASETS),
    conda:
        "../../envs/torch.yaml"
    threads: res("generator", "threads")
    resources:
        mem_mb=res("generator", "mem_mb"),
        runtime=res("generator", "runtime"),
        gpu=res("generator", "gpu"),
    params:
        stage1=timevqvae_params("stage1"),
        seed=config["seed"],
    script:
        "../scripts/train_timevqvae_stage1.py"


rule tokenize_timevqvae:
    input:
        stage1=f"{TIMEVQVAE_DIR}/stage1.pt",
        train=lambda wc: f"{dataset_dir(wc.dataset)}/train.npy",
        val=lambda wc: f"{dataset_dir(wc.dataset)}/val.npy",
        records=lambda wc: f"{dataset_dir(wc.dataset)}/records.csv",
    output:
        f"{TIMEVQVAE_DIR}/tokens.pt",
    log:
        "logs/tokenize_timevqvae/{dataset}.log",
    benchmark:
        "results/benchmarks/tokenize_timevqvae/{dataset}.tsv"
    wildcard_constraints:
        dataset="|".join(TRAINED_DATASETS),
    conda:
        "../../envs/torch.yaml"
    threads: res("generator", "threads")
    resources:
        mem_mb=res("generator", "mem_mb"),
        runtime=res("generator", "runtime"),
        gpu=res("generator", "gpu"),
    script:
        "../scripts/tokenize_timevqvae.py"


rule train_timevqvae_stage2:
    input:
        stage1=f"{TIMEVQVAE_DIR}/stage1.pt",
        tokens=f"{TIMEVQVAE_DIR}/tokens.pt",
    output:
        f"{TIMEVQVAE_DIR}/stage2.pt",
    log:
        "logs/train_timevqvae_stage2/{dataset}.log",
    benchmark:
        "results/benchmarks/train_timevqvae_stage2/{dataset}.tsv"
    wildcard_constraints:
        dataset="|".join(TRAINED_DATASETS),
    conda:
        "../../envs/torch.yaml"
    threads: res("generator", "threads")
    resources:
        mem_mb=res("generator", "mem_mb"),
        runtime=res("generator", "runtime"),
        gpu=res("generator", "gpu"),
    params:
        stage2=timevqvae_params("stage2"),
        seed=config["seed"],
    script:
        "../scripts/train_timevqvae_stage2.py"


rule sample_timevqvae_bank:
    input:
        stage1=f"{TIMEVQVAE_DIR}/stage1.pt",
        stage2=f"{TIMEVQVAE_DIR}/stage2.pt",
        records=lambda wc: f"{dataset_dir(wc.dataset)}/records.csv",
    output:
        bank="results/synthetic/{dataset}/timevqvae/bank.npy",
        labels="results/synthetic/{dataset}/timevqvae/labels.csv",
        meta="results/synthetic/{dataset}/timevqvae/bank.json",
    log:
        "logs/sample_timevqvae_bank/{dataset}.log",
    benchmark:
        "results/benchmarks/sample_timevqvae_bank/{dataset}.tsv"
    wildcard_constraints:
        dataset="|".join(TRAINED_DATASETS),
    conda:
        "../../envs/torch.yaml"
    threads: res("generator", "threads")
    resources:
        mem_mb=res("generator", "mem_mb"),
        runtime=res("generator", "runtime"),
        gpu=res("generator", "gpu"),
    params:
        sampling=timevqvae_params("sampling"),
        per_class=config.get("bank", {}).get("per_class", 10),
        class_prior=config.get("bank", {}).get("class_prior", "balanced"),
        batch_size=config.get("bank", {}).get("batch_size", 1024),
        seed=config["seed"],
    script:
        "../scripts/sample_timevqvae_bank.py"


rule plot_timevqvae_reconstructions:
    input:
        stage1=f"{TIMEVQVAE_DIR}/stage1.pt",
        test=lambda wc: f"{dataset_dir(wc.dataset)}/test.npy",
        records=lambda wc: f"{dataset_dir(wc.dataset)}/records.csv",
    output:
        report(
            f"{TIMEVQVAE_DIR}/reconstructions.png",
            caption="../report/timevqvae_reconstructions.rst",
            category="Generators",
            subcategory="TimeVQVAE",
            labels={"dataset": "{dataset}", "figure": "stage-1 reconstructions"},
        ),
    log:
        "logs/plot_timevqvae_reconstructions/{dataset}.log",
    benchmark:
        "results/benchmarks/plot_timevqvae_reconstructions/{dataset}.tsv"
    wildcard_constraints:
        dataset="|".join(TRAINED_DATASETS),
    conda:
        "../../envs/torch.yaml"
    threads: res("light", "threads")
    resources:
        mem_mb=res("light", "mem_mb"),
        runtime=res("light", "runtime"),
        gpu=0,
    params:
        n_records=config["generators"].get("timevqvae", {}).get("figure_records", 4),
        lead="II",
        seed=config["seed"],
    script:
        "../scripts/plot_timevqvae_reconstructions.py"
