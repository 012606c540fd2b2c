"""Output files: atomic replacement, append-only parts, dtypes that keep blank distinct from zero."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdtools.errors import GdtoolsError
from gdtools.outputs import (
    PartWriter,
    _arrow_csv_rows,
    arrow_csv_rows,
    atomic_path,
    columns_table,
    frame_table,
    normalize_frame,
    read_frame,
    to_csv_bytes,
    write_frame,
)


def test_atomic_path_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "reports.csv"
    target.write_text("old\n", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("disk full")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["reports.csv"]


def test_normalize_frame_orders_columns_and_keeps_na():
    frame = pd.DataFrame({"value": ["3", None, "0"], "year": [2021.0, None, 2020.0], "themes": [["公开", "培训"], [], None],
                          "extra": [1, 2, 3]})
    out = normalize_frame(frame, ["year", "value", "themes", "missing"])
    assert list(out.columns) == ["year", "value", "themes", "missing"]
    assert str(out["year"].dtype) == "Int64" and out["year"].isna().tolist() == [False, True, False]
    assert out["value"].dtype == "float64" and out["value"].isna().tolist() == [False, True, False]
    assert out["value"].iloc[2] == 0.0
    assert out["themes"].tolist()[:2] == ['["公开", "培训"]', "[]"] and pd.isna(out["themes"].iloc[2])
    assert out["missing"].isna().all()


def test_text_columns_get_one_dtype_whatever_they_came_in_as():
    frame = pd.DataFrame({"a": pd.Series(["x", None], dtype="str"), "b": pd.Series(["x", None], dtype=object),
                          "c": pd.Series(["x", None], dtype="string"), "d": pd.Series([7, None], dtype=object)})
    out = normalize_frame(frame)
    assert len({out[c].dtype for c in "abcd"}) == 1
    assert [out[c].iloc[0] for c in "abcd"] == ["x", "x", "x", "7"]
    assert out.iloc[1].isna().all()


def test_integer_column_holding_fractions_stays_float():
    out = normalize_frame(pd.DataFrame({"count": [1.5, 2.0]}))
    assert out["count"].dtype == "float64" and out["count"].tolist() == [1.5, 2.0]


@pytest.mark.parametrize("fmt", ["csv", "parquet", "json", "xlsx"])
def test_write_and_read_back_with_dtypes(tmp_path, fmt):
    frame = pd.DataFrame({"report_id": ["a", "b"], "year": [2021, None], "value": [0.0, None], "row_label": ["合计", ""]})
    path = write_frame(frame, tmp_path / f"t.{fmt}")
    back = read_frame(path)
    assert str(back["year"].dtype) == "Int64" and back["year"].tolist()[0] == 2021 and pd.isna(back["year"].iloc[1])
    assert back["value"].dtype == "float64" and back["value"].iloc[0] == 0.0 and pd.isna(back["value"].iloc[1])
    assert back["report_id"].tolist() == ["a", "b"]


def test_unknown_format_is_refused(tmp_path):
    with pytest.raises(GdtoolsError, match="format"):
        write_frame(pd.DataFrame({"a": [1]}), tmp_path / "t.xls")


def test_part_writer_appends_and_resumes_at_an_offset(tmp_path):
    part = tmp_path / ".tables.csv.part"
    writer = PartWriter(part, ["report_id", "value"])
    writer.append(normalize_frame(pd.DataFrame({"report_id": ["a"], "value": [1.0]}), ["report_id", "value"]))
    good = writer.offset()
    writer.append(normalize_frame(pd.DataFrame({"report_id": ["b"], "value": [2.0]}), ["report_id", "value"]))
    writer.close()
    # a crash after "b" was written but before the journal recorded it: resume cuts "b" off
    resumed = PartWriter(part, ["report_id", "value"], resume_at=good)
    resumed.append(normalize_frame(pd.DataFrame({"report_id": ["c"], "value": [None]}), ["report_id", "value"]))
    resumed.close()
    back = read_frame(part, fmt="csv")
    assert back["report_id"].tolist() == ["a", "c"]
    assert back["value"].iloc[0] == 1.0 and pd.isna(back["value"].iloc[1])


_TEXT = st.none() | st.text(alphabet=st.sampled_from(list('ab ,"\n\r\t;|公开年报（）。😀\\\'')), max_size=12)
_FLOAT = st.none() | st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([0.0, -0.0, 17.0, 0.1, 1e16, 1e-5])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_TEXT, _TEXT, _FLOAT, st.none() | st.integers(-10**12, 10**12)), min_size=1, max_size=30))
def test_part_rows_are_the_bytes_pandas_writes(rows):
    frame = normalize_frame(pd.DataFrame(rows, columns=["text", "raw", "value", "year"]).assign(error=None))
    expected = frame.to_csv(index=False, header=False, lineterminator="\n").encode("utf-8")
    assert _arrow_csv_rows(frame) is not None  # these dtypes take the fast path
    assert to_csv_bytes(frame, header=False) == expected
    assert to_csv_bytes(pd.concat([frame, frame], ignore_index=True), header=False) == expected * 2
    tail = frame.iloc[len(frame) // 2:]
    assert to_csv_bytes(tail, header=False) == tail.to_csv(index=False, header=False, lineterminator="\n").encode()


@pytest.mark.parametrize("values", [[1, 2, 3], [1.0, None, -0.0, 3.0], [None, None], [1.5, None], [2**53, -5], []])
def test_numeric_columns_normalize_as_their_values_given_as_objects(values):
    # the fast paths for numpy int and float columns give what parsing the same values gives
    frame = pd.DataFrame({"year": pd.Series(values, dtype="float64" if None in values else None),
                          "value": pd.Series(values, dtype="float64")})
    expected = normalize_frame(frame.astype(object))
    got = normalize_frame(frame)
    pd.testing.assert_frame_equal(got, expected)
    assert str(got["year"].dtype) == ("float64" if 1.5 in values else "Int64")


_PLAIN_TEXT = [_TEXT, st.just(float("nan")), st.booleans(), st.lists(st.integers(0, 3), max_size=2),
               st.integers(-5, 5), st.floats(allow_nan=False, allow_infinity=False)]
_PLAIN_FLOAT = [_FLOAT, st.integers(-10**6, 10**6), st.booleans(), st.just("1.5")]
_PLAIN_INT = [st.none(), st.integers(-10**12, 10**12), st.sampled_from([2020.0, float("nan"), -0.0]), st.just(1.5),
              st.just("2021")]


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_columns_table_holds_what_normalize_frame_writes(data):
    """Plain-value columns straight into Arrow give the CSV bytes of their normalized frame, or None
    (then the frame is normalized and converted, which gives those bytes too)."""
    n = data.draw(st.integers(1, 8))
    plain = data.draw(st.booleans())  # text, numbers and None only, or any plain Python value
    columns = {}
    for name, usual, others in [("text", _TEXT, _PLAIN_TEXT), ("value", _FLOAT, _PLAIN_FLOAT),
                                ("year", st.none() | st.integers(0, 3000), _PLAIN_INT)]:
        kinds = [usual] if plain else data.draw(st.lists(st.sampled_from(others), min_size=1, max_size=2))
        columns[name] = data.draw(st.lists(st.one_of(*kinds), min_size=n, max_size=n))
    names = ["text", "value", "year", "raw"]  # "raw" is not given: all NA
    frame = normalize_frame(pd.DataFrame(columns), names)
    expected = frame.to_csv(index=False, header=False, lineterminator="\n").encode("utf-8")
    table = columns_table(columns, names)
    if plain:
        assert table is not None  # these take the direct path
    if table is not None:
        assert table.column_names == names
        assert arrow_csv_rows(table.columns) == expected
    assert arrow_csv_rows(frame_table(frame).columns) == expected


@pytest.mark.parametrize("name, values", [
    ("text", [1, None]), ("text", [1, 2.5]), ("text", [1.5, None]), ("text", [True, None]), ("text", [True, "a"]),
    ("text", [[1, 2], None]), ("text", [float("nan"), "a"]), ("text", [{"k": 1}, "a"]), ("value", [True, 1.0]),
    ("value", ["1.5", None]), ("value", [1, None]), ("year", [2020.0, None]), ("year", [1.5, 2020]),
    ("year", ["2021", None]), ("year", [True, None]), ("year", [float("nan"), 3]),
])
def test_columns_table_on_values_pandas_infers_differently(name, values):
    columns = {"text": ["a", "b"], "value": [1.0, None], "year": [2020, None], name: values}
    frame = normalize_frame(pd.DataFrame(columns), list(columns))
    expected = frame.to_csv(index=False, header=False, lineterminator="\n").encode("utf-8")
    table = columns_table(columns, list(columns))
    assert arrow_csv_rows((table or frame_table(frame)).columns) == expected
