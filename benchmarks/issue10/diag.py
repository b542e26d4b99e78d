"""Scratch diagnostics: train one diffusion generator with overrides, measure TRTS and label sensitivity."""
import argparse, json, logging, pickle, sys, tempfile
from pathlib import Path
import numpy as np, torch, yaml
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import learning_check as lc
from synecg.generators.bank import class_draws
from synecg.generators.diffusion_train import TrainSettings, sample_diffusion, train_diffusion
from synecg.generators.learning import set_metrics

p = argparse.ArgumentParser()
p.add_argument("name"); p.add_argument("--over", default="{}"); p.add_argument("--model", default="{}")
p.add_argument("--cpu-minutes", type=float, default=5); p.add_argument("--eval-every", type=int, default=500)
p.add_argument("--tag", default="run"); p.add_argument("--guidance", type=float, default=None); p.add_argument("--ddim", type=int, default=20)
a = p.parse_args()
torch.set_num_threads(1)
logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
cache = Path("scratch/cache.pkl")
if cache.exists():
    data, clf = pickle.loads(cache.read_bytes())
else:
    with tempfile.TemporaryDirectory() as w:
        data = lc.load_data("simulated", Path(w), 100, 1704)
    sections = yaml.safe_load(Path("benchmarks/learning_check.yaml").read_text())
    from synecg.classify.model import ClassifierConfig
    from synecg.classify.train import TrainConfig, train_classifier
    from synecg.seeding import derive_seed
    cfg = ClassifierConfig(**sections["classifier"]["model"], signal_length=1000)
    res = train_classifier(data["train"][0], data["train"][1], data["val"][0], data["val"][1], cfg,
                           TrainConfig(**sections["classifier"]["train"]), seed=derive_seed(1704, "learning_check", "classifier"))
    clf = (res.model, res.normaliser)
    cache.write_bytes(pickle.dumps((data, clf)))
from synecg.classify.train import predict_proba
predict = lambda x: predict_proba(clf[0], clf[1], x).argmax(1)
real_train = data["train"][0]
print("real", set_metrics(real_train, data["test"][0], data["test"][1], predict, 100, 1704))
sections = yaml.safe_load(Path("benchmarks/learning_check.yaml").read_text())
section = {**sections[a.name], **json.loads(a.over)}
section["model"] = {**section.get("model", {}), **json.loads(a.model)}
common = {**sections["training"], "max_cpu_minutes": a.cpu_minutes}
settings = TrainSettings.from_config(section, common)
labels = class_draws(10, 7, "balanced", None, data["train"][1])

def sensitivity(payload):
    # fixed noise: same seed for every label -> the same initial noise per row
    n = 6
    xs = np.stack([sample_diffusion(payload, np.full(n, c), 99, "ddim", a.ddim, guidance=a.guidance) for c in range(7)])  # (7, n, 12, L)
    x2 = sample_diffusion(payload, np.full(n, 1), 98, "ddim", a.ddim, guidance=a.guidance)
    rms = np.sqrt((xs ** 2).mean())
    between_labels = np.mean([np.sqrt(((xs[i] - xs[j]) ** 2).mean()) for i in range(7) for j in range(i + 1, 7)]) / rms
    between_seeds = np.sqrt(((xs[1] - x2) ** 2).mean()) / rms
    pred = np.stack([predict(xs[c]) for c in range(7)])
    return {"label_diff": float(between_labels), "seed_diff": float(between_seeds),
            "fixed_noise_trts": float(np.mean(pred == np.arange(7)[:, None])),
            "pred_hist": [np.bincount(pred[c], minlength=7).tolist() for c in range(7)]}

curve = []
def monitor(step, payload):
    with torch.random.fork_rng():
        x = sample_diffusion(payload, labels, 7, "ddim", a.ddim, guidance=a.guidance)
        m = set_metrics(real_train, x, labels, predict, 100, 1704)
        s = sensitivity(payload)
    curve.append({"step": step, **m, **s})
    print(a.tag, json.dumps(curve[-1]), flush=True)
c0 = lc.cpu_seconds()
with tempfile.TemporaryDirectory() as ck:
    payload = train_diffusion(a.name, settings, data["train"][0], data["train"][1], None, None, ck, seed=5,
                              logger=logging.getLogger("d"), monitor=monitor, monitor_every=a.eval_every)
print(a.tag, "train cpu incl monitor", lc.cpu_seconds() - c0, "steps", payload["final_step"])
torch.save(payload, f"scratch/{a.tag}.pt")
monitor(payload["final_step"], payload)
