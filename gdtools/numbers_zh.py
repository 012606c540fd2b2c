"""Numbers as Chinese reports write them: ``23``, ``２３``, ``1,234``, ``二十三``, ``一百零五``, ``两千``.

Used where figures are quoted in prose (``共收到申请二十三件``). Only whole numbers are
parsed; anything that is not unambiguously one number gives ``None`` so callers can skip
the figure instead of guessing.
"""

from __future__ import annotations

import re
import unicodedata

_DIGITS = {"零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
           "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_BIG_UNITS = {"万": 10_000, "亿": 100_000_000}

#: A regular-expression fragment matching one number as written in prose (Arabic or Chinese).
NUMBER_PATTERN = r"(?:[0-9０-９][0-9０-９,，]*[0-9０-９]|[0-9０-９]|[零〇○一二两三四五六七八九十百千万亿]+)"

_ARABIC = re.compile(r"[0-9]+(?:,[0-9]{3})*")


def _small_chinese(text: str) -> int | None:
    """Value of a Chinese numeral below 10,000 (``二十三``, ``一百零五``, ``十五``)."""
    if not text:
        return None
    total, digit, last_unit = 0, None, 10_000
    for ch in text:
        if ch in _DIGITS:
            if digit is not None and _DIGITS[ch] != 0 and digit != 0:
                # two digits in a row without a unit (``二三``) is a range or a typo, not a number
                return None
            digit = _DIGITS[ch]
        elif ch in _UNITS:
            unit = _UNITS[ch]
            if unit >= last_unit or (digit is None and not (unit == 10 and total == 0)):
                # only a leading 十 may stand without its digit (十五 = 15; 百十 is not a number)
                return None
            total += (1 if digit is None else digit) * unit
            digit, last_unit = None, unit
        else:
            return None
    return total + (digit or 0)


def parse_zh_number(text: str | None) -> int | None:
    """The whole number ``text`` spells, or None when it is not exactly one number.

    >>> parse_zh_number("二十三"), parse_zh_number("１２"), parse_zh_number("1,234"), parse_zh_number("两千零五")
    (23, 12, 1234, 2005)
    >>> parse_zh_number("三万五千"), parse_zh_number("十"), parse_zh_number("abc")
    (35000, 10, None)
    """
    if text is None:
        return None
    s = unicodedata.normalize("NFKC", str(text)).strip().replace("，", ",")
    if not s:
        return None
    if s[0].isdigit():
        if not _ARABIC.fullmatch(s):
            return None
        return int(s.replace(",", ""))
    if not re.fullmatch(r"[零〇○一二两三四五六七八九十百千万亿]+", s):
        return None
    total, rest = 0, s
    for big, factor in sorted(_BIG_UNITS.items(), key=lambda kv: -kv[1]):
        if big in rest:
            head, _, rest = rest.partition(big)
            if big in rest:
                return None
            value = _small_chinese(head) if head else None
            if value is None:
                return None
            total += value * factor
    if rest:
        value = _small_chinese(rest.lstrip("零〇○") or "零")
        if value is None:
            return None
        total += value
    return total
