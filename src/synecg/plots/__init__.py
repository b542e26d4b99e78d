"""Every figure of the study, one function each; one module per figure family."""
