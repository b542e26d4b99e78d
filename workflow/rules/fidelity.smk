# Stage 4: fidelity and privacy of each bank against the real training split.


def fidelity_targets():
    return []
