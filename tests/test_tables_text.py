"""Text preparation (``_text``): breaks inside CJK labels are joined, nothing else."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from gdtools.tables._text import _CJK, _CJK_GAP, tokenize

# the plain definition: a run of whitespace with a CJK character on each side
PLAIN_GAP = re.compile(rf"(?<=[{_CJK}])[ \t\r\n\u00a0]+(?=[{_CJK}])")


@given(st.text(st.sampled_from(["不", "予", "（", "，", " ", "\n", "\t", "\r", "\u00a0", "a", "1", "|"]), max_size=16))
def test_cjk_gaps_are_the_whitespace_runs_between_cjk_characters(text):
    assert _CJK_GAP.sub("", text) == PLAIN_GAP.sub("", text)


def test_cjk_gap_examples():
    assert _CJK_GAP.sub("", "不予\n公开 1 2") == "不予公开 1 2"
    assert _CJK_GAP.sub("", "总计 \n\n 合计") == "总计合计"
    assert _CJK_GAP.sub("", "公开 12 件") == "公开 12 件"


def test_one_value_per_line_keeps_gaps_and_tail():
    rt = tokenize("\n1\n\n2\n\n\n", False)
    assert rt.mode == "lines" and rt.tail == 2
    assert [(t.text, t.line, t.empties, t.glued) for t in rt.tokens] == [("1", 1, 0, False), ("2", 3, 1, False)]
    assert tokenize("\n1\n\n2", False).tail is None  # nothing printed after the last value
    glued = tokenize("7\n\n8\n", False)
    assert [(t.text, t.glued) for t in glued.tokens] == [("7", True), ("8", False)] and glued.tail == 0
    assert tokenize("5\n1 2\n\n3", False).mode == "inline"  # two values on one line: not one per line
