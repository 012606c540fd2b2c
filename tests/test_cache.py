"""The Parquet cache: keys, fingerprints, chunk visibility, source rewriting."""

from __future__ import annotations

import hashlib

import pyarrow as pa

from gdtools.cache import KEY_COLUMN, Cache, cache_key, code_fingerprint, file_digest


def _tables(report_id: str, source: str, n_cells: int, key: str) -> dict[str, pa.Table]:
    return {
        "reports": pa.table({"report_id": [report_id], "source": [source], "year": pa.array([2021], pa.int64()),
                             "status": ["ok"], KEY_COLUMN: [key]}),
        "tables": pa.table({"report_id": [report_id] * n_cells, "source": [source] * n_cells,
                            KEY_COLUMN: [key] * n_cells,
                            "value": pa.array([float(i) if i % 2 else None for i in range(n_cells)], pa.float64())}),
    }


def _batch(*entries) -> tuple[dict[str, pa.Table], list[str]]:
    """One worker batch: the tables of several reports concatenated, and their keys."""
    tables = [_tables(*e) for e in entries]
    return ({kind: pa.concat_tables([t[kind] for t in tables]) for kind in tables[0]}, [e[3] for e in entries])


def test_file_digest_is_sha1_of_the_bytes(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes("年度报告".encode() * 1000)
    assert file_digest(path, block=7) == (hashlib.sha1(path.read_bytes()).hexdigest(), path.stat().st_size)


def test_key_depends_on_content_and_file_name_not_folder(tmp_path):
    digest = "0" * 40
    assert cache_key(digest, tmp_path / "x" / "a.txt") == cache_key(digest, tmp_path / "y" / "a.txt")
    assert cache_key(digest, tmp_path / "a.txt") != cache_key(digest, tmp_path / "b.txt")
    assert cache_key(digest, tmp_path / "a.txt") != cache_key("1" * 40, tmp_path / "a.txt")


def test_code_fingerprint_is_stable_within_a_process():
    assert code_fingerprint() == code_fingerprint()
    assert len(code_fingerprint()) == 40


def test_round_trip_keeps_order_rows_and_na_and_rewrites_source(tmp_path):
    store = Cache(tmp_path, fingerprint="f1")
    store.put_tables([_batch(("r1", "old/a.txt", 3, "k1"), ("r2", "old/b.txt", 2, "k2"))], ("inspect", "tables"))
    store.put_tables([_batch(("r3", "old/c.txt", 1, "k3"))], ("inspect", "tables"))
    fresh = Cache(tmp_path, fingerprint="f1")  # a later process sees both chunks
    assert len(fresh) == 3
    got = fresh.get_many([("k3", "new/c.txt"), ("k1", "new/a.txt"), ("k2", "new/b.txt")], ["reports", "tables"])
    assert got["reports"]["report_id"].to_pylist() == ["r3", "r1", "r2"]
    assert got["reports"]["source"].to_pylist() == ["new/c.txt", "new/a.txt", "new/b.txt"]
    assert got["tables"]["source"].to_pylist() == ["new/c.txt"] + ["new/a.txt"] * 3 + ["new/b.txt"] * 2
    assert got["tables"]["value"].to_pylist() == [None, None, 1.0, None, None, 1.0]
    assert got["reports"]["year"].type == pa.int64() and got["reports"]["year"].to_pylist() == [2021] * 3
    assert "_cache_key" not in got["tables"].column_names


def test_a_kind_with_no_rows_comes_back_empty(tmp_path):
    store = Cache(tmp_path, fingerprint="f1")
    tables, keys = _batch(("r1", "a.txt", 2, "k1"))
    tables["findings"] = pa.table({c: pa.array([], pa.string()) for c in ["report_id", "source", "rule", KEY_COLUMN]})
    store.put_tables([(tables, keys)], ("inspect", "tables", "validate"))
    assert store.get_many([("k1", "a.txt")], ["findings"])["findings"].num_rows == 0


def test_stages_must_cover_the_request():
    store = Cache.__new__(Cache)
    store._index = {"k": ("chunk", frozenset({"inspect", "tables"}))}
    assert store.has("k", ("inspect",)) and store.has("k", ("inspect", "tables"))
    assert not store.has("k", ("inspect", "tables", "validate"))
    assert not store.has("other", ("inspect",))


def test_other_fingerprint_sees_nothing(tmp_path):
    Cache(tmp_path, fingerprint="rules-v1").put_tables([_batch(("r1", "a.txt", 1, "k1"))], ("inspect",))
    assert Cache(tmp_path, fingerprint="rules-v1").has("k1", ("inspect",))
    assert not Cache(tmp_path, fingerprint="rules-v2").has("k1", ("inspect",))


def test_a_chunk_without_its_index_is_invisible(tmp_path):
    store = Cache(tmp_path, fingerprint="f1")
    store.put_tables([_batch(("r1", "a.txt", 1, "k1"))], ("inspect",))
    for index in (store.dir / "index").glob("*.json"):
        index.unlink()  # as if the run died between writing the data and the index
    assert not Cache(tmp_path, fingerprint="f1").has("k1", ("inspect",))


def test_a_corrupt_index_is_skipped_with_a_warning(tmp_path, caplog):
    store = Cache(tmp_path, fingerprint="f1")
    store.put_tables([_batch(("r1", "a.txt", 1, "k1"))], ("inspect",))
    (store.dir / "index" / "0-broken.json").write_text("{not json", encoding="utf-8")
    with caplog.at_level("WARNING", logger="gdtools"):
        again = Cache(tmp_path, fingerprint="f1")
    assert again.has("k1", ("inspect",))
    assert "unreadable cache index" in caplog.text


def test_only_the_listed_keys_of_a_batch_are_stored(tmp_path):
    tables, _ = _batch(("r1", "a.txt", 2, "k1"), ("r2", "b.txt", 2, "k2"))
    store = Cache(tmp_path, fingerprint="f1")
    store.put_tables([(tables, ["k2"])], ("inspect",))  # k1 hit a bug: not cached
    fresh = Cache(tmp_path, fingerprint="f1")
    assert not fresh.has("k1", ("inspect",)) and fresh.has("k2", ("inspect",))
    assert fresh.get_many([("k2", "b.txt")], ["tables"])["tables"]["report_id"].to_pylist() == ["r2", "r2"]


def test_corpus_files_are_stored_under_their_key(tmp_path):
    store = Cache(tmp_path / "cache", fingerprint="f1")
    assert store.corpus_files("inputs-1") is None
    summary = tmp_path / "summary.csv"
    summary.write_text("report_id,errors\nr1,0\n", encoding="utf-8")
    store.put_corpus_files("inputs-1", {"summary.csv": summary})
    summary.write_text("changed later\n", encoding="utf-8")  # the cache holds a copy
    folder = Cache(tmp_path / "cache", fingerprint="f1").corpus_files("inputs-1")
    assert (folder / "summary.csv").read_text(encoding="utf-8") == "report_id,errors\nr1,0\n"
    assert Cache(tmp_path / "cache", fingerprint="f1").corpus_files("inputs-2") is None
