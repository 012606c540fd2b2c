"""Accuracy measurements against hand-checked data (``python -m gdtools.eval``)."""
