"""Scratch diagnostics of TimeVQVAE's prior on the learning check's data (seed 1704, width_lf 16).

First run: trains the reference classifier and stage 1 exactly as `learning_check.py --generator
timevqvae` does and caches them with the tokens in results/issue10/vq_cache.pt. Then trains stage 2 with
`--stage2 JSON` overrides (or loads `--load T`), and scores each `--sampling JSON` setting on a
10-per-class bank (2 seeds): TRTS, amplitude, log-PSD, beat ratio. `--mix` also decodes the real test LF
tokens with HF tokens sampled from the HF prior given them: if that keeps the beats, the LF prior
loses them; if it drops them, the HF prior does.
"""
import argparse, json, logging, sys, tempfile
from dataclasses import replace
from pathlib import Path
import numpy as np, torch, yaml
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import learning_check as lc
from synecg.classify.model import ClassifierConfig
from synecg.classify.train import TrainConfig, predict_proba, train_classifier
from synecg.generators.bank import class_draws
from synecg.generators.learning import set_metrics
from synecg.generators.timevqvae.config import PriorConfig, SamplingConfig, resolve
from synecg.generators.timevqvae.sampling import decode_branch
from synecg.generators.timevqvae.train import build_stage1, build_stage2, sample, tokenize, train_stage1, train_stage2
from synecg.seeding import derive_seed

p = argparse.ArgumentParser()
p.add_argument("--stage2", default="{}"); p.add_argument("--sampling", nargs="*", default=["{}"])
p.add_argument("--tag", default="base"); p.add_argument("--load", default=None); p.add_argument("--mix", action="store_true")
p.add_argument("--train-seed", type=int, default=1704)
a = p.parse_args()
torch.set_num_threads(1)
logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
log = logging.getLogger("vq")
sections = yaml.safe_load(Path("benchmarks/learning_check.yaml").read_text())
cpu = torch.device("cpu")
cache = Path("results/issue10/vq_cache.pt")
cache.parent.mkdir(parents=True, exist_ok=True)
if cache.exists():
    c = torch.load(cache, weights_only=False)
else:
    with tempfile.TemporaryDirectory() as w:
        data = lc.load_data("simulated", Path(w), 100, 1704)
    ccfg = ClassifierConfig(**sections["classifier"]["model"], signal_length=1000)
    res = train_classifier(data["train"][0], data["train"][1], data["val"][0], data["val"][1], ccfg,
                           TrainConfig(**sections["classifier"]["train"]), seed=derive_seed(1704, "learning_check", "classifier"))
    cfg = resolve(sections["timevqvae"], "ptbxl")
    seed = derive_seed(a.train_seed, "learning_check", "timevqvae")
    with tempfile.TemporaryDirectory() as ck:
        s1 = train_stage1(data["train"][0], data["val"][0], cfg.stage1, seed, "ptbxl", Path(ck) / "s1", cpu, bf16=False, logger=log)
    stage1 = build_stage1(s1)
    tokens = {"stage1_sha256": "in-memory"}
    for split in ("train", "val", "test"):
        lf, hf = tokenize(stage1, data[split][0], cpu, bf16=False)
        tokens[split] = {"lf": lf, "hf": hf, "y": torch.from_numpy(data[split][1])}
    c = {"data": data, "clf": (res.model, res.normaliser), "s1": s1, "tokens": tokens, "seed": seed}
    torch.save(c, cache)
data, s1, tokens, seed = c["data"], c["s1"], c["tokens"], c["seed"]
model, norm = c["clf"]
predict = lambda x: predict_proba(model, norm, x).argmax(1)
real_train, y_tr = data["train"]
stage1 = build_stage1(s1)
cfg = resolve(sections["timevqvae"], "ptbxl")
over = json.loads(a.stage2)
lf_over, hf_over = over.pop("lf", {}), over.pop("hf", {})
s2cfg = replace(cfg.stage2, **over, lf=replace(cfg.stage2.lf, **lf_over), hf=replace(cfg.stage2.hf, **hf_over))
c0 = lc.cpu_seconds()
if a.load:
    s2 = torch.load(a.load, weights_only=True)
else:
    with tempfile.TemporaryDirectory() as ck:
        s2 = train_stage2(tokens, s1, s2cfg, seed, "ptbxl", Path(ck) / "s2", cpu, bf16=False, logger=log)
    torch.save(s2, cache.parent / f"vq_{a.tag}.pt")
priors = build_stage2(s2)
print(a.tag, "stage2 cpu", round(lc.cpu_seconds() - c0), flush=True)


def fmt(m):
    return {k: round(float(m[k]), 3) for k in ("trts", "amplitude_ratio", "log_psd_distance", "beat_ratio")}


print(a.tag, "recon(test)", fmt(set_metrics(real_train, stage1.decode(tokens["test"]["lf"], tokens["test"]["hf"])[0].add(
    stage1.decode(tokens["test"]["lf"], tokens["test"]["hf"])[1]).detach().numpy(), data["test"][1], predict, 100, 1704, y_tr)), flush=True)
labels = class_draws(10, 7, "balanced", None, y_tr)
for js in a.sampling:
    scfg = replace(cfg.sampling, **json.loads(js))
    runs = []
    for s in range(2):
        gen = torch.Generator().manual_seed(derive_seed(a.train_seed, "bank", "timevqvae", s))
        x = sample(stage1, priors, labels, scfg, gen, cpu, bf16=False)
        runs.append(fmt(set_metrics(real_train, x, labels, predict, 100, 1704 + s, y_tr)))
    mean = {k: round(float(np.mean([r[k] for r in runs])), 3) for k in runs[0]}
    print(a.tag, "sampling", js, mean, "trts per seed", [r["trts"] for r in runs], flush=True)
    if a.mix:
        # which prior loses the beats: the real test LF tokens with HF tokens the HF prior samples given them
        yt = tokens["test"]["y"]
        gen = torch.Generator().manual_seed(7)
        with torch.no_grad():
            hf = decode_branch(priors.hf, yt, scfg.steps_hf, scfg.temperature_hf, scfg.cfg_scale, gen, cond=tokens["test"]["lf"])
            xl, xh = stage1.decode(tokens["test"]["lf"], hf)
        print(a.tag, "real LF + sampled HF", fmt(set_metrics(real_train, (xl + xh).numpy(), yt.numpy(), predict, 100, 1704, y_tr)), flush=True)
