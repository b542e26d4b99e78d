# Stage 2c: banks common to all generators (merged-dataset concatenation, sample figures).


def bank_targets():
    return []
