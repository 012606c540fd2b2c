"""PDF pages read by PDFium must give pdfplumber's (pdfminer's) chars, paths, lines and tables."""

from __future__ import annotations

import io

import pdfplumber
import pytest

from gdtools.io._pdfium import read_pages
from gdtools.io.limits import Limits
from gdtools.io.pdf import _page_items, load_pdf


def _canvas(**kwargs):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    return canvas.Canvas(buffer, pagesize=kwargs.pop("pagesize", A4), **kwargs), buffer


def _table_page(pdf) -> None:
    pdf.setFont("STSong-Light", 11)
    pdf.drawString(72, 780, "示例单位政府信息公开工作年度报告 2023")
    pdf.drawString(72, 760, "本年度共收到申请 12 件（含线上 7 件），已全部办结。")
    xs, ys = [72, 220, 300, 380, 460], [700, 680, 660, 640]
    for y in ys:
        pdf.line(xs[0], y, xs[-1], y)
    for x in xs:
        pdf.line(x, ys[0], x, ys[-1])
    pdf.rect(72, 600, 388, 20)  # a framed one-cell note: not a table
    cells = [["项目", "自然人", "法人", "总计"], ["新收申请数", "10", "2", "12"], ["予以公开", "7", "0", "7"]]
    for row, y in zip(cells, ys):
        for text, x in zip(row, xs):
            pdf.drawString(x + 4, y - 14, text)
    pdf.drawString(76, 606, "注：本表数据截至年底。")
    pdf.bezier(72, 560, 120, 600, 200, 520, 260, 560)
    path = pdf.beginPath()
    path.moveTo(300, 540)
    path.lineTo(400, 540)
    path.lineTo(350, 580)
    path.close()
    pdf.drawPath(path)


def _pdf(draw, pages: int = 1, **kwargs) -> bytes:
    pdf, buffer = _canvas(**kwargs)
    for _ in range(pages):
        draw(pdf)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _plumber_pages(data: bytes):
    pdf = pdfplumber.open(io.BytesIO(data))
    return pdf, pdf.pages


def _key(objs, keys=("x0", "top", "x1", "bottom")):
    return sorted(tuple(round(o[k], 2) for k in keys) for o in objs)


def _items(items):
    return [(kind, payload["text"] if kind == "line" else [[(c.text, c.rowspan, c.colspan) for c in row] for row in payload])
            for _, kind, payload in items]


def test_chars_paths_and_items_match_pdfplumber():
    data = _pdf(_table_page, pages=2)
    mine = read_pages(data, lambda count: None)
    assert all(page is not None for page in mine)
    pdf, theirs = _plumber_pages(data)
    with pdf:
        for ours, ref in zip(mine, theirs):
            assert [c["text"] for c in sorted(ours.chars, key=lambda c: (c["top"], c["x0"]))] == \
                [c["text"] for c in sorted(ref.chars, key=lambda c: (c["top"], c["x0"]))]
            # the tops agree to a fraction of a point (descent from the font), x0 exactly
            for a, b in zip(sorted(ours.chars, key=lambda c: (c["top"], c["x0"])),
                            sorted(ref.chars, key=lambda c: (c["top"], c["x0"]))):
                assert a["x0"] == pytest.approx(b["x0"], abs=0.01)
                assert a["top"] == pytest.approx(b["top"], abs=0.5)
                assert a["doctop"] - a["top"] == pytest.approx(b["doctop"] - b["top"], abs=0.01)
            for kind in ("line", "rect", "curve"):
                assert _key(ours.objects[kind]) == _key(ref.objects.get(kind, [])), kind
            assert _key(ours.edges) == _key(ref.edges)
            ours_items, ref_items = _page_items(ours), _page_items(ref)
            assert _items(ours_items) == _items(ref_items)
            assert [item[0] for item in ours_items] == pytest.approx([item[0] for item in ref_items], abs=0.5)
    assert mine[1].chars[0]["doctop"] == pytest.approx(mine[0].height + mine[1].chars[0]["top"])


def test_rotated_page_is_turned_as_pdfminer_turns_it():
    def draw(pdf):
        _table_page(pdf)
        pdf.setPageRotation(90)

    data = _pdf(draw)
    (ours,) = read_pages(data, lambda count: None)
    pdf, (ref,) = _plumber_pages(data)
    with pdf:
        assert ours.bbox == pytest.approx(ref.bbox)
        for kind in ("line", "rect"):
            assert _key(ours.objects[kind]) == _key(ref.objects.get(kind, [])), kind
        assert {c["upright"] for c in ours.chars} == {c["upright"] for c in ref.chars}
        for a, b in zip(_key(ours.chars, ("x0", "top")), _key(ref.chars, ("x0", "top"))):
            assert a == pytest.approx(b, abs=0.5)


def test_form_xobject_paths_are_placed_by_the_form_matrix():
    def draw(pdf):
        pdf.beginForm("frame")
        pdf.rect(0, 0, 100, 40)
        pdf.line(0, 20, 100, 20)
        pdf.endForm()
        pdf.saveState()
        pdf.translate(150, 300)
        pdf.doForm("frame")
        pdf.restoreState()
        pdf.setFont("STSong-Light", 11)
        pdf.drawString(72, 700, "表格外的正文")

    data = _pdf(draw)
    (ours,) = read_pages(data, lambda count: None)
    pdf, (ref,) = _plumber_pages(data)
    with pdf:
        for kind in ("line", "rect"):
            assert _key(ours.objects[kind]) == _key(ref.objects.get(kind, [])), kind
    assert _key(ours.rects) == [(150.0, pytest.approx(ref.height - 340), 250.0, pytest.approx(ref.height - 300))]


def _lone_glyph(pdf):
    pdf.setFont("STSong-Light", 11)
    pdf.drawString(72, 700, "自然")
    pdf.drawString(76, 688, "人")
    pdf.drawString(150, 688, "其他 7")


def test_a_glyph_pdfium_drops_is_read_from_the_content_stream():
    """A lone CJK char in a font PDFium cannot find has no width for PDFium's text page, which drops it.

    The glyph is read from the page's content stream (decoded by pdfminer's font), so the page
    gives pdfminer's chars and items without pdfminer reading the whole page.
    """
    data = _pdf(_lone_glyph, pages=2)
    mine = read_pages(data, lambda count: None)
    assert None not in mine
    pdf, theirs = _plumber_pages(data)
    with pdf:
        for ours, ref in zip(mine, theirs):
            assert [c["text"] for c in ours.chars] == [c["text"] for c in ref.chars]
            for a, b in zip(ours.chars, ref.chars):
                assert a["upright"] == b["upright"]
                if a["text"] != "人":  # as in the test above: PDFium's descent, a last glyph's loose width
                    assert (a["x0"], a["top"]) == (pytest.approx(b["x0"], abs=0.01), pytest.approx(b["top"], abs=0.5))
                    continue
                # the glyph read from the stream is sized as pdfminer sizes it
                for key in ("x0", "x1", "top", "bottom", "doctop", "size"):
                    assert a[key] == pytest.approx(b[key], abs=1e-3), key
            assert _items(_page_items(ours)) == _items(_page_items(ref))
    text, _, _ = load_pdf(data, "lone.pdf", Limits())
    assert "人" in text and "自然" in text


@pytest.mark.parametrize("variant", ["form", "scaled", "kerned"])
def test_a_dropped_glyph_the_content_stream_does_not_tell_safely_sends_the_page_to_pdfminer(variant):
    def draw(pdf):
        pdf.setFont("STSong-Light", 11)
        pdf.drawString(72, 720, "第一部分正文内容")
        if variant == "form":  # text in a form: its objects are not in the page's stream order
            pdf.beginForm("note")
            pdf.setFont("STSong-Light", 11)
            pdf.drawString(0, 0, "注释")
            pdf.endForm()
            pdf.doForm("note")
            pdf.drawString(76, 688, "人")
        elif variant == "scaled":  # horizontal scaling changes pdfminer's advance
            text = pdf.beginText(76, 688)
            text.setFont("STSong-Light", 11)
            text.setHorizScale(80)
            text.textOut("人")
            pdf.drawText(text)
        else:  # a kerning offset moves the glyph away from the text object's origin
            font = pdf._doc.getInternalFontName("STSong-Light")
            pdf._code.append(f"BT {font} 11 Tf 1 0 0 1 76 688 Tm [-500 (N\\272)] TJ ET")

    data = _pdf(draw)
    assert read_pages(data, lambda count: None) == [None]
    pdf, (ref,) = _plumber_pages(data)
    with pdf:
        assert any(c["text"] == "人" for c in ref.chars)  # pdfminer reads the glyph PDFium dropped


def test_content_stream_strings_are_read_as_pdfminer_reads_them():
    import random

    from pdfminer.psparser import PSBaseParser

    from gdtools.io._pdfium import _shows

    rng = random.Random(5)
    pieces = [b"a", b"Z", b"\\(", b"\\)", b"\\\\", b"\\n", b"\\t", b"\\r", b"\\b", b"\\f", b"\\0", b"\\12",
              b"\\377", b"\\1234", b"()", b"(x(y))", b"\r\n", b" ", b"\x00", b"\xff", b"%"]
    for _ in range(300):
        body = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        shows = _shows(b"BT /F1 9 Tf (" + body + b") Tj [(" + body + b") -250 <4e2d 6587>] TJ ET")
        parser = PSBaseParser(io.BytesIO(b"(" + body + b")"))
        _, expected = parser.nexttoken()
        assert shows == [("F1", 9, [expected]), ("F1", 9, [expected, -250, b"\x4e\x2d\x65\x87"])], body
    assert _shows(b"BT /F1 9 Tf (\\q) Tj ET") is None  # an escape pdfminer reads in its own way
    assert _shows(b"q /F2 10.5 Tf Q (a) Tj /F3 7 Tf (b) ' ") == [(None, None, [b"a"]), ("F3", 7, [b"b"])]
    assert _shows(b"BI /W 1 /H 1 ID \x00 EI") is None  # inline image data is not read here


def _old_text(data: bytes) -> list[str]:
    pdf, pages = _plumber_pages(data)
    with pdf:
        return [line["text"] for page in pages for line in page.extract_text_lines()]


def test_text_printed_twice_for_bold_is_read_by_pdfminer():
    """Fake bold (the same line printed again, a hair to the right): PDFium keeps one copy, pdfminer both."""
    def draw(pdf):
        pdf.setFont("STSong-Light", 11)
        pdf.drawString(72, 720, "第一部分正文内容")
        pdf.drawString(72, 700, "加粗的标题行")
        pdf.drawString(72.3, 700, "加粗的标题行之后")

    data = _pdf(draw)
    assert read_pages(data, lambda count: None) == [None]
    assert "加加粗粗的的标标题题行行之后" in _old_text(data)
    text, _, _ = load_pdf(data, "bold.pdf", Limits())
    assert "加加粗粗的的标标题题行行之后" in text


def test_actual_text_span_is_read_by_pdfminer():
    """PDFium's text page reads a marked span's /ActualText instead of its glyphs; pdfminer the glyphs."""
    def draw(pdf):
        pdf.setFont("STSong-Light", 11)
        pdf.drawString(72, 720, "第一部分正文内容")
        pdf._code.append("/Span <</ActualText (XYZ)>> BDC")
        pdf.drawString(72, 700, "标题行")
        pdf._code.append("EMC")

    data = _pdf(draw)
    assert read_pages(data, lambda count: None) == [None]
    text, _, _ = load_pdf(data, "span.pdf", Limits())
    assert "标题行" in text and "XYZ" not in text


def test_text_turned_by_its_matrix_is_read_by_pdfminer():
    def draw(pdf):
        pdf.setFont("STSong-Light", 11)
        pdf.drawString(72, 720, "第一部分正文内容")
        pdf.saveState()
        pdf.translate(300, 400)
        pdf.rotate(90)
        pdf.drawString(0, 0, "侧排的说明文字")
        pdf.restoreState()

    data = _pdf(draw)
    assert read_pages(data, lambda count: None) == [None]
    text, _, _ = load_pdf(data, "turned.pdf", Limits())
    assert "第一部分正文内容" in text


def test_page_count_is_checked_before_pages_are_read():
    data = _pdf(_table_page, pages=3)
    seen = []

    def refuse(count):
        seen.append(count)
        raise ValueError("too many")

    with pytest.raises(ValueError):
        read_pages(data, refuse)
    assert seen == [3]


def test_real_pdfs_read_by_pdfium_give_pdfminers_items(realdata):
    """Every page PDFium reads of the real PDFs (embedded fonts, vertical table headers) lays out as with pdfminer."""
    paths = sorted((realdata / "reports").glob("*.pdf"))
    assert paths
    read = 0
    for path in paths:
        data = path.read_bytes()
        mine = read_pages(data, lambda count: None)
        pdf, theirs = _plumber_pages(data)
        with pdf:
            for ours, ref in zip(mine, theirs):
                if ours is None:
                    continue
                read += 1
                ours_items, ref_items = _page_items(ours), _page_items(ref)
                assert _items(ours_items) == _items(ref_items), (path.name, ref.page_number)
                assert [i[0] for i in ours_items] == pytest.approx([i[0] for i in ref_items], abs=0.5)
    assert read >= len(paths)


def test_overprinted_text_boxes():
    from gdtools.io._pdfium import _overprinted

    line = (72.0, 700.0, 200.0, 711.0)
    assert not _overprinted([line, (200.0, 700.0, 260.0, 711.0), (72.0, 688.0, 200.0, 699.0)])  # side by side, stacked
    assert _overprinted([line, (72.3, 700.0, 200.3, 711.0)])  # printed again a hair to the right
    assert _overprinted([(10.0, 10.0, 500.0, 30.0), (100.0, 12.0, 110.0, 22.0)])  # a small box inside a long one
    assert not _overprinted([line, (150.0, 700.0, 300.0, 711.0)])  # overlapping less than half


def test_overprinted_is_any_pair_overlapping_by_more_than_half_the_smaller():
    import itertools
    import random

    from gdtools.io._pdfium import _overprinted

    def area(box):
        return (box[2] - box[0]) * (box[3] - box[1])

    def by_pairs(boxes):
        boxes = [b for b in boxes if b[2] > b[0] and b[3] > b[1]]
        for a, b in itertools.combinations(boxes, 2):
            width = min(a[2], b[2]) - max(a[0], b[0])
            height = min(a[3], b[3]) - max(a[1], b[1])
            if width > 0 and height > 0 and width * height > 0.5 * min(area(a), area(b)):
                return True
        return False

    rng = random.Random(9)
    seen = set()
    for _ in range(3000):
        boxes = []
        for _ in range(rng.randint(0, 12)):  # on a coarse grid: shared edges, equal and empty boxes
            left, bottom = rng.randrange(0, 100, 5) / 2, rng.randrange(0, 60, 5) / 2
            boxes.append((left, bottom, left + rng.randrange(0, 80, 5) / 2, bottom + rng.choice([0, 5.5, 11, 30])))
        expected = by_pairs(boxes)
        seen.add(expected)
        assert _overprinted(boxes) is expected, boxes
    assert seen == {True, False}


def _line(text: str, x0: float, top: float, size: float = 10.0) -> tuple:
    chars = [{"x0": x0 + i * size, "x1": x0 + (i + 1) * size} for i in range(len(text))]
    return (top, "line", {"text": text, "x0": x0, "x1": x0 + len(text) * size, "top": top, "chars": chars})


TITLE = "某某市某某区某街道办事处关于二〇二三年度政府信息公开工作年度报告全文"


def test_a_centred_title_ending_near_the_margin_is_not_joined_to_the_next_line():
    from gdtools.io.pdf import _layout

    assert len(TITLE) * 11.0 == 374  # 113..487: within two characters of the right margin, 13 in on both sides
    body = "正" * 40  # full lines from the left margin (100) to the right margin (500)
    items = [_line(TITLE, 113, 40, 11.0),
             _line("本年度工作概述如下", 100, 60),
             _line(body, 100, 80), _line("续写的一行", 100, 92),
             _line(body, 100, 104), _line("又一段结尾。", 100, 116)]
    text, blocks, _ = _layout([(1, items)], "t.pdf")
    assert [b.text for b in blocks][:2] == [TITLE, "本年度工作概述如下"]
    # wrapped body lines are still joined into one paragraph
    assert body + "续写的一行" in text and body + "又一段结尾。" in text


def _random_chars(rng, count: int) -> list[dict]:
    """Chars on a few nearby baselines, in any order, with blanks, empty text and ligatures."""
    chars = []
    for _ in range(count):
        x0, top, width = rng.uniform(0, 60), rng.choice([0.0, 1.5, 2.9, 3.1, 6.0, 20.0]) + rng.uniform(0, 1), \
            rng.uniform(2, 8)
        chars.append({"x0": x0, "x1": x0 + width, "top": top, "bottom": top + 10, "doctop": top, "size": 10,
                      "upright": rng.random() > 0.02, "text": rng.choice(["数", "7", " ", "", "\ufb01", "字", "a"])})
    return chars


def test_cell_text_is_pdfplumbers_extract_text():
    import random

    from pdfplumber.utils import extract_text

    from gdtools.io._pdfium import extract_text as _extract_text

    rng = random.Random(7)
    for count in [0, 1, 2, 3, 5, 8, 13] * 60:
        chars = _random_chars(rng, count)
        assert _extract_text(chars) == extract_text(chars), chars


def test_nearest_edge_index_is_the_first_nearest():
    from gdtools.io.pdf import _index

    edges = [10.0, 20.0, 35.5]
    for value in [0, 10, 14.9, 15, 15.1, 20, 27.75, 27.8, 35.5, 99]:
        assert _index(edges, value) == min(range(len(edges)), key=lambda i: abs(edges[i] - value))


def _random_edges(rng) -> list[dict]:
    """Partial rulings on a grid (merged cells, gaps, overhangs), some a tolerance's width off the grid."""
    xs, ys = sorted(rng.sample(range(0, 200, 10), 6)), sorted(rng.sample(range(0, 200, 10), 6))
    edges = []
    for _ in range(rng.randint(6, 40)):
        off = rng.choice([0, 0, 0, 0.5, 1, -1, 1.0001, 0.1 + 0.2])
        if rng.random() < 0.5:
            x, (a, b) = rng.choice(xs) + off, sorted(rng.sample(ys, 2))
            edges.append({"x0": x, "x1": x, "top": a + rng.choice([0, 1, -1]), "bottom": b, "orientation": "v"})
        else:
            y, (a, b) = rng.choice(ys) + off, sorted(rng.sample(xs, 2))
            edges.append({"x0": a, "x1": b + rng.choice([0, 1, -1]), "top": y, "bottom": y, "orientation": "h"})
    return edges


def test_table_intersections_and_cells_are_pdfplumbers():
    import random

    from pdfplumber.table import edges_to_intersections, intersections_to_cells

    from gdtools.io._pdfium import _intersections, _intersections_to_cells

    def boxes(edges):
        return {(e["x0"], e["top"], e["x1"], e["bottom"]) for e in edges}

    rng = random.Random(3)
    for _ in range(300):
        edges = _random_edges(rng)
        tolerance = rng.choice([1, 3, 0.5])
        theirs = edges_to_intersections(edges, tolerance, tolerance)
        ours = _intersections([(e["orientation"], e["x0"], e["top"], e["x1"], e["bottom"]) for e in edges],
                              tolerance, tolerance)
        assert ours == {p: (boxes(e["v"]), boxes(e["h"])) for p, e in theirs.items()}
        assert _intersections_to_cells(ours) == intersections_to_cells(theirs)


def test_table_edges_at_coordinates_not_numbers_meet_as_in_pdfplumber():
    import math
    import random

    from pdfplumber.table import edges_to_intersections

    from gdtools.io._pdfium import _intersections

    rng = random.Random(7)
    for _ in range(200):
        edges = _random_edges(rng)
        for edge in rng.sample(edges, 3):
            edge[rng.choice(["x0", "top", "bottom"])] = math.nan
        theirs = edges_to_intersections(edges, 3, 3)
        ours = _intersections([(e["orientation"], e["x0"], e["top"], e["x1"], e["bottom"]) for e in edges], 3, 3)
        # compared by their text: nan != nan
        def text(points):
            return sorted((repr(p), sorted({*map(repr, v)}), sorted({*map(repr, h)})) for p, (v, h) in points)

        assert text(ours.items()) == text(
            (p, ([(v["x0"], v["top"], v["x1"], v["bottom"]) for v in e["v"]],
                 [(h["x0"], h["top"], h["x1"], h["bottom"]) for h in e["h"]])) for p, e in theirs.items())


def test_table_edges_are_pdfplumbers():
    import random

    from pdfplumber.table import TableFinder, TableSettings

    from gdtools.io._pdfium import PdfiumPage, _table_edges

    def box(kind, x0, top, x1, bottom):
        return {"object_type": kind, "x0": x0, "x1": x1, "top": top, "bottom": bottom, "doctop": top,
                "width": x1 - x0, "height": bottom - top, "y0": 800 - bottom, "y1": 800 - top,
                "pts": [(x0, top), (x1, bottom)] if kind == "line" else [(x0, top), (x1, top), (x1, bottom)]}

    rng = random.Random(11)
    for _ in range(300):
        # rulings near each other (snapped within 3 pt, joined across gaps up to 3 pt), short ones, frames
        xs = [rng.randrange(0, 200, 10) + rng.choice([0, 0, 0.5, 1.5, 2.9, 3, 3.1, -1]) for _ in range(8)]
        ys = [rng.randrange(0, 200, 10) + rng.choice([0, 0, 0.5, 1.5, 2.9, 3, 3.1, -1]) for _ in range(8)]
        objects = {"char": [], "line": [], "rect": [], "curve": []}
        for _ in range(rng.randint(0, 30)):
            kind = rng.choice(["line", "line", "rect", "curve"])
            if kind == "line" and rng.random() < 0.5:
                x, (a, b) = rng.choice(xs), sorted(rng.sample(ys, 2))
                obj = box("line", x, a, x, b)
            elif kind == "line":
                y, (a, b) = rng.choice(ys), sorted(rng.sample(xs, 2))
                obj = box("line", a, y, b, y)
            else:
                (a, b), (c, d) = sorted(rng.sample(xs, 2)), sorted(rng.sample(ys, 2))
                obj = box(kind, a, c, b, d)
            objects[kind].append(obj)
        settings = TableSettings.resolve(rng.choice([None, {"snap_tolerance": 0}, {"join_tolerance": 1},
                                                     {"edge_min_length": 10}]))
        page = PdfiumPage(1, (0, 0, 300, 300), objects)
        expected = [(e["orientation"], e["x0"], e["top"], e["x1"], e["bottom"])
                    for e in TableFinder(page, settings).get_edges()]
        assert _table_edges(page.edges, settings) == expected


def test_tables_are_pdfplumbers():
    import random

    from pdfplumber.table import cells_to_tables

    from gdtools.io._pdfium import _cells_to_tables

    rng = random.Random(5)
    for _ in range(300):
        # distinct cells (as cells are found: one per top left corner at most) on a coarse grid, in any
        # order: tables touching at corners only, apart, overlapping
        cells = {}
        for _ in range(rng.randint(0, 25)):
            x0, top = rng.randrange(0, 60, 10), rng.randrange(0, 60, 10)
            cells[x0, top] = (x0, top, x0 + rng.choice([10, 10, 20]), top + rng.choice([10, 10, 30]))
        cells = list(cells.values())
        rng.shuffle(cells)
        assert _cells_to_tables(cells) == cells_to_tables(cells)


def test_text_lines_are_pdfplumbers():
    import random

    from pdfplumber.utils.text import chars_to_textmap

    from gdtools.io._pdfium import text_lines

    rng = random.Random(11)
    for count in [1, 2, 4, 9, 30] * 40:
        chars = [dict(c, upright=True, text=c["text"] or "数") for c in _random_chars(rng, count)]
        ref = chars_to_textmap(chars, layout_bbox=(0, 0, 100, 100), layout_width=100, layout_height=100,
                               keep_blank_chars=False).extract_text_lines()
        assert text_lines(chars) == ref, chars
    assert text_lines([dict(c, upright=False) for c in chars]) is None  # turned text: pdfplumber's own code


def _one_pass_and_two(data: bytes):
    import pypdfium2 as pdfium

    from gdtools.io._pdfium import PdfiumPage, _address, _api, _chars, _Frame, _glyphs, _plain_page_chars

    api = _api()
    document = pdfium.PdfDocument(data)
    try:
        for index in range(len(document)):
            page = document[index]
            frame = _Frame(tuple(page.get_mediabox()), page.get_rotation() % 360, 0.0)
            textpage = page.get_textpage()
            raw = _address(textpage.raw)
            glyphs, seen = _glyphs(api, raw)
            one = _plain_page_chars(api, raw, frame)
            if one is not None:  # its letters' chars, made as a page makes them when asked
                letters, one_seen = one
                chars = PdfiumPage(index + 1, frame.bbox, {}, letters, frame.doctop + frame.dy).chars
                one = chars, one_seen
                # each letter is its char's x0, top, x1, bottom and text
                assert [t[:5] for t in letters] == [(c["x0"], c["top"], c["x1"], c["bottom"], c["text"]) for c in chars]
            yield one, (_chars(api, raw, glyphs, frame, index + 1), seen)
            textpage.close()
            page.close()
    finally:
        document.close()


def test_one_pass_chars_are_the_two_pass_chars():
    def turned(pdf):
        _table_page(pdf)
        pdf.setPageRotation(90)

    def wide(pdf):  # glyphs squeezed and stretched by their matrix, and spaced out
        pdf.setFont("STSong-Light", 11)
        text = pdf.beginText(72, 700)
        text.setFont("STSong-Light", 11)
        text.setCharSpace(4)
        text.textOut("字距 1 2")
        pdf.drawText(text)
        pdf.saveState()
        pdf.scale(1.5, 0.8)
        pdf.drawString(60, 800, "缩放的 12 行")
        pdf.restoreState()

    answered = 0
    for draw in (_table_page, _lone_glyph, wide, turned):
        for one, two in _one_pass_and_two(_pdf(draw)):
            if one is not None:  # a turned page is read in two passes
                answered += 1
                assert one == two
            else:
                assert draw is turned
    assert answered == 3


def test_streams_are_inflated_only_where_one_could_exceed_the_limit(monkeypatch):
    import zlib

    from gdtools.errors import LimitExceeded
    from gdtools.io import pdf as pdf_module

    size = 8 << 20
    zeros = zlib.compress(b"\0" * size, 9)  # about deflate's best ratio
    assert size <= pdf_module._MOST_INFLATED * len(zeros)
    data = b"%%PDF-1.4\n1 0 obj<</Length %d/Filter/FlateDecode>>stream\n" % len(zeros) + zeros + b"\nendstream endobj\n"
    with pytest.raises(LimitExceeded):
        pdf_module.check_streams(data, "z.pdf", Limits(max_decompressed_bytes=size - 1))
    inflated, decompressobj = [], zlib.decompressobj
    monkeypatch.setattr(pdf_module.zlib, "decompressobj", lambda: inflated.append(1) or decompressobj())
    pdf_module.check_streams(data, "z.pdf", Limits(max_decompressed_bytes=len(data) * pdf_module._MOST_INFLATED))
    assert not inflated  # no stream of so small a file can inflate beyond the limit
    pdf_module.check_streams(data, "z.pdf", Limits(max_decompressed_bytes=len(data) * pdf_module._MOST_INFLATED - 1))
    assert inflated == [1]


def test_a_page_read_in_one_pass_reads_its_letters_as_its_chars():
    """Lines and cell texts of the letters PDFium keeps are those of the chars made from them (dicts)."""
    from gdtools.io._pdfium import PdfiumPage, find_tables, letter_lines, text_lines
    from gdtools.io.pdf import _PageChars

    pages = read_pages(_pdf(_table_page, pages=2), lambda count: None)
    for page in pages:
        assert page.letters  # read in one pass: chars made only when asked for
        lines = letter_lines(page.letters)
        by_chars = text_lines(page.chars)
        assert [{**line, "chars": [t[:5] for t in line["chars"]]} for line in lines] == \
            [{**line, "chars": [(c["x0"], c["top"], c["x1"], c["bottom"], c["text"]) for c in line["chars"]]}
             for line in by_chars]
        (table,) = find_tables(page)
        as_chars = PdfiumPage(page.page_number, page.bbox, dict(page.objects))  # the same page without letters
        assert _PageChars.of_letters(page.letters).cell_texts(table.rows) == \
            _PageChars(as_chars.chars).cell_texts(table.rows) == table.extract()


def _row(text: str, x: float, top: float, size: float = 10.0) -> list[tuple]:
    return [(x + n * size, top, x + (n + 1) * size, top + size, ch) for n, ch in enumerate(text)]


def test_lines_of_letters_wholly_inside_a_skipped_box_are_left_out_and_only_those():
    from gdtools.io._pdfium import letter_lines

    box = (100.0, 200.0, 400.0, 300.0)
    letters = (_row("表格标题", 100, 180)  # above the box
               + _row("甲乙", 110, 210) + _row("12", 300, 211.5)  # one row of the box (tops within 3 pt)
               + _row("丙丁", 110, 240) + _row("旁注", 420, 241)  # a row running out of the box: kept
               + _row("34", 110, 270) + [(float("nan"), 270.0, 160.0, 280.0, "5")]  # an x0 not a number: kept
               + _row("正文继续", 100, 320))
    full = letter_lines(letters)
    kept = letter_lines(letters, [box])
    assert [line["text"] for line in kept] == [line["text"] for line in full if line["text"] != "甲乙 12"]
    assert kept == [line for line in full if line["text"] != "甲乙 12"]
    assert letter_lines(letters, [(0.0, 0.0, 1.0, 1.0)]) == full  # nothing inside: nothing left out


def test_no_line_is_left_out_of_a_page_with_a_letter_top_that_is_not_a_number():
    # such a top joins the cluster of tops before it and chains the next ones on (as pdfplumber's clusters
    # do): a table row may end up in a line with text outside the table, which must stay as it is
    from gdtools.io._pdfium import letter_lines

    box = (100.0, 200.0, 400.0, 300.0)
    letters = [(100.0, float("nan"), 130.0, 120.0, "X")] + _row("正文", 100, 100) + _row("甲乙", 110, 210) \
        + _row("尾", 100, 350)
    assert letter_lines(letters, [box]) == letter_lines(letters)
