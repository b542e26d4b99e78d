# Stage 2a: diffusion generators (sssd, diffwave, timediffusion): train, then sample a bank.
# Checkpoints in results/generators/{dataset}/{generator}/checkpoints/ are not declared as outputs, so a
# killed job keeps them and the re-run resumes from the newest (same settings only: config fingerprint).

DIFFUSION_GENERATORS = [
    g for g in ("sssd", "diffwave", "timediffusion") if g in GENERATORS
]


# Where the networks run (compute.device, bf16 autocast, torch.compile); passed to both rules.
RUNTIME = {k: config["compute"][k] for k in ("device", "bf16", "compile")}


rule train_generator:
    input:
        records=f"{dataset_dir('{dataset}')}/records.csv",
        train=f"{dataset_dir('{dataset}')}/train.npy",
        val=f"{dataset_dir('{dataset}')}/val.npy",
    output:
        model="results/generators/{dataset}/{generator}/model.pt",
    log:
        "logs/train_generator/{dataset}/{generator}.log",
    benchmark:
        "results/benchmarks/train_generator/{dataset}/{generator}.tsv"
    wildcard_constraints:
        dataset="|".join(TRAINED_DATASETS),
        generator="|".join(DIFFUSION_GENERATORS) or "^$",
    conda:
        "../../envs/torch.yaml"
    threads: res("generator", "threads")
    resources:
        mem_mb=res("generator", "mem_mb"),
        runtime=res("generator", "runtime"),
        gpu=res("generator", "gpu"),
    params:
        settings=lambda w: {
            "generator": config["generators"][w.generator],
            "training": config["generators"]["training"],
            "seed": config["seed"],
        },
        runtime=RUNTIME,
        checkpoints=lambda w: f"results/generators/{w.dataset}/{w.generator}/checkpoints",
    script:
        "../scripts/train_generator.py"


rule sample_bank:
    input:
        model="results/generators/{dataset}/{generator}/model.pt",
        records=f"{dataset_dir('{dataset}')}/records.csv",
    output:
        bank=f"{bank_dir('{dataset}', '{generator}')}/bank.npy",
        labels=f"{bank_dir('{dataset}', '{generator}')}/labels.csv",
        meta=f"{bank_dir('{dataset}', '{generator}')}/bank.json",
    log:
        "logs/sample_bank/{dataset}/{generator}.log",
    benchmark:
        "results/benchmarks/sample_bank/{dataset}/{generator}.tsv"
    wildcard_constraints:
        dataset="|".join(TRAINED_DATASETS),
        generator="|".join(DIFFUSION_GENERATORS) or "^$",
    conda:
        "../../envs/torch.yaml"
    threads: res("generator", "threads")
    resources:
        mem_mb=res("generator", "mem_mb"),
        runtime=res("generator", "runtime"),
        gpu=res("generator", "gpu"),
    params:
        # bank.sampler_for[generator] replaces bank.sampler; the map itself is left out, so
        # changing one generator's entry re-samples only its banks
        bank=lambda w: {k: v for k, v in config["bank"].items() if k != "sampler_for"}
        | {
            "sampler": config["bank"]["sampler_for"].get(
                w.generator, config["bank"]["sampler"]
            )
        },
        seed=config["seed"],
        sampling_rate=config["sampling_rate"],
        runtime=RUNTIME,
    script:
        "../scripts/sample_bank.py"
