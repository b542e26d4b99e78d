"""Data layer: readers (PTB-XL, Chapman), the demo simulator, labels, splits and the array store."""
