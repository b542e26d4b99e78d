# Stage 3: classifier runs over the experiment grid, aggregated tables and figures.


def experiment_targets():
    return []
