"""synecg: synthetic 12-lead ECG for data augmentation and transfer learning in rhythm classification.

The library behind the Snakemake workflow. Stages, in the order data flows:
``data`` (readers, demo simulator, splits, array store) -> ``generators`` (models, sample banks)
-> ``classify`` (classifier, training, metrics) and ``fidelity`` -> ``experiments`` (settings,
aggregation) -> ``plots``.
"""

from synecg.constants import CLASSES, LEADS, N_CLASSES, N_LEADS

__all__ = ["CLASSES", "LEADS", "N_CLASSES", "N_LEADS"]
__version__ = "0.1.0"
