"""The batch's summary.csv frame (corpus._summary) is validate.summarize_findings' frame."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdtools.corpus import _summary
from gdtools.validate import summarize_findings

_IDS = st.none() | st.sampled_from(["r1", "r2", "r3", "r4"])
_SEVERITIES = st.none() | st.sampled_from(["error", "warning", "not_assessable", "ok", "info"])
_STATUSES = st.none() | st.sampled_from(["uncertain", "ok", "blank"])


def _text(values) -> pd.Series:
    return pd.Series(values, dtype="string")  # how the batch reads text columns back


def _frames(reports, findings, cells):
    reports = pd.DataFrame({
        "report_id": _text([r[0] for r in reports]), "source": _text([f"in/{r[0]}.txt" for r in reports]),
        "agency": _text([r[1] for r in reports]), "year": pd.array([r[2] for r in reports], dtype="Int64"),
        "template": _text(["2021" for _ in reports]), "status": _text([r[3] for r in reports])})
    findings = pd.DataFrame({"report_id": _text([f[0] for f in findings]),
                             "source": _text([f"in/{f[0]}.txt" for f in findings]),
                             "severity": _text([f[1] for f in findings])}, columns=["report_id", "source", "severity"])
    cells = pd.DataFrame({"report_id": _text([c[0] for c in cells]), "source": _text([f"in/{c[0]}.txt" for c in cells]),
                          "status": _text([c[1] for c in cells])}, columns=["report_id", "source", "status"])
    return reports, findings, cells


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_IDS, st.none() | st.just("示例局"), st.none() | st.integers(2019, 2023),
                          st.none() | st.sampled_from(["ok", "error", ""])), max_size=5),
       st.lists(st.tuples(_IDS, _SEVERITIES), max_size=12), st.lists(st.tuples(_IDS, _STATUSES), max_size=8))
def test_summary_is_summarize_findings(reports, findings, cells):
    reports, findings, cells = _frames(reports, findings, cells)
    expected = summarize_findings(findings, tables=cells, reports=reports)
    pd.testing.assert_frame_equal(_summary(findings, cells, reports), expected)
    # the batch streams the findings file block by block: chunks of any size give the same frame
    for size in (1, 3):
        chunks = (findings.iloc[i:i + size] for i in range(0, len(findings), size))
        pd.testing.assert_frame_equal(_summary(chunks, cells, reports), expected)


@pytest.mark.parametrize("light, severities, cells, status", [
    ("red", ["error", "ok"], [], "ok"), ("amber", ["warning"], [], "ok"), ("amber", ["ok"], ["uncertain"], "ok"),
    ("green", ["ok", "ok"], [], "ok"), ("grey", [], [], "ok"), ("grey", ["error"], [], "error"),
])
def test_summary_lights(light, severities, cells, status):
    reports, findings, cells = _frames([("r1", "示例局", 2021, status)], [("r1", s) for s in severities],
                                       [("r1", c) for c in cells])
    row = _summary(findings, cells, reports).iloc[0]
    assert row["light"] == light
    assert row["errors"] == severities.count("error") and row["ok"] == severities.count("ok")
