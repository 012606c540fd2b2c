"""Text preparation (``_text``): breaks inside CJK labels are joined, nothing else."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from gdtools.tables._text import _CJK, _CJK_GAP

# the plain definition: a run of whitespace with a CJK character on each side
PLAIN_GAP = re.compile(rf"(?<=[{_CJK}])[ \t\r\n\u00a0]+(?=[{_CJK}])")


@given(st.text(st.sampled_from(["不", "予", "（", "，", " ", "\n", "\t", "\r", "\u00a0", "a", "1", "|"]), max_size=16))
def test_cjk_gaps_are_the_whitespace_runs_between_cjk_characters(text):
    assert _CJK_GAP.sub("", text) == PLAIN_GAP.sub("", text)


def test_cjk_gap_examples():
    assert _CJK_GAP.sub("", "不予\n公开 1 2") == "不予公开 1 2"
    assert _CJK_GAP.sub("", "总计 \n\n 合计") == "总计合计"
    assert _CJK_GAP.sub("", "公开 12 件") == "公开 12 件"
