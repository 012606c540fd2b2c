"""A CJK font for matplotlib, so Chinese labels never render as missing-glyph boxes.

Matplotlib ships no font with Chinese glyphs. :func:`use_cjk_font` prefers a CJK font
already known to matplotlib (a system install), and otherwise registers the Noto Sans
CJK SC / Source Han file that the ``mplfonts`` package ships as package data. It adds
the one file with ``fontManager.addfont`` — no font-cache rebuild, which takes tens of
seconds on a fresh machine — and does not use ``mplfonts.use_font`` (that left many
missing-glyph warnings because it only set ``font.family``).
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

from .errors import MissingDependency

log = logging.getLogger("gdtools")

# Families with simplified-Chinese glyphs, best first. Only SC/CN variants: a JP/KR
# face of the same family draws some Chinese characters with other glyph shapes.
SYSTEM_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
    "SimHei",
)
# Files shipped by mplfonts, best first (sans faces read better in small chart labels).
BUNDLED_FILES = (
    "NotoSansCJKsc-Regular.otf",
    "SourceHanSansSC-Regular.otf",
    "SimHei.ttf",
    "NotoSerifCJKsc-Regular.otf",
    "SourceHanSerifSC-Regular.otf",
)


def bundled_font_file() -> Path | None:
    """The path of a CJK font file shipped by ``mplfonts``, or None when the package is absent.

    Located with ``find_spec`` so the package itself is not imported (its import pulls in
    its own font helpers; only the data files are needed).
    """
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        for name in BUNDLED_FILES:
            candidate = Path(location) / "fonts" / name
            if candidate.is_file():
                return candidate
    return None


def _system_family(font_manager) -> str | None:
    known = {entry.name for entry in font_manager.fontManager.ttflist}
    return next((family for family in SYSTEM_FAMILIES if family in known), None)


def use_cjk_font(*, prefer_system: bool = True) -> str:
    """Make matplotlib draw Chinese text; return the font family now first in ``font.sans-serif``.

    Sets ``font.family`` to sans-serif with the CJK family in front (DejaVu stays behind
    it for Latin and symbols) and ``axes.unicode_minus = False`` (CJK fonts lack U+2212).
    Calling it again is cheap: the font file is registered once per process.
    """
    import matplotlib
    from matplotlib import font_manager

    family = _system_family(font_manager) if prefer_system else None
    if family is None:
        path = bundled_font_file()
        if path is None:
            raise MissingDependency(
                "no CJK font found for Chinese plot labels: install the 'mplfonts' package "
                "(pip install mplfonts) or a system font such as fonts-noto-cjk"
            )
        family = font_manager.FontProperties(fname=str(path)).get_name()
        if family not in {entry.name for entry in font_manager.fontManager.ttflist}:
            font_manager.fontManager.addfont(str(path))
            log.debug("registered CJK font %s from %s", family, path)
    rc = matplotlib.rcParams
    rc["font.family"] = ["sans-serif"]
    rc["font.sans-serif"] = [family, *[name for name in rc["font.sans-serif"] if name != family]]
    rc["axes.unicode_minus"] = False
    return family
