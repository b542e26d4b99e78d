"""Generators (one module per model) and the synthetic sample-bank contract (``bank``)."""
