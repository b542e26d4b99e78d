"""The rhythm classifier: the paper's 1D residual CNN, its training loop and its metrics."""
