"""Agency names: normalisation so one agency's reports group across years and sources."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache

# Bracketed qualifiers real reports and catalogues add: （管委会）, （江苏省）, （市科委）…
_BRACKETS = re.compile(r"[（(【\[][^）)】\]]{0,20}[）)】\]]")
# Common short forms used interchangeably in titles and bodies of the same agency's reports.
_SHORT_FORMS = (
    ("科学技术", "科技"),
    ("人力资源和社会保障", "人社"),
    ("人力资源社会保障", "人社"),
    ("中华人民共和国", ""),
    ("科技委员会", "科委"),
)
# Province-level names: a body that says only "省人社厅" gets the province it names most.
PROVINCES = (
    "北京市", "天津市", "河北省", "山西省", "内蒙古自治区", "辽宁省", "吉林省", "黑龙江省", "上海市",
    "江苏省", "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省",
    "广西壮族自治区", "海南省", "重庆市", "四川省", "贵州省", "云南省", "西藏自治区", "陕西省", "甘肃省",
    "青海省", "宁夏回族自治区", "新疆维吾尔自治区",
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
    return _normalized(str(name))


@lru_cache(maxsize=1 << 16)
def _normalized(name: str) -> str:
    """:func:`normalize_agency` of a non-empty name, remembered: the corpus steps key every report's
    agency several times (grouping, cross-year rules, refinement, repeats), ~30 µs each otherwise."""
    text = unicodedata.normalize("NFKC", name)
    text = re.sub(r"\s+", "", text)
    text = _BRACKETS.sub("", unicodedata.normalize("NFKC", text).replace("(", "（").replace(")", "）"))
    text = _BRACKETS.sub("", text)
    for long, short in _SHORT_FORMS:
        text = text.replace(long, short)
    return text


_COUNTY_HEAD = re.compile(r"^[\u4e00-\u9fff]{1,4}[区县旗]")


# Characters that end the words before a place name ("由淮安市…", "在淮安市…").
_FUNCTION_CHARS = set("由在对的是和与及据向为经将把被从于请至、，。：")


def _city_before(text: str, end: int) -> str:
    """The city name ending at ``end`` (2-3 characters plus 市/州/盟)."""
    start = end - 3
    if start > 0 and "\u4e00" <= text[start - 1] <= "\u9fff" and text[start - 1] not in _FUNCTION_CHARS:
        start -= 1
    return text[start:end]


def complete_agency(name: str, text: str) -> str:
    """Complete a short name from the body: ``省人社厅`` gets the province ``text`` names most,
    ``洪泽区人民政府`` the city the body prints before it (``淮安市洪泽区…``).

    >>> complete_agency("省教育厅", "河北省人民政府办公厅…河北省…")
    '河北省教育厅'
    >>> complete_agency("甲乙区人民政府", "本报告由丙丁市甲乙区人民政府办公室编制")
    '丙丁市甲乙区人民政府'
    """
    county = _COUNTY_HEAD.match(name)
    if county:
        cities = Counter(_city_before(text, m.start()) for m in re.finditer(
            r"(?<=[\u4e00-\u9fff]{2}[市州盟])" + re.escape(county.group(0)), text))
        return cities.most_common(1)[0][0] + name if cities else name
    if not name.startswith("省"):
        return name
    counts = {p: text.count(p) for p in PROVINCES if p.endswith("省")}
    best = max(counts, key=lambda p: (counts[p], p))
    return best + name[1:] if counts[best] else name
