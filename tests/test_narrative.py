from __future__ import annotations

import difflib
import importlib.util

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from gdtools.model import STATEMENT_COLUMNS
from gdtools.narrative import (
    BOILERPLATE_COLUMNS,
    COPY_COLUMNS,
    KEYWORD_COLUMNS,
    PROMISE_COLUMNS,
    REPEAT_COLUMNS,
    NarrativeError,
    boilerplate,
    comparable,
    copy_rates,
    keywords,
    promises,
    repeats,
    textrank,
    theme_list,
)

# Synthetic statements written for these tests.
A = "政策解读形式不够丰富，解读材料通俗性有待提高。"
B = "下一步，我局将加强政策解读，运用图解和视频等方式提升解读效果。"
C = "网站栏目更新不够及时，个别栏目长期空白。"
D = "下一步，我局将建立栏目巡查制度，每月检查一次更新情况。"
E = "工作人员多为兼职，业务培训不足。"


def st(report_id, rows, section="五"):
    return [{"report_id": report_id, "source": f"{report_id}.txt", "section": section, "idx": i, "kind": kind,
             "text": text, "themes": themes, "cue": "", "specificity": 0.0, "start": 0, "end": len(text)}
            for i, (kind, text, themes) in enumerate(rows)]


@pytest.fixture
def corpus():
    rows = (st("a19", [("problem", A, ["interpretation"]), ("measure", B, ["interpretation"])])
            + st("a20", [("problem", A.replace("有待提高", "仍需提高"), ["interpretation"]),
                         ("problem", C, ["platform", "timeliness"]), ("measure", B, ["interpretation"])])
            + st("a21", [("problem", E, ["staffing", "training_skills"]), ("measure", D, ["platform"])])
            + st("b20", [("problem", C, ["platform", "timeliness"]), ("measure", D, ["platform"])]))
    statements = pd.DataFrame(rows, columns=STATEMENT_COLUMNS)
    reports = pd.DataFrame({"report_id": ["a19", "a20", "a21", "b20"],
                            "agency": ["河北省科学技术厅", "河北省科技厅", "河北省科学技术厅", "某县某局"],
                            "year": [2019, 2020, 2021, 2020]})
    return statements, reports


# texts over a small alphabet: many repeated characters, so many equally long matches to choose from
_ALIGNABLE = hs.text(alphabet="政务公开信息申请答复年", max_size=60)


@pytest.mark.skipif(importlib.util.find_spec("cydifflib") is None, reason="the `fast` extra is not installed")
@settings(max_examples=300, deadline=None)
@given(_ALIGNABLE, _ALIGNABLE)
def test_the_compiled_matcher_aligns_as_difflib(a, b):
    """repeats aligns with cydifflib when the `fast` extra is installed: the same blocks as difflib's."""
    import cydifflib

    from gdtools import narrative

    assert narrative.SequenceMatcher is cydifflib.SequenceMatcher
    expected = difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
    assert [tuple(m) for m in narrative.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()] \
        == [tuple(m) for m in expected]
    assert narrative._aligned(a, b) == sum(m.size for m in expected)


def test_comparable_drops_years_numbers_and_self_reference():
    assert comparable("2021年，我厅将完成3项工作。") == comparable("2022年，我局将完成5项工作。")


def test_repeats_between_consecutive_years_of_one_agency(corpus):
    statements, reports = corpus
    found = repeats(statements, reports)
    assert list(found.columns) == REPEAT_COLUMNS
    pairs = set(zip(found.report_id, found.idx, found.previous_report_id, found.previous_idx))
    # a20 repeats a19's problem (reworded) and measure (verbatim); agency names differ in form only
    assert pairs == {("a20", 0, "a19", "0"), ("a20", 2, "a19", "1")}
    verbatim = found[found.idx == 2].iloc[0]
    assert verbatim.match == "verbatim" and verbatim.similarity == 1.0
    assert found[found.idx == 0].iloc[0].match in ("near_verbatim", "partial")
    # nothing between a21 and a20 (different text) nor across agencies (b20 shares C with a20)
    assert "a21" not in set(found.report_id) and "b20" not in set(found.report_id)


def test_repeats_find_a_statement_split_differently_the_year_before():
    before = st("x1", [("problem", "网站栏目更新不够及时；", []), ("problem", "个别栏目长期空白，无人维护。", [])])
    after = st("x2", [("problem", "网站栏目更新不够及时，个别栏目长期空白，无人维护。", [])])
    statements = pd.DataFrame(before + after, columns=STATEMENT_COLUMNS)
    reports = pd.DataFrame({"report_id": ["x1", "x2"], "agency": ["某局", "某局"], "year": [2020, 2021]})
    found = repeats(statements, reports)
    assert found.previous_idx.tolist() == ["0;1"]


def test_copy_rates(corpus):
    statements, reports = corpus
    rates = copy_rates(statements, reports)
    assert list(rates.columns) == COPY_COLUMNS
    a20 = rates.set_index("report_id").loc["a20"]
    assert a20.statements == 3 and a20.repeated == 2
    assert a20.copy_rate == pytest.approx(2 / 3, abs=1e-3)
    assert 0 < a20.char_copy_rate < 1
    assert rates.set_index("report_id").loc["a21"].repeated == 0
    assert "a19" not in set(rates.report_id)  # no 2018 report: no rate, not zero


def test_boilerplate_across_agencies(corpus):
    statements, reports = corpus
    clusters = boilerplate(statements, reports)
    assert list(clusters.columns) == BOILERPLATE_COLUMNS
    shared = clusters.groupby("cluster").report_id.apply(set).tolist()
    assert {"a20", "b20"} in shared  # C written by two agencies
    assert {"a21", "b20"} in shared  # D too
    assert all(clusters.agencies >= 2)


def test_promises_measure_then_same_theme_problem(corpus):
    statements, reports = corpus
    found = promises(statements, reports)
    assert list(found.columns) == PROMISE_COLUMNS
    keyed = set(zip(found.report_id, found.idx, found.next_report_id, found.next_idx, found.shared_themes))
    assert ("a19", 1, "a20", 0, "interpretation") in keyed
    assert not any(r[0] == "a20" and r[2] == "a21" and "platform" in r[4] for r in keyed)  # a21 states no platform problem


def test_themes_stored_as_csv_strings_work(corpus):
    statements, reports = corpus
    as_csv = statements.assign(themes=statements.themes.map(";".join))
    assert len(promises(as_csv, reports)) == len(promises(statements, reports))


def test_missing_columns_raise_clear_error(corpus):
    statements, reports = corpus
    with pytest.raises(NarrativeError, match="agency"):
        repeats(statements, reports.drop(columns="agency"))


def test_tfidf_keywords_per_report_and_per_year(corpus):
    statements, reports = corpus
    kw = keywords(statements, by="report_id", top=3)
    assert list(kw.columns) == KEYWORD_COLUMNS
    assert kw.groupby("group").size().max() <= 3
    top_b20 = kw[kw.group == "b20"].keyword.tolist()
    assert "政策解读" not in top_b20
    a21 = kw[kw.group == "a21"].keyword.tolist()
    assert "兼职" in a21 or "巡查" in a21 or "栏目" in a21
    by_year = keywords(statements, by="year", reports=reports, top=5)
    assert set(by_year.group) == {2019, 2020, 2021}
    with pytest.raises(NarrativeError):
        keywords(statements, by="agency")


def test_idf_downweights_words_in_every_document():
    texts = {"x": "政务公开 政策解读 政策解读", "y": "政务公开 依申请公开 依申请公开"}
    kw = keywords(texts, top=2)
    first = kw[kw["rank"] == 1].set_index("group").keyword.to_dict()
    assert first == {"x": "政策解读", "y": "依申请公开"}


def test_textrank_ranks_central_word_first():
    words = ["公开", "解读", "公开", "网站", "公开", "培训", "公开", "制度"]
    scores = textrank(words)
    assert max(scores, key=scores.get) == "公开"
    kw = keywords(["加强政策解读，丰富政策解读形式，提高政策解读质量。"], method="textrank", top=1)
    assert kw.keyword.tolist() == ["政策解读"]
    with pytest.raises(NarrativeError):
        keywords(["x"], method="lda")


def test_theme_list_formats():
    assert theme_list(["b", "a", "a"]) == ["a", "b"]
    assert theme_list('["人员", "培训"]') == ["人员", "培训"]
    assert theme_list("培训；人员") == ["人员", "培训"]
    assert theme_list(None) == [] and theme_list(float("nan")) == []


def test_runs_of_statements_tell_the_bigrams_of_their_joined_text():
    from gdtools.narrative import _gramset, _prepare, _runs

    texts = [A, "", "甲", B, "乙丙", C, D]
    records = [{"section": "五" if k < 6 else "六", "text": t} for k, t in enumerate(texts)]
    prepared = _prepare(records)
    runs = _runs(prepared, 3)
    assert [(i, j) for i, j, _, _ in runs] == [(0, 1), (0, 2), (1, 2), (1, 3), (2, 3), (2, 4), (3, 4), (3, 5), (4, 5)]
    for i, j, joined, across in runs:
        assert joined == "".join(prepared[1][i:j + 1])
        # what repeats compares: the statements' bigrams and those across the joins are the joined text's
        assert frozenset().union(*prepared[2][i:j + 1], across) == _gramset(joined)
