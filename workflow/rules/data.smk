# Stage 1: raw WFDB records -> prepared arrays (results/data/{dataset}/), see synecg.data.store.


def data_targets():
    return []
