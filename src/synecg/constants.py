"""Names shared by every stage: the seven rhythm classes and the canonical lead order."""

# Class index = position in this tuple (the paper's order: SBRAD=0 ... SVTAC=6).
CLASSES: tuple[str, ...] = ("SBRAD", "SR", "AFIB", "STACH", "AFLT", "SARRH", "SVTAC")
N_CLASSES = len(CLASSES)
CLASS_INDEX: dict[str, int] = {name: i for i, name in enumerate(CLASSES)}

# Canonical (PhysioNet / PTB-XL) lead order. Every array on disk uses it.
LEADS: tuple[str, ...] = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
N_LEADS = len(LEADS)
LEAD_INDEX: dict[str, int] = {name: i for i, name in enumerate(LEADS)}

SPLITS: tuple[str, ...] = ("train", "val", "test")
DATASETS: tuple[str, ...] = ("ptbxl", "chapman", "merged")
