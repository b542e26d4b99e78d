"""The metric validation suite on real PTB-XL records: every headline metric ranks held-out real <
scaled x2 < noise, copies (also shifted) are flagged by memorisation and by the membership attack,
and flat traces by the degeneracy check, never as copies. Writes the table docs/fidelity.md shows."""

import numpy as np

from conftest import REPO_ROOT
from synecg.fidelity import validation


def test_validation_suite_ranks_known_answer_sets_on_real_records(shared_data, one_torch_thread):
    x, patients = validation.load_ptbxl_subset(shared_data)
    train, heldout, sets = validation.known_answer_sets(x, patients, seed=0)
    scores = validation.run_suite(train, heldout, sets, seed=0)
    out = REPO_ROOT / "test-artifacts"
    out.mkdir(exist_ok=True)
    (out / "fidelity_validation.md").write_text(validation.ranking_table(scores) + "\n")
    checks = validation.ranking_checks(scores)
    assert all(checks.values()), [name for name, ok in checks.items() if not ok]
    # The random-convolution space passes its own PRDC sanity check, so precision/recall are reported.
    assert scores.attrs["sanity_c2st"] >= 0.95 and np.isfinite(scores.loc["noise", "randconv_precision"])
