"""gdtools — read 政府信息公开工作年度报告 as data.

The public API is flat and fixed: everything a notebook needs is importable from
``gdtools``. Heavy modules load on first use so ``import gdtools`` stays fast.
"""

from __future__ import annotations

import importlib
import logging

from .errors import GdtoolsError
from .model import Report

__version__ = "0.1.0"

logging.getLogger("gdtools").addHandler(logging.NullHandler())

# public name -> module that defines it
_API = {
    "load_report": "gdtools.io",
    "iter_report_paths": "gdtools.io",
    "split_sections": "gdtools.sections",
    "detect_template": "gdtools.template",
    "extract_tables": "gdtools.tables",
    "wide_table": "gdtools.tables",
    "refine_tables": "gdtools.tables",
    "validate": "gdtools.validate",
    "summarize_findings": "gdtools.validate",
    "Segmenter": "gdtools.segment",
    "statements": "gdtools.statements",
    "repeats": "gdtools.narrative",
    "keywords": "gdtools.narrative",
    "process": "gdtools.corpus",
    "load_outputs": "gdtools.corpus",
    "run_notebook": "gdtools.notebooks",
    "run_notebooks": "gdtools.notebooks",
    "generate_corpus": "gdtools.synth",
    "use_cjk_font": "gdtools.fonts",
}

__all__ = ["GdtoolsError", "Report", "__version__", *_API]


def __getattr__(name: str):
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'gdtools' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(__all__)
