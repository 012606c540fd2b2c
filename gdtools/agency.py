"""Agency names: normalisation so one agency's reports group across years and sources."""

from __future__ import annotations

import re
import unicodedata

# Bracketed qualifiers real reports and catalogues add: （管委会）, （江苏省）, （市科委）…
_BRACKETS = re.compile(r"[（(【\[][^）)】\]]{0,20}[）)】\]]")
# Common short forms used interchangeably in titles and bodies of the same agency's reports.
_SHORT_FORMS = (
    ("科学技术", "科技"),
    ("人力资源和社会保障", "人社"),
    ("人力资源社会保障", "人社"),
    ("中华人民共和国", ""),
)


def normalize_agency(name: str | None) -> str:
    """A key under which one agency's reports group: NFKC, no spaces, no bracketed qualifiers, short forms.

    >>> normalize_agency("平潭综合实验区（管委会）") == normalize_agency("平潭综合实验区")
    True
    >>> normalize_agency("河北省科学技术厅") == normalize_agency("河北省科技厅")
    True
    """
    if not name:
        return ""
    text = unicodedata.normalize("NFKC", str(name))
    text = re.sub(r"\s+", "", text)
    text = _BRACKETS.sub("", unicodedata.normalize("NFKC", text).replace("(", "（").replace(")", "）"))
    text = _BRACKETS.sub("", text)
    for long, short in _SHORT_FORMS:
        text = text.replace(long, short)
    return text
