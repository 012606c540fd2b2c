"""The synthetic corpus: determinism, honest truth, consistent figures, committed sample."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest

from gdtools.errors import GdtoolsError
from gdtools.synth import generate_corpus
from gdtools.synth.places import LEVELS, max_world, places
from gdtools.synth.splits import parse_value, row_candidates

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
R2 = [((0, 1, 2, 3, 4, 5), 6)]


def _digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    generate_corpus(out, n=40, seed=11, formats=["txt", "md", "html", "docx", "pdf"])
    return out


@pytest.fixture(scope="module")
def manifest(corpus) -> list[dict]:
    with open(corpus / "MANIFEST.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_same_seed_gives_identical_bytes(tmp_path):
    first, again = tmp_path / "first", tmp_path / "again"
    for out in (first, again):  # the binary formats are the ones that embed dates and zip times
        generate_corpus(out, n=6, seed=5, formats=["docx", "pdf"])
    assert _digests(again) == _digests(first)
    assert {p.suffix for p in (first / "reports").iterdir()} == {".docx", ".pdf"}


def test_other_seed_gives_other_corpus(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    generate_corpus(a, n=6, seed=1, formats=["txt"])
    generate_corpus(b, n=6, seed=2, formats=["txt"])
    assert _digests(a) != _digests(b)


def test_layout_and_counts(corpus, manifest):
    assert len(manifest) == 40
    files = {p.name for p in (corpus / "reports").iterdir()}
    assert files == {row["file"] for row in manifest}
    for row in manifest:
        stem = row["file"].rsplit(".", 1)[0]
        assert (corpus / "narrative" / f"{stem}.json").is_file()
        # legacy reports have no standard tables, hence no expected tables (as in realdata)
        assert (corpus / "expected" / f"{stem}.json").is_file() == (row["template"] != "older")
    assert {row["format"] for row in manifest} == {"txt", "md", "html", "docx", "pdf"}


def _agencies(folder: Path) -> set[str]:
    with open(folder / "MANIFEST.csv", encoding="utf-8") as fh:
        return {row["agency"] for row in csv.DictReader(fh)}


def test_worlds_share_no_place_agency_or_file_name(tmp_path):
    seen_names: set[str] = set()
    seen_slugs: set[str] = set()
    for world in (0, 1, 2, 150, 300):
        world_places = [p for level in LEVELS for p in places(world)[level]]
        names, slugs = {p["name"] for p in world_places}, {p["slug"] for p in world_places}
        assert len(names) == len(slugs) == len(world_places)
        assert all(slug.isascii() for slug in slugs)
        assert not names & seen_names and not slugs & seen_slugs, world
        seen_names |= names
        seen_slugs |= slugs
    parts = [tmp_path / f"world{w}" for w in (0, 1, 2)]
    for world, out in enumerate(parts):
        generate_corpus(out, n=30, seed=7, formats=["txt"], world=world)
    agencies = [_agencies(out) for out in parts]
    files = [{p.name for p in (out / "reports").iterdir()} for out in parts]
    for i in range(3):
        for j in range(i + 1, 3):
            assert not agencies[i] & agencies[j] and not files[i] & files[j]


def test_a_world_keeps_the_shape_of_world_0():
    zero, seven = places(0), places(7)
    renamed = {old["name"]: new["name"] for level in LEVELS for old, new in zip(zero[level], seven[level])}
    for level in LEVELS:
        for old, new in zip(zero[level], seven[level], strict=True):
            assert new["name"] != old["name"] and new["name"][2:] == old["name"][2:]  # 省/市/县/区/镇/乡/街道办事处
            for parent in ("province", "city", "county"):
                assert new.get(parent) == (renamed[old[parent]] if parent in old else None)


def test_same_world_and_seed_give_identical_bytes(tmp_path):
    first, again = tmp_path / "first", tmp_path / "again"
    for out in (first, again):
        generate_corpus(out, n=5, seed=3, formats=["txt", "html"], world=4)
    assert _digests(again) == _digests(first)
    assert "--world 4" in (first / "README.md").read_text(encoding="utf-8")


def test_world_beyond_the_syllable_bank_is_a_gdtools_error(tmp_path):
    assert max_world() >= 300
    for world in (max_world() + 1, -1):
        with pytest.raises(GdtoolsError, match="--world"):
            generate_corpus(tmp_path / "out", n=3, world=world)
    assert not (tmp_path / "out").exists()


def test_bad_arguments_raise_gdtools_errors(tmp_path):
    with pytest.raises(GdtoolsError, match="unknown synthetic format"):
        generate_corpus(tmp_path, n=3, formats=["rtf"])
    with pytest.raises(GdtoolsError):
        generate_corpus(tmp_path, n=0)


def _expected(corpus: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted((corpus / "expected").glob("*.json"))}


def test_checks_fail_exactly_where_errors_were_injected(corpus):
    for stem, exp in _expected(corpus).items():
        injected = [e for e in exp["_injected_errors"] if e[:1] == "R"]
        failures = exp["_checks_as_recorded"]["failures"]
        # without a slip, only a blank cell counted as 0 can break a rule
        strict = [f for f in failures if not f.endswith("(blank cell(s) read as 0)")]
        assert bool(strict) == bool(injected) or (injected and failures), stem


def test_carry_over_chains_across_years(corpus, manifest):
    expected = _expected(corpus)
    by_agency: dict[str, list[dict]] = {}
    for row in manifest:
        stem = row["file"].rsplit(".", 1)[0]
        if stem in expected:
            by_agency.setdefault(row["agency"], []).append(expected[stem])
    checked = 0
    for reports in by_agency.values():
        for prev, cur in zip(reports, reports[1:]):
            if cur["year"] != prev["year"] + 1 or any(e.startswith("R1") for e in prev["_injected_errors"]):
                continue
            for col, carried_in in cur["table3"]["上年结转"].items():
                carried_forward = prev["table3"]["结转下年度"][col]
                if carried_in is not None and carried_forward is not None:
                    assert carried_in == carried_forward, (cur["file"], col)
                    checked += 1
    assert checked > 30


def test_narrative_offsets_point_at_the_statements(corpus, manifest):
    for row in manifest:
        if row["format"] not in ("txt", "md", "html"):
            continue
        stem = row["file"].rsplit(".", 1)[0]
        record = json.loads((corpus / "narrative" / f"{stem}.json").read_text(encoding="utf-8"))
        encoding = "gb18030" if "gb18030" in row["noise"] else "utf-8"
        text = (corpus / "reports" / row["file"]).read_bytes().decode(encoding)
        assert record["statements"], stem
        for st in record["statements"]:
            assert text[st["char_start"]:st["char_end"]] == st["text"]
            assert st["kind"] in ("problem", "measure", "other")


def test_verbatim_copies_are_recorded_as_repeats(corpus, manifest):
    seen = 0
    for row in manifest:
        if row["copied_section5"] != "verbatim":
            continue
        stem = row["file"].rsplit(".", 1)[0]
        record = json.loads((corpus / "narrative" / f"{stem}.json").read_text(encoding="utf-8"))
        if record["previous_year_report_in_set"]:
            assert len(record["repeats_previous_year"]) == record["statements_count"]
            assert all(r["match"] == "verbatim" for r in record["repeats_previous_year"])
            seen += 1
    assert seen > 0


def test_glued_row_with_two_sum_consistent_splits_is_uncertain():
    # "27 0 0 2 0 1 30" glued also reads "2 7 0 0 20 1 30": both satisfy the row sum
    texts = ["27", "0", "0", "2", "0", "1", "30"]
    cells = row_candidates(texts, ["count"] * 7, [27, 0, 0, 2, 0, 1, 30], "glued", R2)
    assert cells[0] == [2, 27] and cells[6] == [30] and cells[5] == [1]


def test_glued_zero_row_is_determined():
    cells = row_candidates(["1", "0", "0", "0", "0", "0", "1"], ["count"] * 7, [1, 0, 0, 0, 0, 0, 1], "glued", R2)
    assert all(len(c) == 1 for c in cells)


def test_glued_row_breaking_its_sum_falls_back_to_all_splits():
    # total printed wrong: no split keeps R2, so every split without leading zeros counts
    cells = row_candidates(["12", "0", "0", "0", "0", "0", "13"], ["count"] * 7, [12, 0, 0, 0, 0, 0, 13],
                           "glued", R2)
    assert 12 in cells[0] and 1 in cells[0]


def test_dropped_blanks_leave_positions_open():
    cells = row_candidates(["2", "", "", "", "", "", "2"], ["count"] * 7, [2, None, None, None, None, None, 2],
                           "dropped")
    assert all(None in c and 2 in c for c in cells)
    full = row_candidates(["1", "0"], ["count", "count"], [1, 0], "dropped")
    assert full == [[1], [0]]


def test_signed_and_amount_tokens():
    assert parse_value("增1", "signed") == 1 and parse_value("减2", "signed") == -2
    assert parse_value("-8", "signed") == -8 and parse_value("+2", "signed") == 2
    assert parse_value("25.1万元", "amount") == 25.1 and parse_value("251000元", "amount") == 251000
    assert parse_value("012", "count") is None


def test_pdf_text_layer_is_extractable(corpus, manifest):
    import pdfplumber

    row = next(r for r in manifest if r["format"] == "pdf" and r["template"] != "older")
    with pdfplumber.open(corpus / "reports" / row["file"]) as pdf:
        text = "\n".join(page.extract_text() or "" for page in pdf.pages)
    assert "- 1 -" in text and "本年新收政府信息公开申请数量" in text


def test_most_pdfs_embed_a_font_subset_the_tagged_rest_do_not(tmp_path):
    """Embedded: a TrueType subset PDFium reads on every page; unembedded: STSong-Light named only."""
    from gdtools.io._pdfium import read_pages

    generate_corpus(tmp_path, n=8, seed=4, formats=["pdf"])
    with open(tmp_path / "MANIFEST.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    kinds = []
    for row in rows:
        data = (tmp_path / "reports" / row["file"]).read_bytes()
        embedded = "font_not_embedded" not in row["noise"].split(";")
        kinds.append(embedded)
        assert (b"/FontFile2" in data) is embedded, row["file"]
        assert (b"/STSong-Light" in data) is not embedded, row["file"]
        if embedded:
            assert b"+SimHei" in data  # a subset, named as subsets are
            assert None not in read_pages(data, lambda count: None), row["file"]
    assert 0 < kinds.count(False) < kinds.count(True)


@pytest.mark.skipif(not (SAMPLE / "MANIFEST.csv").is_file(), reason="data/sample not present")
def test_committed_sample_regenerates_byte_identical(tmp_path):
    with open(SAMPLE / "MANIFEST.csv", encoding="utf-8") as fh:
        n = sum(1 for _ in csv.DictReader(fh))
    generate_corpus(tmp_path, n=n, seed=2026)
    assert _digests(tmp_path) == _digests(SAMPLE)


def test_table2_item_counts_chain_across_v2019_years(corpus, manifest):
    """X2: 上一年项目数量(t) = 上一年项目数量(t−1) + 本年增/减(t−1) for consecutive v2019 years."""
    expected = _expected(corpus)
    by_agency: dict[str, dict[int, dict]] = {}
    for row in manifest:
        stem = row["file"].rsplit(".", 1)[0]
        if row["template"] == "v2019":
            by_agency.setdefault(row["agency"], {})[int(row["year"])] = expected[stem]["table2"]
    checked = 0
    for years in by_agency.values():
        if 2019 not in years or 2020 not in years:
            continue
        for item, cells in years[2020].items():
            before = years[2019].get(item, {})
            if "上一年项目数量" in cells and None not in (cells["上一年项目数量"], before.get("上一年项目数量"),
                                                    before.get("本年增/减")):
                assert cells["上一年项目数量"] == before["上一年项目数量"] + before["本年增/减"], item
                checked += 1
    assert checked > 0


def test_text_layouts_lose_what_they_claim_to_lose():
    from gdtools.synth.document import SCell
    from gdtools.synth.render_text import MODE_KIND, table_lines

    row = [[SCell("（一）予以公开"), *(SCell(t, key=("table3", "open", c)) for t, c in
                                   (("2", "natural"), ("", "business"), ("2", "total")))]]
    assert table_lines(row, "glued") == ["（一）予以公开22"]
    assert table_lines(row, "lines_dropped") == ["（一）予以公开", "2", "2"]
    assert table_lines(row, "lines_padded") == ["\t（一）予以公开", "\t2", "\t2", "\t", ""]
    assert table_lines(row, "tab") == ["（一）予以公开\t2\t\t2"]
    assert table_lines(row, "label_glued") == ["（一）予以公开2\t\t2"]
    assert [MODE_KIND[m] for m in ("glued", "lines_dropped", "lines_padded", "tab", "lines_kept")] == \
        ["glued", "dropped", "dropped", "positional", "positional"]
