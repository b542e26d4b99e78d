"""Is the `paper` TimeVQVAE prior the authors' prior? Parameter counts and logits against the reference.

Needs the reference code, which the project does not ship: ML4ITS/TimeVQVAE at 65dd0fd (the 2024
code the paper ran) and x-transformers 1.31.6 (its pinned version), e.g.

    git -C TimeVQVAE archive 65dd0fd generators | tar -x -C /tmp/ref65
    pip install --target /tmp/xtpkg --no-deps x-transformers==1.31.6
    python benchmarks/issue10/prior_equivalence.py /tmp/ref65 /tmp/xtpkg

Builds the reference LF and HF ``BidirectionalTransformer`` with the AI4HA-UPC PTB-XL and Chapman
prior configs, counts parameters, copies our `paper` priors' weights into them and compares the
logits in eval mode on random tokens. The counts are asserted in tests/test_timevqvae.py.
"""
import sys
import warnings

import torch

ref_dir, xt_dir = sys.argv[1], sys.argv[2]
sys.path[:0] = [xt_dir, ref_dir]
warnings.filterwarnings("ignore", category=FutureWarning)
from generators.bidirectional_transformer import BidirectionalTransformer  # noqa: E402  (the reference)

from synecg.generators.timevqvae.config import preset  # noqa: E402
from synecg.generators.timevqvae.stage2 import Priors  # noqa: E402

PRIOR = dict(hidden_dim=64, n_layers=4, heads=2, ff_mult=1, use_rmsnorm=True, p_unconditional=0.2,
             model_dropout=0.3, emb_dropout=0.3)
TOKENS = {"ptbxl": (63, 279), "chapman": (135, 135)}


def our_names_to_reference(ours: dict, kind: str, layers: int) -> dict:
    """Our RefPrior state dict under the reference's parameter names."""
    sd = {"pos_emb.weight": ours["pos_emb.weight"], "class_condition_emb.weight": ours["class_emb.weight"],
          "bias": ours["bias"], "blocks.project_in.weight": ours["blocks.project_in.weight"],
          "blocks.project_out.weight": ours["blocks.project_out.weight"],
          "blocks.post_emb_norm.gamma": ours["blocks.post_emb_norm.weight"],
          "blocks.attn_layers.final_norm.g": ours["blocks.final_norm.g"]}
    if kind == "lf":
        sd["tok_emb_l.weight"] = ours["token_emb.weight"]
    else:
        sd["tok_emb_l.weight"], sd["tok_emb_h.weight"] = ours["cond_emb.weight"], ours["token_emb.weight"]
        for k, v in ours.items():
            if k.startswith("upscale."):
                sd["projector.conv." + k[len("upscale."):]] = v
    for a, b in (("head.0", "pred_head.0"), ("head.2", "pred_head.2")):
        for s in ("weight", "bias"):
            sd[f"{b}.{s}"] = ours[f"{a}.{s}"]
    for i in range(2 * layers):
        sd[f"blocks.attn_layers.layers.{i}.0.0.g"] = ours[f"blocks.branches.{i}.0.g"]
        if i % 2 == 0:
            for q in ("to_q", "to_k", "to_v", "to_out"):
                sd[f"blocks.attn_layers.layers.{i}.1.{q}.weight"] = ours[f"blocks.branches.{i}.1.{q}.weight"]
        else:
            for a, b in (("0", "0.0"), ("3", "2")):
                for s in ("weight", "bias"):
                    sd[f"blocks.attn_layers.layers.{i}.1.ff.{b}.{s}"] = ours[f"blocks.branches.{i}.1.{a}.{s}"]
    return sd


def main() -> None:
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    for dataset, (n_lf, n_hf) in TOKENS.items():
        torch.manual_seed(0)
        cfg = preset("paper", dataset).stage2
        priors = Priors(cfg, 64, n_lf, n_hf, 9, 7).eval()
        for kind, ours, n in (("lf", priors.lf, n_lf), ("hf", priors.hf, n_hf)):
            ref = BidirectionalTransformer(kind, n, {"lf": 64, "hf": 64}, 64, **PRIOR, n_classes=7, num_tokens_l=n_lf).eval()
            missing = ref.load_state_dict(our_names_to_reference(ours.state_dict(), kind, cfg.lf.layers), strict=True)
            g = torch.Generator().manual_seed(1)
            y = torch.randint(0, 7, (5,), generator=g)
            lf = torch.randint(0, 64, (5, n_lf), generator=g)
            with torch.no_grad():
                if kind == "lf":
                    tok = torch.randint(0, 65, (5, n_lf), generator=g)
                    a, b = ours(tok, y), ref(tok, class_condition=y[:, None])
                else:
                    tok = torch.randint(0, 65, (5, n_hf), generator=g)
                    a, b = ours(tok, y, lf), ref(lf, tok, class_condition=y[:, None])
            print(f"{dataset} {kind}: parameters ours {count(ours):,} reference {count(ref):,}; "
                  f"logits max |diff| {float((a - b).abs().max()):.2e} (max |logit| {float(b.abs().max()):.1f}); {missing}")


if __name__ == "__main__":
    main()
