"""Learning check: does each generator learn? Train it small on CPU, sample a class-balanced bank, score it.

A benchmark script, not a workflow config: it trains and scores every generator in one process
(no Snakemake DAG with a start-up per rule), prints one table and writes ``learning_check.json``
and figures into ``--out``. Data: ``simulated`` (the project's demo simulator, written as a PTB-XL
tree and read back by ``synecg.data.prepare``, patient-disjoint strat_fold splits 1-8/9/10) or
``real`` (the PTB-XL records in $SYNECG_SHARED_DATA, same reader and splits).

Per generator and for the held-out real test records it reports (``synecg.generators.learning``):
TRTS accuracy of a classifier trained on the real training split (chance 1/7), amplitude ratio,
log-PSD distance to the real training split, C2ST accuracy, beat ratio (R peaks per record against the
real training records of the class), CPU seconds and steps. For diffusion
models it compares the full ancestral sampler with DDIM at 10/20/50 steps over a few sampling
seeds; a learning curve (TRTS every ``--eval-every`` steps) comes from the monitor hook of
``train_diffusion`` (stage 2 of TimeVQVAE: final point only).

Targets (simulated data): TRTS >= 0.5, amplitude within +-20 %, log-PSD <= 2x real-vs-real,
<= 20 CPU-minutes per generator. Run with one torch thread:

    python benchmarks/learning_check.py --generator all --data simulated --out results/learning_check
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch
import yaml

from synecg.classify.model import ClassifierConfig
from synecg.classify.train import TrainConfig, predict_proba, train_classifier
from synecg.constants import CLASSES
from synecg.data.demo import write_demo
from synecg.data.prepare import prepare_dataset
from synecg.data.store import load_split
from synecg.generators.bank import class_draws
from synecg.generators.diffusion_train import TrainSettings, sample_diffusion, train_diffusion
from synecg.generators.learning import set_metrics, summarise
from synecg.generators.registry import describe, process_for
from synecg.seeding import derive_seed

GENERATORS = ("sssd", "diffwave", "timediffusion", "timevqvae")
FS = 100
HERE = Path(__file__).resolve().parent
log = logging.getLogger("learning_check")


def cpu_seconds() -> float:
    """User + system CPU time of this process so far (s)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def load_data(kind: str, work: Path, records_per_class: int, seed: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{split: (x (N, 12, 1000) mV, y (N,))} of the simulated demo data or the shared PTB-XL subset."""
    if kind == "simulated":
        raw = work / "raw"
        write_demo("ptbxl", raw, records_per_class, seed)
    else:
        raw = Path(os.environ.get("SYNECG_SHARED_DATA", HERE.parent.parent / "shared" / "data")) / "ptbxl"
    prepared = work / "prepared"
    prepare_dataset("ptbxl", raw, prepared, FS, 10.0, {}, seed, log=log)
    return {s: tuple(a for a in load_split(prepared, s, mmap=False)[:2]) for s in ("train", "val", "test")}


def reference_classifier(data, section: dict, seed: int):
    """The real-trained classifier behind TRTS; returns predict: (N, 12, L) -> (N,) class indices."""
    cfg = ClassifierConfig(**section["model"], signal_length=data["train"][0].shape[-1])
    result = train_classifier(data["train"][0], data["train"][1], data["val"][0], data["val"][1], cfg,
                              TrainConfig(**section["train"]), seed=derive_seed(seed, "learning_check", "classifier"))
    return lambda x: predict_proba(result.model, result.normaliser, x).argmax(1)


def sample_settings(args) -> list[tuple[str, int | None]]:
    """(sampler, steps) pairs of the sampler comparison; the chosen --sampler first."""
    chosen = (args.sampler, args.ddim_steps if args.sampler == "ddim" else None)
    others = [("ddpm", None)] + [("ddim", s) for s in (10, 20, 50)] if args.compare_samplers else []
    return [chosen] + [o for o in others if o != chosen]


def run_diffusion(name: str, section: dict, common: dict, data, predict, args, real_train) -> dict:
    process = process_for(name, section.get("process"))
    settings = TrainSettings.from_config(section, common)
    y_train = data["train"][1]
    curve_labels = class_draws(args.curve_per_class, len(CLASSES), "balanced", None, y_train)
    curve, monitor_cpu = [], [0.0]

    def monitor(step: int, payload: dict) -> None:
        c0 = cpu_seconds()
        with torch.random.fork_rng():
            x = sample_diffusion(payload, curve_labels, derive_seed(args.train_seed, "curve", name), args.sampler, args.ddim_steps)
        m = set_metrics(real_train, x, curve_labels, predict, FS, args.seed, y_train)
        curve.append({"step": step, **m})
        monitor_cpu[0] += cpu_seconds() - c0
        log.info(f"{name} step {step}: TRTS {m['trts']:.3f} amplitude {m['amplitude_ratio']:.2f} "
                 f"log-PSD {m['log_psd_distance']:.2f}")

    c0 = cpu_seconds()
    with tempfile.TemporaryDirectory() as ckpt:
        payload = train_diffusion(name, settings, data["train"][0], y_train, data["val"][0], data["val"][1], ckpt,
                                  seed=derive_seed(args.train_seed, "learning_check", name), logger=log,
                                  monitor=monitor, monitor_every=args.eval_every, process_config=process)
    train_cpu = cpu_seconds() - c0 - monitor_cpu[0]
    if args.save_models:
        torch.save(payload, Path(args.out) / f"model_{name}.pt")
    labels = class_draws(args.per_class, len(CLASSES), "balanced", None, y_train)
    samplers, bank = {}, None
    for sampler, steps in sample_settings(args):
        key = sampler if sampler == "ddpm" else f"ddim{steps}"
        runs, cpu = [], []
        for s in range(args.sampling_seeds):
            c1 = cpu_seconds()
            x = sample_diffusion(payload, labels, derive_seed(args.train_seed, "bank", name, s), sampler, steps)
            cpu.append(cpu_seconds() - c1)
            runs.append(set_metrics(real_train, x, labels, predict, FS, args.seed + s, y_train))
            if bank is None:
                bank = x
        samplers[key] = {**summarise(runs), "sampling_cpu_s": float(np.mean(cpu)), "seeds": args.sampling_seeds}
        log.info(f"{name} {key}: " + json.dumps({k: round(v, 3) for k, v in samplers[key].items()}))
    chosen = samplers[next(iter(samplers))]
    return {"generator": name, "steps": payload["final_step"], "stopped_by": payload["stopped_by"],
            "preset": settings.preset, "process": describe(process), "data_scale": payload["data_scale"], "guidance_scale": settings.guidance_scale,
            "p_uncond": settings.p_uncond, "train_cpu_s": train_cpu, "cpu_s": train_cpu + chosen["sampling_cpu_s"],
            "bank": chosen, "samplers": samplers, "curve": curve, "labels": labels, "x": bank}


def run_timevqvae(section: dict, data, predict, args, real_train) -> dict:
    from synecg.generators.timevqvae.config import resolve
    from synecg.generators.timevqvae.train import build_stage1, build_stage2, reconstruct, sample, tokenize, train_stage1, train_stage2

    cfg = resolve(section, "ptbxl")
    cpu = torch.device("cpu")
    seed = derive_seed(args.train_seed, "learning_check", "timevqvae")
    (x_tr, y_tr), (x_va, y_va) = data["train"], data["val"]
    c0 = cpu_seconds()
    with tempfile.TemporaryDirectory() as ckpt:
        s1 = train_stage1(x_tr, x_va, cfg.stage1, seed, "ptbxl", Path(ckpt) / "stage1", cpu, bf16=False, logger=log)
        stage1 = build_stage1(s1)
        tokens = {"stage1_sha256": "in-memory"}
        for split, (x, y) in (("train", (x_tr, y_tr)), ("val", (x_va, y_va))):
            lf, hf = tokenize(stage1, x, cpu, bf16=False)
            tokens[split] = {"lf": lf, "hf": hf, "y": torch.from_numpy(y)}
        s2 = train_stage2(tokens, s1, cfg.stage2, seed, "ptbxl", Path(ckpt) / "stage2", cpu, bf16=False, logger=log)
    train_cpu = cpu_seconds() - c0
    priors = build_stage2(s2)
    recon = reconstruct(stage1, data["test"][0], cpu)["xhat"]
    recon_metrics = set_metrics(real_train, recon, data["test"][1], predict, FS, args.seed, y_tr)
    labels = class_draws(args.per_class, len(CLASSES), "balanced", None, y_tr)
    runs, cpus, bank = [], [], None
    for s in range(args.sampling_seeds):
        c1 = cpu_seconds()
        gen = torch.Generator().manual_seed(derive_seed(args.train_seed, "bank", "timevqvae", s))
        x = sample(stage1, priors, labels, cfg.sampling, gen, cpu, bf16=False)
        cpus.append(cpu_seconds() - c1)
        runs.append(set_metrics(real_train, x, labels, predict, FS, args.seed + s, y_tr))
        bank = x if bank is None else bank
    chosen = {**summarise(runs), "sampling_cpu_s": float(np.mean(cpus)), "seeds": args.sampling_seeds}
    steps = f"{s1['steps']}+{s2['steps']}"
    curve = [{"step": s2["steps"], **runs[0]}]
    return {"generator": "timevqvae", "steps": steps, "stopped_by": "steps", "preset": section.get("preset", "tiny"),
            "train_cpu_s": train_cpu, "cpu_s": train_cpu + chosen["sampling_cpu_s"], "bank": chosen,
            "samplers": {"maskgit": chosen}, "curve": curve, "stage1_reconstruction": recon_metrics,
            "labels": labels, "x": bank}


def apply_overrides(sections: dict, name: str, args) -> dict:
    section = json.loads(json.dumps(sections[name]))
    if args.preset:
        section["preset"] = args.preset
    if args.steps:
        if name == "timevqvae":
            section.setdefault("stage2", {})["steps"] = args.steps
        else:
            section["steps"] = args.steps
    if args.process and name != "timevqvae":
        section["process"] = {**section.get("process", {}), **args.process}
    return section


def print_table(real: dict, rows: list[dict]) -> None:
    head = f"{'set':<22}{'steps':>11}{'TRTS':>7}{'amp':>7}{'logPSD':>8}{'C2ST':>7}{'beats':>7}{'CPU min':>9}"
    print(head)
    print("-" * len(head))
    print(f"{'real held-out':<22}{'':>11}{real['trts']:>7.3f}{real['amplitude_ratio']:>7.2f}"
          f"{real['log_psd_distance']:>8.2f}{real['c2st_accuracy']:>7.3f}{real['beat_ratio']:>7.2f}{'':>9}")
    for r in rows:
        for key, m in r["samplers"].items():
            print(f"{r['generator'] + ' ' + key:<22}{str(r['steps']):>11}{m['trts']:>7.3f}{m['amplitude_ratio']:>7.2f}"
                  f"{m['log_psd_distance']:>8.2f}{m['c2st_accuracy']:>7.3f}{m['beat_ratio']:>7.2f}{r['cpu_s'] / 60:>9.1f}"
                  f"   (sd TRTS {m['trts_sd']:.3f}, logPSD {m['log_psd_distance_sd']:.2f}, sampling {m['sampling_cpu_s']:.0f} s)")


def verdict(r: dict, real: dict) -> dict[str, bool]:
    m = r["bank"]
    return {"trts>=0.5": m["trts"] >= 0.5, "amplitude+-20%": abs(m["amplitude_ratio"] - 1) <= 0.2,
            "logpsd<=2x_real": m["log_psd_distance"] <= 2 * real["log_psd_distance"], "cpu<=20min": r["cpu_s"] <= 1200}


def figures(out: Path, rows: list[dict], data, real: dict) -> None:
    import matplotlib.pyplot as plt

    from synecg.plots.banks import plot_bank_grid

    fig, ax = plt.subplots(figsize=(6, 4))
    for r in rows:
        steps = [c["step"] for c in r["curve"]]
        ax.plot(steps, [c["trts"] for c in r["curve"]], marker="o", label=r["generator"])
    ax.axhline(real["trts"], color="black", linestyle="--", label="real held-out")
    ax.axhline(1 / len(CLASSES), color="grey", linestyle=":", label="chance")
    ax.axhline(0.5, color="tab:red", linestyle=":", label="target")
    ax.set_xlabel("training steps (TimeVQVAE: stage 2)")
    ax.set_ylabel("TRTS accuracy")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "learning_curve.png", dpi=110)
    plt.close(fig)
    for r in rows:
        fig = plot_bank_grid(data["train"][0], data["train"][1], r["x"], r["labels"], np.random.default_rng(0),
                             title=f"{r['generator']}: real training record vs sample", fs=FS)
        fig.savefig(out / f"samples_{r['generator']}.png", dpi=80)
        plt.close(fig)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--generator", nargs="+", default=["all"], choices=[*GENERATORS, "all"])
    p.add_argument("--data", choices=["simulated", "real"], default="simulated")
    p.add_argument("--config", default=str(HERE / "learning_check.yaml"))
    p.add_argument("--steps", type=int, default=None, help="training steps (TimeVQVAE: stage 2); default: the config's")
    p.add_argument("--preset", default=None, help="network preset of every chosen generator; default: the config's")
    p.add_argument("--process", type=json.loads, default=None,
                   help='noise-process changes of every chosen diffusion generator, as JSON, e.g. '
                        '\'{"zero_terminal_snr": true, "prediction": "v_prediction"}\'; default: the config\'s (the published process)')
    p.add_argument("--cpu-minutes", type=float, default=20.0,
                   help="CPU-time cap (user + sys) of each diffusion generator's training loop")
    p.add_argument("--eval-every", type=int, default=500, help="steps between learning-curve points (0 = none)")
    p.add_argument("--sampler", choices=["ddpm", "ddim"], default="ddim")
    p.add_argument("--ddim-steps", type=int, default=20)
    p.add_argument("--no-compare-samplers", dest="compare_samplers", action="store_false")
    p.add_argument("--sampling-seeds", type=int, default=3)
    p.add_argument("--per-class", type=int, default=30, help="bank signals per class")
    p.add_argument("--curve-per-class", type=int, default=10, help="signals per class at each learning-curve point")
    p.add_argument("--records-per-class", type=int, default=100, help="simulated records per class")
    p.add_argument("--seed", type=int, default=1704, help="seed of the data, the reference classifier and the metrics")
    p.add_argument("--train-seed", type=int, default=None,
                   help="seed of the generators' training and sampling only (default: --seed): a replicate of "
                        "the generators on the same data, scored by the same reference classifier")
    p.add_argument("--min-reference-trts", type=float, default=0.5,
                   help="stop before any generator trains when the real-trained reference classifier scores the "
                        "held-out real records below this (its TRTS of a bank would say nothing)")
    p.add_argument("--save-models", action="store_true", help="write each diffusion payload to --out/model_<name>.pt")
    p.add_argument("--out", default="results/learning_check")
    args = p.parse_args(argv)
    args.train_seed = args.seed if args.train_seed is None else args.train_seed
    torch.set_num_threads(1)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    names = list(GENERATORS) if "all" in args.generator else args.generator
    sections = yaml.safe_load(Path(args.config).read_text())

    with tempfile.TemporaryDirectory() as work:
        data = load_data(args.data, Path(work), args.records_per_class, args.seed)
    log.info("records: " + ", ".join(f"{s} {len(v[1])} {np.bincount(v[1], minlength=len(CLASSES)).tolist()}" for s, v in data.items()))
    c0 = cpu_seconds()
    predict = reference_classifier(data, sections["classifier"], args.seed)
    classifier_cpu = cpu_seconds() - c0
    real_train, real_y = data["train"]
    real = set_metrics(real_train, data["test"][0], data["test"][1], predict, FS, args.seed, real_y)
    log.info(f"real held-out: {real}")
    if real["trts"] < args.min_reference_trts:
        log.error(f"the reference classifier (seed {args.seed}) scores the held-out real records at {real['trts']:.3f} "
                  f"(chance {1 / len(CLASSES):.3f}), below --min-reference-trts {args.min_reference_trts}: the TRTS "
                  "of a bank would say nothing. Change --seed or the config's classifier section; keep the "
                  "generators' replicate in --train-seed")
        return 2
    common = {**sections.get("training", {}), "max_cpu_minutes": args.cpu_minutes}
    rows = []
    for name in names:
        section = apply_overrides(sections, name, args)
        if name == "timevqvae":
            rows.append(run_timevqvae(section, data, predict, args, real_train))
        else:
            rows.append(run_diffusion(name, section, common, data, predict, args, real_train))
        rows[-1]["targets"] = verdict(rows[-1], real)

    report = {
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]) if argv is None else " ".join(argv),
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{os.uname().nodename}, {os.cpu_count()} CPUs, torch threads 1",
        "seed": args.seed, "train_seed": args.train_seed,
        "data": args.data, "split_sizes": {s: len(v[1]) for s, v in data.items()},
        "classifier_cpu_s": classifier_cpu, "real_heldout": real,
        "generators": [{k: v for k, v in r.items() if k not in ("x", "labels")} for r in rows],
    }
    tag = "_".join(names) if len(names) < len(GENERATORS) else "all"
    (out / f"learning_check_{args.data}_{tag}.json").write_text(json.dumps(report, indent=1, default=str))
    print_table(real, rows)
    figures(out, rows, data, real)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
