import sys, json, pickle, resource, numpy as np, torch
from synecg.generators.diffusion_train import sample_diffusion
from synecg.generators.bank import class_draws
from synecg.generators.learning import set_metrics, summarise
from synecg.classify.train import predict_proba
torch.set_num_threads(1)
cpu = lambda: sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
d, clf = pickle.load(open("scratch/cache.pkl", "rb"))
predict = lambda x: predict_proba(clf[0], clf[1], x).argmax(1)
p = torch.load(sys.argv[1], map_location="cpu", weights_only=True)  # a --save-models payload: tensors and plain types
per_class, w = int(sys.argv[2]), float(sys.argv[3])
labels = class_draws(per_class, 7, "balanced", None, d["train"][1])
for sampler, steps in (("ddim", 10), ("ddim", 20), ("ddim", 50), ("ddpm", None)):
    runs, cs = [], []
    for seed in ((31, 32, 33) if sampler == "ddim" else (31, 32)):
        c0 = cpu(); x = sample_diffusion(p, labels, seed, sampler, steps, guidance=w); cs.append(cpu() - c0)
        runs.append(set_metrics(d["train"][0], x, labels, predict, 100, 1704 + seed))
    m = summarise(runs)
    print(sys.argv[1], sampler, steps, "w", w, json.dumps({k: round(v, 3) for k, v in m.items()}), "cpu_s", round(float(np.mean(cs)), 1), flush=True)
