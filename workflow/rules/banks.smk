# Stage 2c: banks common to all generators: the merged dataset's bank (by default the PTB-XL bank
# plus the Chapman bank, as in the paper) and the control banks of the experiments (real training
# records written as banks, experiments.control_banks). Each bank's figure is drawn by its fidelity
# job (rule fidelity_bank, workflow/rules/fidelity.smk), which loads the bank and the real records anyway. Generator rules that sample a bank
# constrain their dataset wildcard to TRAINED_DATASETS, so results/synthetic/merged/ has one producer.


include: "common/banks.smk"


if "merged" in DATASETS and MERGED_BANK == "concat":

    rule concat_merged_bank:
        input:
            ptbxl=lambda w: bank_files("ptbxl", w.generator),
            chapman=lambda w: bank_files("chapman", w.generator),
        output:
            bank=f"{bank_dir('merged', '{generator}')}/bank.npy",
            labels=f"{bank_dir('merged', '{generator}')}/labels.csv",
            meta=f"{bank_dir('merged', '{generator}')}/bank.json",
        log:
            "logs/concat_merged_bank/{generator}.log",
        benchmark:
            "results/benchmarks/concat_merged_bank/{generator}.tsv"
        wildcard_constraints:
            generator="|".join(GENERATORS),
        conda:
            "../../envs/eval.yaml"
        threads: res("light", "threads")
        resources:
            mem_mb=res("light", "mem_mb"),
            runtime=res("light", "runtime"),
            gpu=res("light", "gpu"),
        params:
            parts=lambda w: {
                "ptbxl": bank_dir("ptbxl", w.generator),
                "chapman": bank_dir("chapman", w.generator),
            },
        script:
            "../scripts/concat_merged_bank.py"


rule build_control_bank:
    input:
        records=f"{dataset_dir('{dataset}')}/records.csv",
        train=f"{dataset_dir('{dataset}')}/train.npy",
    output:
        bank=f"{control_bank_dir('{dataset}', '{control}')}/bank.npy",
        labels=f"{control_bank_dir('{dataset}', '{control}')}/labels.csv",
        meta=f"{control_bank_dir('{dataset}', '{control}')}/bank.json",
    log:
        "logs/build_control_bank/{dataset}/{control}.log",
    benchmark:
        "results/benchmarks/build_control_bank/{dataset}/{control}.tsv"
    wildcard_constraints:
        control="|".join(CONTROL_BANKS),
    conda:
        "../../envs/eval.yaml"
    threads: res("light", "threads")
    resources:
        mem_mb=res("data", "mem_mb"),
        runtime=res("light", "runtime"),
        gpu=res("light", "gpu"),
    params:
        generator=lambda w: control_generator(w.control),
        data_dir=lambda w: dataset_dir(w.dataset),
        per_class=lambda w: control_bank_size(w.dataset),
        class_prior=config["bank"]["class_prior"],
        seed=config["seed"],
    script:
        "../scripts/build_control_bank.py"
