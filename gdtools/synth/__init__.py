"""Synthetic sample corpus: fictional reports in every format, with their ground truth.

``generate_corpus(out, n=100, seed=0, formats=("txt", "html", "docx", "pdf"))`` writes
``reports/``, ``expected/``, ``narrative/``, ``MANIFEST.csv`` and ``README.md`` under
``out`` in the layout of ``../shared/realdata``, so ``python -m gdtools.eval tables DIR``
and the notebooks run on it exactly as on real data.
"""

from .corpus import FORMATS, generate_corpus

__all__ = ["FORMATS", "generate_corpus"]
