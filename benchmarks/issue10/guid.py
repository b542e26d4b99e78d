import sys, pickle, torch
from synecg.generators.diffusion_train import sample_diffusion
from synecg.generators.bank import class_draws
from synecg.generators.learning import set_metrics
from synecg.classify.train import predict_proba
torch.set_num_threads(1)
d, clf = pickle.load(open("scratch/cache.pkl", "rb"))
predict = lambda x: predict_proba(clf[0], clf[1], x).argmax(1)
p = torch.load(sys.argv[1], map_location="cpu", weights_only=True)  # a --save-models payload: tensors and plain types
labels = class_draws(10, 7, "balanced", None, d["train"][1])
for w in map(float, sys.argv[2:]):
    for seed in (21, 22):
        x = sample_diffusion(p, labels, seed, "ddim", 20, guidance=w)
        m = set_metrics(d["train"][0], x, labels, predict, 100, 1704)
        print(sys.argv[1], "w", w, "seed", seed, {k: round(v, 3) for k, v in m.items()}, flush=True)
