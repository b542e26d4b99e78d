"""Control banks: real training records written as a bank (the synecg.generators.bank contract), so
the augmentation arms run with them exactly as with a generator's bank.

They answer "synthetic data, or just more rows?" in every study:

- ``shuffled`` (negative control): real training records drawn without regard to their class,
  carrying the labels of a generator's bank (so the labels say nothing about the signals). Any
  gain it shows is an artefact of the design (more optimisation steps, balance of the label
  counts), not information.
- ``copies`` (quantity and balance control): real training records of each class drawn again, as
  many per class as the generator's bank holds. It adds no new signal, only the re-weighting that
  the balanced real-only control (TrRTeR-balanced) makes; its effect should match that control's.

Both read the real training split only (never validation or test) and take their labels from
the same class draw as the generators' banks (``bank.per_class``, ``bank.class_prior``), so a
control bank has a generator bank's size and class counts.
"""

from __future__ import annotations

import numpy as np


CONTROL_BANKS: tuple[str, ...] = ("shuffled", "copies")


def even_cover(n_rows: int, n_wanted: int, rng: np.random.Generator) -> np.ndarray:
    """``n_wanted`` indices into ``n_rows`` rows, each row used as evenly as possible (successive
    seeded permutations, so a row repeats only once every row has been used)."""
    if n_rows < 1:
        raise ValueError(f"cannot draw {n_wanted} rows from an empty set")
    rounds = -(-n_wanted // n_rows)
    return np.concatenate([rng.permutation(n_rows) for _ in range(rounds)])[:n_wanted] if n_wanted else np.array([], dtype=np.int64)


def control_rows(kind: str, y_train: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Rows of the real training split (labels ``y_train`` (N,)) that make up the control bank whose
    labels are ``labels`` (M,) (a generator bank's class draw): row i of the bank is training row
    ``rows[i]`` labelled ``labels[i]``.

    ``shuffled``: rows drawn evenly from the whole split, whatever their class; ``copies``: for
    each label, a row of that class, each class's rows used evenly. Raises when ``copies`` needs a
    class the split does not hold.
    """
    y_train, labels = np.asarray(y_train), np.asarray(labels)
    if kind == "shuffled":
        return even_cover(len(y_train), len(labels), rng)
    if kind == "copies":
        rows = np.empty(len(labels), dtype=np.int64)
        for c in np.unique(labels):
            members = np.flatnonzero(y_train == c)
            if len(members) == 0:
                raise ValueError(f"a copies control bank needs class {int(c)}, the training split holds none")
            wanted = np.flatnonzero(labels == c)
            rows[wanted] = members[even_cover(len(members), len(wanted), rng)]
        return rows
    raise ValueError(f"control bank must be one of {CONTROL_BANKS}, not {kind!r}")
