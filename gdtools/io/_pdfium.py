"""PDF pages read with PDFium (pypdfium2), laid out as pdfplumber lays out pdfminer's objects.

pdfminer interprets content streams in pure Python; PDFium does it in C, several times faster.
Each page here carries the objects pdfplumber's own table finder and text-line extraction read
(chars, lines, rects, curves) with pdfplumber's coordinates and the geometry rules pdfminer
applies, so ``find_tables`` and ``extract_text_lines`` give what pdfplumber gives on the same
input (lean equivalents of pdfplumber's table finder and of its word and line grouping with their
default settings, tested against pdfplumber's own code). gdtools reads a page's chars as
:data:`Letter` tuples; a page's chars as pdfplumber's dicts are made only when asked for:

* a char spans its advance from the origin (x0..x1) and one font size up from the font's
  descent (PDFium's loose char box, whose top is the ascent, is cut to the font size);
  characters PDFium inserts itself (spaces between words, line breaks) are left out;
* a painted path is split into subpaths at each move; a subpath of one segment is a line, a
  closed axis-aligned quadrilateral a rect, anything else a curve through its end points;
* coordinates are pdfplumber's: ``top`` counted down from the page's top edge, pages with
  ``/Rotate`` turned as pdfminer turns them, ``doctop`` running on across pages.

PDFium's text page is not a plain list of the glyphs printed: it drops a text object it finds
no width for (a glyph of a font it cannot find, printed alone), drops glyphs printed twice at
the same spot (fake bold), reads /ActualText instead of the glyphs. A glyph dropped for want of
width is read from the page's content stream where that can be done safely (:class:`_Dropped`);
otherwise such a page comes back as None and the caller reads it with pdfplumber (pdfminer), so
no page reads differently.
"""

from __future__ import annotations

import bisect
import ctypes
import functools
import io
import itertools
import math
import operator
import re
import struct
import threading
from collections.abc import Callable
from typing import Any

from pdfplumber.container import Container
from pdfplumber.table import Table, TableSettings
from pdfplumber.utils.text import LIGATURES, chars_to_textmap

# PDFium's own characters: word spaces and line breaks it inferred from gaps and jumps.
_MAYBE_GENERATED = {0x20, 0x0D, 0x0A}
# PDFium's marks for a line-end hyphen (0x02) and a glyph without a Unicode mapping (pdfminer: "(cid:N)")
_NOT_TEXT = {0x00, 0x02, 0xFFFE}
_LINE, _BEZIER, _MOVE = 0, 1, 2  # FPDF_SEGMENT_LINETO, _BEZIERTO, _MOVETO
_TEXT, _PATH, _FORM = 1, 2, 5  # FPDF_PAGEOBJ_TEXT, _PATH, _FORM

Matrix = tuple[float, float, float, float, float, float]
# C float arrays read at once (faster than a slice of a ctypes array; the same values)
_TWO, _FOUR, _SIX = (struct.Struct(f"{n}f").unpack_from for n in (2, 4, 6))
# PDFium is not thread-safe: one document at a time per process (batches run in processes).
_LOCK = threading.Lock()


def _mult(m: Matrix, n: Matrix) -> Matrix:
    """``m`` then ``n`` (PDF order: a point is transformed by m first)."""
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (a * a2 + b * c2, a * b2 + b * d2, c * a2 + d * c2, c * b2 + d * d2,
            e * a2 + f * c2 + e2, e * b2 + f * d2 + f2)


class PdfiumPage(Container):
    """One page's objects with the interface of a ``pdfplumber.Page`` that gdtools uses.

    A page read in one pass (:func:`_plain_page_chars`) holds its chars as :data:`Letter` tuples
    (``letters``), which gdtools reads; their dicts are made only when asked for (``chars``, ``objects``).
    """

    def __init__(self, page_number: int, bbox: tuple[float, float, float, float],
                 objects: dict[str, list[dict[str, Any]]], letters: list[Letter] | None = None, down: float = 0.0):
        self.page_number = page_number
        self.bbox = bbox
        self._objects = objects
        self.letters = letters
        self._down = down  # doctop + dy of the page (see _plain_page_chars)

    @property
    def objects(self) -> dict[str, list[dict[str, Any]]]:
        if "char" not in self._objects:
            self._objects["char"] = _letter_chars(self.letters or [], self._down, self.page_number)
        return self._objects

    @property
    def lines(self) -> list[dict[str, Any]]:
        return self._objects.get("line", [])

    @property
    def rects(self) -> list[dict[str, Any]]:
        return self._objects.get("rect", [])

    @property
    def curves(self) -> list[dict[str, Any]]:
        return self._objects.get("curve", [])

    @property
    def width(self) -> float:
        return self.bbox[2] - self.bbox[0]

    @property
    def height(self) -> float:
        return self.bbox[3] - self.bbox[1]

    def extract_text_lines(self, **kwargs: Any) -> list[dict[str, Any]]:
        if not kwargs or kwargs == {"keep_blank_chars": False}:
            lines = text_lines(self.chars)
            if lines is not None:
                return lines
        return chars_to_textmap(self.chars, layout_bbox=self.bbox, layout_width=self.width,
                                layout_height=self.height, **kwargs).extract_text_lines()


def find_tables(page) -> list[Table]:
    """``page.find_tables()`` of pdfplumber (default settings: ruling lines) for a pdfplumber or PDFium page,
    faster: its edges, intersections, cells and tables found by the lean equivalents :func:`_table_edges`,
    :func:`_intersections`, :func:`_intersections_to_cells` and :func:`_cells_to_tables`."""
    settings = TableSettings.resolve(None)
    edges = _table_edges(page.edges, settings)
    cells = _intersections_to_cells(_intersections(
        edges, settings.intersection_x_tolerance, settings.intersection_y_tolerance))
    return [Table(page, group) for group in _cells_to_tables(cells)]


Box = tuple[float, float, float, float]
Edge = tuple[str, float, float, float, float]  # orientation ("v" or "h"), x0, top, x1, bottom


def _table_edges(edges: list[dict[str, Any]], settings: TableSettings) -> list[Edge]:
    """``TableFinder.get_edges()`` of pdfplumber for its "lines" strategies (the defaults), as (orientation,
    x0, top, x1, bottom): the page's vertical and horizontal edges at least ``edge_min_length_prefilter``
    long, snapped (``snap_edges``), joined (``merge_edges``), at least ``edge_min_length`` long.

    pdfplumber copies an edge's dict at each step; here an edge is a list of the numbers read:
    x0, top, x1, bottom, width, height, then orientation (width and height as pdfplumber keeps them).
    """
    least = settings.edge_min_length_prefilter
    vertical = [[e["x0"], e["top"], e["x1"], e["bottom"], e["width"], e["height"], "v"]
                for e in edges if e["orientation"] == "v" and e["height"] >= least]
    horizontal = [[e["x0"], e["top"], e["x1"], e["bottom"], e["width"], e["height"], "h"]
                  for e in edges if e["orientation"] == "h" and e["width"] >= least]
    if settings.snap_x_tolerance > 0 or settings.snap_y_tolerance > 0:
        vertical = _snap(vertical, 0, settings.snap_x_tolerance)
        horizontal = _snap(horizontal, 1, settings.snap_y_tolerance)
    merged = []
    groups = sorted(vertical + horizontal, key=lambda e: (e[6], e[1]) if e[6] == "h" else (e[6], e[0]))
    for (orientation, _), group in itertools.groupby(
            groups, key=lambda e: (e[6], e[1]) if e[6] == "h" else (e[6], e[0])):
        # join_edge_group: along x for a horizontal line, along y for a vertical one
        start = 0 if orientation == "h" else 1
        tolerance = settings.join_x_tolerance if orientation == "h" else settings.join_y_tolerance
        joined: list[list] = []
        for e in sorted(group, key=operator.itemgetter(start)):
            if not joined:
                joined.append(e)
                continue
            last = joined[-1]
            if e[start] <= last[start + 2] + tolerance:
                if e[start + 2] > last[start + 2]:  # resize_object: the last edge extended
                    if orientation == "h":
                        joined[-1] = [last[0], last[1], e[2], last[3], e[2] - last[0], last[5], "h"]
                    else:
                        joined[-1] = [last[0], last[1], last[2], e[3], last[4], last[5] + (e[3] - last[3]), "v"]
            else:
                joined.append(e)
        merged.extend(joined)
    least = settings.edge_min_length
    return [(e[6], e[0], e[1], e[2], e[3]) for e in merged if (e[5] if e[6] == "v" else e[4]) >= least]


def _snap(edges: list[list], at: int, tolerance: float) -> list[list]:
    """pdfplumber's ``snap_objects``: edges whose ``at`` coordinate (x0 of a vertical edge, top of a horizontal
    one) clusters within ``tolerance`` moved to the cluster's mean (both ends by the same amount), in the order
    of their clusters."""
    ids = _cluster_ids([e[at] for e in edges], tolerance)
    order = sorted(range(len(edges)), key=ids.__getitem__)
    out = []
    for _, members in itertools.groupby(order, key=ids.__getitem__):
        cluster = [edges[n] for n in members]
        mean = sum([e[at] for e in cluster]) / len(cluster)
        for e in cluster:
            shift = mean - e[at]
            moved = list(e)
            moved[at] = e[at] + shift
            moved[at + 2] = e[at + 2] + shift
            out.append(moved)
    return out


def _intersections(edges: list[Edge], x_tolerance: float,
                   y_tolerance: float) -> dict[tuple[float, float], tuple[set[Box], set[Box]]]:
    """pdfplumber's ``edges_to_intersections``: each point where a vertical and a horizontal edge meet
    (within the tolerances), with the boxes (x0, top, x1, bottom) of the vertical and of the horizontal
    edges meeting there.

    pdfplumber tests every pair of edges; here the horizontal edges sorted by top that can meet a
    vertical edge are found by bisection (its tests, ``v.top <= h.top + y_tolerance`` and
    ``v.bottom >= h.top - y_tolerance``, are monotone in h.top), then its tests apply.
    """
    # (an edge whose top is not a number meets none: left out, it would spoil the order)
    horizontal = sorted([(top, x0, x1, bottom) for orientation, x0, top, x1, bottom in edges
                         if orientation == "h" and top == top])
    points: dict[tuple[float, float], tuple[set[Box], set[Box]]] = {}
    for orientation, x, top, x1, bottom in edges:
        if orientation != "v":
            continue
        vbox = (x, top, x1, bottom)
        first = bisect.bisect_left(horizontal, True, key=lambda h: top <= h[0] + y_tolerance)
        end = bisect.bisect_left(horizontal, True, first, key=lambda h: not bottom >= h[0] - y_tolerance)
        for htop, hx0, hx1, hbottom in horizontal[first:end]:
            if hx0 - x_tolerance <= x <= hx1 + x_tolerance:
                boxes = points.get((x, htop))
                if boxes is None:
                    boxes = points[(x, htop)] = (set(), set())
                boxes[0].add(vbox)
                boxes[1].add((hx0, htop, hx1, hbottom))
    return points


def _intersections_to_cells(intersections: dict[tuple[float, float], tuple[set[Box], set[Box]]]) -> list[Box]:
    """pdfplumber's ``intersections_to_cells`` of :func:`_intersections`, the same cells in the same order.

    pdfplumber scans every later point for those below and right of each point and rebuilds the
    sets of edge boxes at both ends on each test; here points are listed per column and per row
    once, with their edge boxes. Two points of a column are connected by a vertical edge through
    both (a common vertical edge box), two of a row by a horizontal one.
    """
    points = sorted(intersections)
    columns: dict[float, list] = {}
    rows: dict[float, list] = {}
    places = []  # each point's column and row, and its place in them
    for pt in points:  # in sorted order: a column top to bottom, a row left to right
        vertical, horizontal = intersections[pt]
        column, row = columns.setdefault(pt[0], []), rows.setdefault(pt[1], [])
        places.append((column, len(column), row, len(row)))
        column.append((pt[1], vertical, horizontal))
        row.append((pt[0], vertical, horizontal))
    cells = []
    for (x, y), (column, n, row, m) in zip(points, places):
        _, vertical, horizontal = column[n]
        found = None
        for below in range(n + 1, len(column)):  # (no slices: the first points below and right usually do)
            below_y, below_vertical, below_horizontal = column[below]
            if vertical.isdisjoint(below_vertical):
                continue
            for right in range(m + 1, len(row)):
                right_x, right_vertical, right_horizontal = row[right]
                if horizontal.isdisjoint(right_horizontal):
                    continue
                corner = intersections.get((right_x, below_y))
                if corner is not None and not corner[0].isdisjoint(right_vertical) \
                        and not corner[1].isdisjoint(below_horizontal):
                    found = (x, y, right_x, below_y)
                    break
            if found:
                break
        if found:
            cells.append(found)
    return cells


def _cells_to_tables(cells: list[Box]) -> list[list[Box]]:
    """pdfplumber's ``cells_to_tables`` of distinct cells (:func:`_intersections_to_cells` finds one per
    top left corner at most): the same tables (cells touching at corners), cells in the same order.

    As pdfplumber: passes over the cells left, each adding those sharing a corner with the table grown
    so far (the first cell left starts a table), until a pass adds none; each cell's corners are made
    once and tested as a set, and a pass keeps the cells left instead of removing the others one by one.
    """
    left = [(cell, ((cell[0], cell[1]), (cell[0], cell[3]), (cell[2], cell[1]), (cell[2], cell[3])))
            for cell in cells]
    tables = []
    while left:
        table: list[Box] = []
        reached: set[tuple[float, float]] = set()
        grown = True
        while grown:
            still = []
            for cell, corners in left:
                if not table or not reached.isdisjoint(corners):
                    table.append(cell)
                    reached.update(corners)
                else:
                    still.append((cell, corners))
            grown = len(still) < len(left)
            left = still
        tables.append(table)
    tables.sort(key=lambda t: min((c[1], c[0]) for c in t))
    return [t for t in tables if len(t) > 1]


def _cluster_ids(keys: list[float], tolerance: float) -> list[int]:
    """pdfplumber's clusters (``cluster_objects``): key values chained within ``tolerance``, numbered in
    key order; each key's cluster number."""
    group: dict[float, int] = {}
    last, n = None, -1
    for key in sorted(set(keys)):
        if last is None or key > last + tolerance:
            n += 1
        group[key] = n
        last = key
    return [group[key] for key in keys]


# An upright char as gdtools reads it: (x0, top, x1, bottom, text, ...) in pdfplumber's coordinates; what
# follows the text belongs to its source (the char's dict, or the numbers its dict is made of).
Letter = tuple
_X0, _TOP, _X1, _BOTTOM = (operator.itemgetter(n) for n in range(4))
_LETTERS, _UPRIGHT = operator.itemgetter("text"), operator.itemgetter("upright")
_LIGATURE_CHARS = frozenset("".join(LIGATURES))


def as_letters(chars: list[dict[str, Any]]) -> list[Letter]:
    """Letters of (upright) dict chars, each ending with its char."""
    return [(c["x0"], c["top"], c["x1"], c["bottom"], c["text"], c) for c in chars]


def _letter_chars(letters: list[Letter], down: float, page_number: int) -> list[dict[str, Any]]:
    """The chars (pdfplumber's dicts) of :func:`_plain_page_chars`' letters."""
    return [{"x0": left, "y0": y0, "x1": right, "y1": y1, "top": top, "bottom": bottom, "doctop": down - y1,
             "width": x1 - x0, "height": y1 - y0, "object_type": "char", "page_number": page_number, "text": text,
             "upright": True, "size": y1 - y0}
            for left, top, right, bottom, text, x0, x1, y0, y1 in letters]


def _words(letters: list[Letter], skip: list[Box] = ()) -> list[tuple[float, str, list[Letter]]]:
    """pdfplumber's words (``WordExtractor`` with its default settings) of upright chars: (top, text, letters).

    Letters are grouped into lines by ``top`` (3 pt), each sorted by ``x0`` and split into words
    (:func:`_split`). A group of letters lying wholly in one of the boxes ``skip`` is left out, unless a top
    is not a number (see :func:`letter_lines`).
    """
    tops = [t[1] for t in letters]
    if skip:
        total = sum(tops)
        if total != total:  # a top that is not a number (or tops of both infinities: as well)
            skip = ()
    ids = _cluster_ids(tops, 3)
    lines: list[list[Letter]] = [[] for _ in range(max(ids) + 1)]
    for letter, n in zip(letters, ids):
        lines[n].append(letter)
    words: list[tuple[float, str, list[Letter]]] = []
    for line in lines:
        if skip and _within(line, skip):
            continue
        line.sort(key=_X0)  # stable, as pdfplumber's sort
        words.extend(_split(line))
    return words


def _within(letters: list[Letter], boxes: list[Box]) -> bool:
    """Whether the letters all lie in one of the boxes (x0, top, x1, bottom); a letter's coordinate that is
    not a number lies in none."""
    top, bottom = min(map(_TOP, letters)), max(map(_BOTTOM, letters))
    for x0, box_top, x1, box_bottom in boxes:
        # the letters' extent first (min and max may pass over a coordinate that is not a number), then each
        if box_top <= top and bottom <= box_bottom \
                and all([x0 <= t[0] and t[2] <= x1 and box_top <= t[1] and t[3] <= box_bottom for t in letters]):
            return True
    return False


def _split(line: list[Letter]) -> list[tuple[float, str, list[Letter]]]:
    """A line's letters (sorted by ``x0``) split into words as pdfplumber splits them: at blanks and at gaps
    over 3 pt (or a step back, or 3 pt up or down); a letter without text is a word of its own. Each word
    as (its lowest top, its text with ligatures spelt out as pdfplumber does, its letters)."""
    words: list[tuple[float, str, list[Letter]]] = []
    word: list[Letter] = []
    texts: list[str] = []
    low = last_x0 = last_x1 = last_top = 0.0  # the word's lowest top; its last letter's
    for letter in line:
        text = letter[4]
        if not text or text.isspace():
            if word:
                words.append((low, _spelt(texts), word))
            word = []
            if not text:  # pdfplumber finds "" in its (empty) punctuation: a word of its own
                words.append((letter[1], "", [letter]))
            continue
        x0, top = letter[0], letter[1]
        if not word:
            word, texts, low = [letter], [text], top
        elif x0 < last_x0 or x0 > last_x1 + 3 or abs(top - last_top) > 3:
            words.append((low, _spelt(texts), word))
            word, texts, low = [letter], [text], top
        else:
            word.append(letter)
            texts.append(text)
            if top < low:  # (as min(): the first of equal ones)
                low = top
        last_x0, last_x1, last_top = x0, letter[2], top
    if word:
        words.append((low, _spelt(texts), word))
    return words


def _spelt(texts: list[str]) -> str:
    """A word's text of its letters' texts, ligatures spelt out (as pdfplumber does)."""
    text = "".join(texts)
    if not _LIGATURE_CHARS.isdisjoint(text):
        text = "".join([LIGATURES.get(t, t) for t in texts])
    return text


def extract_text(chars: list[dict[str, Any]]) -> str:
    """``pdfplumber.utils.extract_text(chars)`` with its default settings: :func:`letter_text` of upright
    chars, pdfplumber's own code for others."""
    if chars and not all(map(_UPRIGHT, chars)):
        from pdfplumber.utils import extract_text as plumber_text
        return plumber_text(chars)
    return letter_text(as_letters(chars))


def letter_text(letters: list[Letter]) -> str:
    """pdfplumber's ``extract_text`` (default settings) of upright chars, without its generality: words
    (:func:`_words`) grouped into lines again by their top, lines in order of their top."""
    if not letters:
        return ""
    if len(letters) == 1:  # most table cells: one digit
        text = letters[0][4]
        return "" if text.isspace() else LIGATURES.get(text, text)
    tops = [t[1] for t in letters]
    if max(tops) <= min(tops) + 3:  # one line (every top in the lowest top's cluster): its words in x order
        return " ".join([text for _, text, _ in _split(sorted(letters, key=_X0))])
    words = _words(letters)
    ids = _cluster_ids([top for top, _, _ in words], 3)
    lines: list[list[str]] = [[] for _ in range(max(ids, default=-1) + 1)]
    for (_, text, _), n in zip(words, ids):
        lines[n].append(text)
    return "\n".join(" ".join(line) for line in lines)


def text_lines(chars: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """pdfplumber's ``extract_text_lines()`` (default settings) of a page's chars (:func:`letter_lines`).

    None for chars pdfplumber's text map may read otherwise (turned, blank or several letters).
    """
    if not (all(map(_UPRIGHT, chars)) and {1}.issuperset(map(len, map(_LETTERS, chars)))):
        return None
    lines = letter_lines(as_letters(chars))
    for line in lines:
        line["chars"] = [letter[5] for letter in line["chars"]]
    return lines


def letter_lines(letters: list[Letter], skip: list[Box] = ()) -> list[dict[str, Any]]:
    """pdfplumber's ``extract_text_lines()`` (default settings) of upright one-letter chars, with the line's
    letters as its ``chars``: words (:func:`_words`) in their order, a new line where a word's top falls in
    another cluster of word tops (3 pt).

    Lines inside the boxes ``skip`` (tables read apart) may be left out: those of a cluster of letter tops
    lying wholly in one box. The other lines stay as they are: word tops of two clusters of letter tops
    are more than 3 pt apart, as the clusters' letter tops are; unless a top is not a number (it chains
    clusters together, see :func:`_cluster_ids`): nothing is left out then.
    """
    if not letters:
        return []
    words = _words(letters, skip)
    ids = _cluster_ids([top for top, _, _ in words], 3)
    lines = []
    for _, group in itertools.groupby(zip(ids, words), key=lambda item: item[0]):
        line_words = [word for _, word in group]
        raw = [t for _, _, word in line_words for t in word]
        line_letters = raw
        if any([len(text) != len(word) for _, text, word in line_words]):  # a ligature spelt out (one letter each)
            # each once per letter it spells
            line_letters = [t for t in raw for _ in LIGATURES.get(t[4], "_")]
        # a word's letters ascend by x0 and its top is their lowest: the first of equal ones, as min() over all
        lines.append({"text": " ".join([text for _, text, _ in line_words]),
                      "x0": min([word[0][0] for _, _, word in line_words]),
                      "top": min([top for top, _, _ in line_words]),
                      "x1": max(map(_X1, raw)), "bottom": max(map(_BOTTOM, raw)),
                      "chars": line_letters})
    return lines


class _Frame:
    """pdfminer's page transform (rotation, media box origin) and pdfplumber's flip to ``top``."""

    def __init__(self, mediabox: tuple[float, float, float, float], rotation: int, doctop: float):
        x0, y0, x1, y1 = min(mediabox[0], mediabox[2]), min(mediabox[1], mediabox[3]), \
            max(mediabox[0], mediabox[2]), max(mediabox[1], mediabox[3])
        self.ctm: Matrix = {90: (0, -1, 1, 0, -y0, x1), 180: (-1, 0, 0, -1, x1, y1),
                            270: (0, 1, -1, 0, y1, -x0)}.get(rotation, (1, 0, 0, 1, -x0, -y0))
        if rotation in (90, 270):
            x0, y0, x1, y1 = y0, x0, y1, x1
        height = y1 - y0
        # pdfplumber's page box: the media box flipped within its own height
        self.bbox = (x0, height - y1, x1, height - y0)
        self.height = height
        self.dx = x0
        self.dy = height - y1 + height  # top = dy - y for a point at device y
        self.doctop = doctop


def read_pages(data: bytes, check_pages: Callable[[int], None]) -> list[PdfiumPage | None]:
    """Every page of the PDF ``data``; ``check_pages(count)`` may refuse the file before any page is read.

    A page is None where PDFium's text differs from pdfminer's (see :func:`_chars`).
    PDFium's errors (damage, password) propagate as ``pypdfium2.PdfiumError``; every PDFium
    object is closed before returning.
    """
    import pypdfium2 as pdfium

    with _LOCK:
        document = pdfium.PdfDocument(data)
        try:
            count = len(document)
            check_pages(count)
            pages: list[PdfiumPage | None] = []
            dropped: dict[int, _Dropped] = {}
            doctop = 0.0
            for index in range(count):
                pdf_page = document[index]
                try:
                    page, doctop = _read_page(pdf_page, index + 1, doctop, dropped)
                finally:
                    pdf_page.close()
                pages.append(page)
        finally:
            document.close()
    if dropped:
        found = _lone_glyphs(data, dropped, count)
        for index, missing in dropped.items():
            chars = found.get(index)
            pages[index] = None if chars is None else missing.complete(chars)
    return pages


def _read_page(pdf_page, page_number: int, doctop: float,
               dropped: dict[int, _Dropped]) -> tuple[PdfiumPage | None, float]:
    """The page as a :class:`PdfiumPage` (None where pdfminer must read it), and the next page's ``doctop``.

    A page whose text page dropped lone glyphs (see :class:`_Dropped`) goes to ``dropped`` too.
    """
    api = _api()
    # pdfplumber lays out on the media box; PDFium reads an inherited one only as part of the page box
    box = pdf_page.get_mediabox(fallback_ok=False) or pdf_page.get_bbox()
    frame = _Frame(tuple(box), pdf_page.get_rotation() % 360, doctop)
    objects: dict[str, list[dict[str, Any]]] = {"line": [], "rect": [], "curve": []}
    printed = _Printed(api)
    _paths(api, _address(pdf_page.raw), None, frame, page_number, objects, printed)
    if printed.doubtful:
        return None, doctop + frame.height
    textpage = pdf_page.get_textpage()
    glyphs: list[tuple] = []
    try:
        raw = _address(textpage.raw)
        fast = _plain_page_chars(api, raw, frame)
        if fast is not None and fast[1] == printed.handles:
            letters, chars, missing = fast[0], None, set()
        else:  # turned, vertical or dropped text, or a glyph PDFium reads otherwise: every glyph first
            read = _glyphs(api, raw)
            if read is None:
                return None, doctop + frame.height
            glyphs, seen = read
            missing = printed.handles - seen
            if not seen <= printed.handles or (missing and not _Dropped.possible(printed, missing)):
                return None, doctop + frame.height
            letters, chars = None, _chars(api, raw, glyphs, frame, page_number)
            if chars is None:
                return None, doctop + frame.height
            objects["char"] = chars
    finally:
        textpage.close()
    page = PdfiumPage(page_number, frame.bbox, objects, letters, frame.doctop + frame.dy)
    if missing:
        dropped[page_number - 1] = _Dropped(api, page, glyphs, printed, missing, frame)
    return page, doctop + frame.height


def _address(handle) -> int:
    return ctypes.cast(handle, ctypes.c_void_p).value


class _Api:
    """The PDFium calls made per object, per char or per path segment, called through their bare addresses
    with cffi: handles and buffers as plain ints (addresses), a null handle as 0.

    pypdfium2's typed ctypes prototypes convert and check every argument; per char and per path segment
    that conversion costs more than PDFium's own work, and a cffi call costs less than a ctypes one.
    """

    def __init__(self) -> None:
        import cffi
        import pypdfium2.raw as c

        ffi = cffi.FFI()

        def bare(function, signature: str):
            return ffi.cast(signature.replace("P", "uintptr_t"), ctypes.cast(function, ctypes.c_void_p).value)

        self.c = c
        self.count_chars = bare(c.FPDFText_CountChars, "int(*)(P)")
        self.unicode = bare(c.FPDFText_GetUnicode, "unsigned int(*)(P, int)")
        self.generated = bare(c.FPDFText_IsGenerated, "int(*)(P, int)")
        self.loose_box = bare(c.FPDFText_GetLooseCharBox, "int(*)(P, int, P)")
        self.text_object = bare(c.FPDFText_GetTextObject, "P(*)(P, int)")
        self.text_matrix = bare(c.FPDFText_GetMatrix, "int(*)(P, int, P)")
        self.char_size = bare(c.FPDFText_GetFontSize, "double(*)(P, int)")
        self.char_origin = bare(c.FPDFText_GetCharOrigin, "int(*)(P, int, P, P)")
        self.count_objects = bare(c.FPDFPage_CountObjects, "int(*)(P)")
        self.page_object = bare(c.FPDFPage_GetObject, "P(*)(P, int)")
        self.count_form_objects = bare(c.FPDFFormObj_CountObjects, "int(*)(P)")
        self.form_object = bare(c.FPDFFormObj_GetObject, "P(*)(P, unsigned long)")
        self.object_type = bare(c.FPDFPageObj_GetType, "int(*)(P)")
        self.object_matrix = bare(c.FPDFPageObj_GetMatrix, "int(*)(P, P)")
        self.count_marks = bare(c.FPDFPageObj_CountMarks, "int(*)(P)")
        self.bounds = bare(c.FPDFPageObj_GetBounds, "int(*)(P, P, P, P, P)")
        self.object_size = bare(c.FPDFTextObj_GetFontSize, "int(*)(P, P)")
        self.count_segments = bare(c.FPDFPath_CountSegments, "int(*)(P)")
        self.segment = bare(c.FPDFPath_GetPathSegment, "P(*)(P, int)")
        self.segment_type = bare(c.FPDFPathSegment_GetType, "int(*)(P)")
        self.point = bare(c.FPDFPathSegment_GetPoint, "int(*)(P, P, P)")
        self.closes = bare(c.FPDFPathSegment_GetClose, "int(*)(P)")


@functools.cache
def _api() -> _Api:
    return _Api()


def _glyphs(api: _Api, raw: int) -> tuple[list[tuple], set[int]] | None:
    """The text page's glyphs (index, code, text object, loose left, right, bottom, ((a, d), font size)) and
    the text objects they come from; None where PDFium's text page departs from what pdfminer reads.

    PDFium's text page drops a glyph repeated at the same spot (fake bold) and marks line-end
    hyphens; the caller compares the text objects with those the page draws, to see whether one
    went missing. Text turned by its matrix is left to pdfminer too.
    """
    get_unicode, is_generated, loose_box, text_object = api.unicode, api.generated, api.loose_box, api.text_object
    rect = api.c.FS_RECTF()
    fm = (ctypes.c_float * 6)()  # FS_MATRIX: a, b, c, d, e, f
    rect_ref, fm_ref = ctypes.addressof(rect), ctypes.addressof(fm)
    glyphs = []
    owner, scale = 0, ((1.0, 1.0), 0.0)  # (a null owner, as PDFium gives none)
    seen: set[int] = set()
    for i in range(api.count_chars(raw)):
        code = get_unicode(raw, i)
        if code in _MAYBE_GENERATED and is_generated(raw, i):
            continue
        if code in _NOT_TEXT or not loose_box(raw, i, rect_ref):
            return None
        char_owner = text_object(raw, i)
        if char_owner != owner:  # matrix and font size are the text object's
            if not api.text_matrix(raw, i, fm_ref):
                return None
            a, b, c, d, _, _ = fm[:]  # a slice: one call (iterating a ctypes array reads item by item)
            if b != 0 or c != 0 or a <= 0 or d <= 0:
                return None
            owner, scale = char_owner, ((a, d), api.char_size(raw, i))
            seen.add(owner)
        glyphs.append((i, code, owner, rect.left, rect.right, rect.bottom, scale))
    return glyphs, seen


def _plain_page_chars(api: _Api, raw: int, frame: _Frame) -> tuple[list[Letter], set[int]] | None:
    """:func:`_glyphs` then :func:`_chars` in one pass, for the usual page: not turned, horizontal letter
    boxes, no vertical writing, nothing PDFium reads otherwise; None for any other page (read in two
    passes then). The chars, as letters (x0, top, x1, bottom, text; then their box before the shift to the
    media box: x0, x1, y0, y1, for :func:`_letter_chars`), and the text objects they come from.

    A letter's char is made when the next letter is read (its box may end where the next one starts).
    Any letter :func:`_chars` would not read as here makes the page None, whichever test finds it first.
    """
    ca, cb, cc, cd, ce, cf = frame.ctm
    if (ca, cb, cc, cd) != (1, 0, 0, 1):
        return None
    get_unicode, is_generated, loose_box, text_object = api.unicode, api.generated, api.loose_box, api.text_object
    text_matrix, char_size = api.text_matrix, api.char_size
    maybe_generated, not_text, four, six = _MAYBE_GENERATED, _NOT_TEXT, _FOUR, _SIX
    rect = api.c.FS_RECTF()
    fm = (ctypes.c_float * 6)()
    rect_ref, fm_ref = ctypes.addressof(rect), ctypes.addressof(fm)
    dx, dy = frame.dx, frame.dy
    boxes: list[tuple[int, float, float, float, float]] = []  # code, left, right, bottom, height
    append = boxes.append
    seen: set[int] = set()
    owner = 0  # (a null owner, as PDFium gives none) and its text object's measures, as in _glyphs:
    size, widest, height, scaled = 0.0, 0.0, 0.0, False  # a, d = 1.0, size = 0.0
    # the letter read before (its char not made yet): code, left, right, bottom, its text object's height
    last_code = last_left = last_right = last_bottom = last_height = None
    for i in range(api.count_chars(raw)):
        code = get_unicode(raw, i)
        if code in maybe_generated and is_generated(raw, i):
            continue
        if code in not_text or not loose_box(raw, i, rect_ref):
            return None
        left, _, right, bottom = four(rect)  # FS_RECTF: left, top, right, bottom
        char_owner = text_object(raw, i)
        if char_owner != owner:  # matrix and font size are the text object's (as in _glyphs)
            if not text_matrix(raw, i, fm_ref):
                return None
            a, b, c, d, _, _ = six(fm)
            if b != 0 or c != 0 or a <= 0 or d <= 0:
                return None
            owner, size = char_owner, char_size(raw, i)
            seen.add(owner)
            widest, height, scaled = 1.5 * size * a, size * d, a != 1
        elif left == last_left and bottom != last_bottom:
            return None  # vertical writing: one letter under another
        elif last_left < left < last_right:
            last_right = left  # the advance, as positioned
        if right - left > widest:
            return None  # not a horizontal letter box
        if scaled and abs(right - left - size) < 1e-3 * size:
            return None  # vertical writing (see _vertical)
        if last_code is not None:
            append((last_code, last_left, last_right, last_bottom, last_height))
        last_code, last_left, last_right, last_bottom, last_height = code, left, right, bottom, height
    if last_code is not None:
        append((last_code, last_left, last_right, last_bottom, last_height))
    letters: list[Letter] = []
    for code, left, right, bottom, height in boxes:  # each box in device space, then on the media box
        x0, x1 = left + ce, right + ce
        y0, y1 = bottom + cf, bottom + height + cf
        if not x0 <= x1:
            x0, x1 = x1, x0
        if not y0 <= y1:
            y0, y1 = y1, y0
        letters.append((x0 + dx, dy - y1, x1 + dx, dy - y0, chr(code), x0, x1, y0, y1))
    return letters, seen


def _chars(api: _Api, raw: int, glyphs: list[tuple], frame: _Frame, page_number: int) -> list[dict[str, Any]] | None:
    """pdfplumber's chars of the glyphs (one each), or None for a glyph box that is not horizontal.

    In vertical writing (a CJK ``-V`` encoding) pdfminer's box is one font size square from the
    glyph's lower left corner, which is PDFium's char origin there.
    """
    vertical = _vertical(glyphs)
    ox, oy = ctypes.c_double(), ctypes.c_double()
    ox_ref, oy_ref = ctypes.addressof(ox), ctypes.addressof(oy)
    ca, cb, cc, cd, ce, cf = frame.ctm
    dx, dy, doctop = frame.dx, frame.dy, frame.doctop
    upright = ca * cd > 0 and cb * cc <= 0  # the page's turn; the text's own matrix is upright
    chars = []
    for n, (i, code, owner, left, right, bottom, ((a, d), size)) in enumerate(glyphs):
        if owner in vertical:
            api.char_origin(raw, i, ox_ref, oy_ref)
            left, bottom = ox.value, oy.value
            right, top = left + size * a, bottom + size * d
        else:
            if right - left > 1.5 * size * a:
                return None  # not a horizontal glyph box
            top = bottom + size * d  # pdfminer: one font size up from the descent
            if n + 1 < len(glyphs) and glyphs[n + 1][2] == owner and left < glyphs[n + 1][3] < right:
                # the advance, as positioned: PDFium's loose width may come from a substitute font
                right = glyphs[n + 1][3]
        # the box's corners in device space (pdfminer's page rotation), ordered
        x0, x1 = ca * left + cc * bottom + ce, ca * right + cc * top + ce
        y0, y1 = cb * left + cd * bottom + cf, cb * right + cd * top + cf
        x0, x1 = (x0, x1) if x0 <= x1 else (x1, x0)
        y0, y1 = (y0, y1) if y0 <= y1 else (y1, y0)
        chars.append({"x0": x0 + dx, "y0": y0, "x1": x1 + dx, "y1": y1, "top": dy - y1, "bottom": dy - y0,
                      "doctop": doctop + dy - y1, "width": x1 - x0, "height": y1 - y0, "object_type": "char",
                      "page_number": page_number, "text": chr(code), "upright": upright,
                      "size": (x1 - x0) if owner in vertical else (y1 - y0)})
    return chars


def _vertical(glyphs: list[tuple]) -> set[int]:
    """The text objects written vertically: glyphs one under another, or PDFium's vertical loose box.

    PDFium's loose box of a vertical glyph is one unscaled font size wide, whatever the text matrix.
    """
    out = set()
    for n, (_, _, owner, left, right, bottom, ((a, _), size)) in enumerate(glyphs):
        if a != 1 and abs(right - left - size) < 1e-3 * size:
            out.add(owner)
        elif n + 1 < len(glyphs) and glyphs[n + 1][2] == owner and glyphs[n + 1][3] == left \
                and glyphs[n + 1][5] != bottom:
            out.add(owner)
    return out


class _Printed:
    """The text objects a page draws, and whether PDFium's text page may read them otherwise than pdfminer.

    PDFium's text page takes a marked span's /ActualText for the glyphs and drops a text object
    printed again over itself (fake bold); pdfminer reads the glyphs, every time they are printed.
    """

    def __init__(self, api: _Api) -> None:
        self.handles: set[int] = set()
        self.page_level: list[int] = []  # the text objects of the page's own content, in order
        self.doubtful = False
        self._api = api
        self._bounds = (ctypes.c_float * 5)()  # left, bottom, right, top; font size
        self._matrix = (ctypes.c_float * 6)()

    def flat_top(self, obj: int, bottom: float, top: float) -> float:
        """The top of a text object's box whose bounds are flat (``top - bottom < 0.01``).

        Glyphs PDFium has no outline for (a font it cannot find) give a flat box: one font size high.
        """
        api, bounds = self._api, self._bounds
        if api.object_size(obj, ctypes.addressof(bounds) + 16) \
                and api.object_matrix(obj, ctypes.addressof(self._matrix)):
            _, _, c, d, _, _ = _SIX(self._matrix)
            return bottom + bounds[4] * math.hypot(c, d)
        return top

    def check_marks(self, obj: int) -> None:
        """Doubtful if the text object is in a marked span with /ActualText."""
        c = self._api.c
        handle = ctypes.cast(obj, c.FPDF_PAGEOBJECT)
        for index in range(c.FPDFPageObj_CountMarks(handle)):
            mark = c.FPDFPageObj_GetMark(handle, index)
            if c.FPDFPageObjMark_GetParamValueType(mark, b"ActualText") != c.FPDF_OBJECT_UNKNOWN:
                self.doubtful = True


def _overprinted(boxes: list[tuple[float, float, float, float]]) -> bool:
    """Whether two text boxes (left, bottom, right, top) overlap by more than half the smaller one.

    Boxes are swept bottom to top: only those still open (their top above the next box's bottom)
    can overlap it, usually the few on the same line, and of those only the ones it meets across.
    """
    boxes = sorted((b for b in boxes if b[2] > b[0] and b[3] > b[1]), key=_bottom)
    open_boxes: list[tuple[float, float, float, float]] = []  # left, right, top, area
    lowest = math.inf  # the lowest top of the open boxes
    for left, bottom, right, top in boxes:
        if lowest <= bottom:  # closed ones left out: every later box starts at or above this bottom
            open_boxes = [box for box in open_boxes if box[2] > bottom]
            lowest = min([box[2] for box in open_boxes], default=math.inf)
        area = (right - left) * (top - bottom)
        for left2, right2, top2, area2 in open_boxes:
            if left2 < right and right2 > left:  # (what a positive width below needs)
                width = (right if right < right2 else right2) - (left if left > left2 else left2)
                height = (top if top < top2 else top2) - bottom
                if width > 0 and height > 0 and width * height > 0.5 * (area if area < area2 else area2):
                    return True
        open_boxes.append((left, right, top, area))
        if top < lowest:
            lowest = top
    return False


def _bottom(box: tuple[float, float, float, float]) -> float:
    return box[1]


def _paths(api: _Api, page: int, form: int | None, frame: _Frame, page_number: int,
           objects: dict[str, list[dict[str, Any]]], printed: _Printed, outer: Matrix = (1, 0, 0, 1, 0, 0)) -> None:
    """Lines, rects and curves of every painted path, in content order, form XObjects included;
    every text object goes to ``printed``."""
    if form is None:
        count, get_object, holder = api.count_objects(page), api.page_object, page
    else:
        count, get_object, holder = api.count_form_objects(form), api.form_object, form
    object_type, object_matrix, count_marks, get_bounds = api.object_type, api.object_matrix, api.count_marks, \
        api.bounds
    fm = (ctypes.c_float * 6)()
    fm_ref = ctypes.addressof(fm)
    # every text object: noted (and its place in the page's own content), its marks checked, its bounds kept
    handles, page_level, at_page = printed.handles, printed.page_level, form is None
    bounds = printed._bounds  # left, bottom, right, top
    left_ref = ctypes.addressof(bounds)
    bottom_ref, right_ref, top_ref = left_ref + 4, left_ref + 8, left_ref + 12
    text_boxes: list[tuple[float, float, float, float]] = []
    note, keep, four, text = handles.add, text_boxes.append, _FOUR, _TEXT
    for i in range(count):
        obj = get_object(holder, i)
        kind = object_type(obj)
        if kind == text:
            note(obj)
            if at_page:
                page_level.append(obj)
            if count_marks(obj):
                printed.check_marks(obj)
            if get_bounds(obj, left_ref, bottom_ref, right_ref, top_ref):
                left, bottom, right, top = four(bounds)
                if top - bottom < 0.01:
                    top = printed.flat_top(obj, bottom, top)
                keep((left, bottom, right, top))
            continue
        if kind not in (_PATH, _FORM) or not object_matrix(obj, fm_ref):
            continue
        m = _mult(_SIX(fm), outer)
        if kind == _FORM:
            _paths(api, page, obj, frame, page_number, objects, printed, m)
        else:
            for shape, pts in _subpaths(api, obj, frame, m):
                _add_path(shape, pts, frame, page_number, objects)
    if _overprinted(text_boxes):
        printed.doubtful = True


def _subpaths(api: _Api, obj: int, frame: _Frame, m: Matrix) -> list[tuple[str, list[tuple[float, float]]]]:
    """(shape, device end points) per subpath in pdfminer's letters: m(ove), l(ine), c(urve), h(close)."""
    a, b, c, d, e, f = _mult(m, frame.ctm)
    xy = (ctypes.c_float * 2)()
    x_ref = ctypes.addressof(xy)
    y_ref = x_ref + 4
    get_segment, segment_type, get_point, closes = api.segment, api.segment_type, api.point, api.closes
    out: list[tuple[str, list[tuple[float, float]]]] = []
    shape, pts = "", []
    bezier = 0
    for i in range(api.count_segments(obj)):
        seg = get_segment(obj, i)
        kind = segment_type(seg)
        if kind == _BEZIER:
            bezier += 1
            if bezier % 3:
                continue  # a control point: pdfminer keeps only a curve's end point
        if kind == _MOVE and shape:
            out.append((shape, pts))
            shape, pts = "", []
        get_point(seg, x_ref, y_ref)
        x, y = _TWO(xy)
        pt = (a * x + c * y + e, b * x + d * y + f)
        closing = kind != _MOVE and closes(seg)
        if pts and kind == _LINE and closing and pt == pts[0]:
            # PDFium closes a subpath with a segment back to its start; pdfminer with "h"
            shape, pts = shape + "h", pts + [pt]
        else:
            shape += "m" if kind == _MOVE else ("c" if kind == _BEZIER else "l")
            pts.append(pt)
            if closing:
                shape, pts = shape + "h", pts + [pts[0]]
    if shape:
        out.append((shape, pts))
    return out


class _Dropped:
    """Glyphs PDFium's text page dropped from a page, to be read from the page's content stream.

    PDFium leaves out a text object whose box has no width: one glyph of a font it cannot find
    (an unembedded CJK font on a system without it) has no outline, so no width. pdfminer reads
    it like any other. Such a glyph is taken from the content stream (see :func:`_lone_glyphs`):
    its char code there, decoded by pdfminer's font as pdfminer decodes it, placed where PDFium
    places the text object, sized as pdfminer sizes a char.
    """

    def __init__(self, api: _Api, page: PdfiumPage, glyphs: list[tuple], printed: _Printed,
                 missing: set[int], frame: _Frame):
        self.page = page
        self.frame = frame
        self.order = printed.page_level
        self.owners = [glyph[2] for glyph in glyphs]
        texts: dict[int, list[str]] = {}
        for glyph in glyphs:
            texts.setdefault(glyph[2], []).append(chr(glyph[1]))
        self.texts = {owner: "".join(letters) for owner, letters in texts.items()}
        fm = (ctypes.c_float * 6)()
        self.matrices: dict[int, Matrix | None] = {}
        for obj in missing:
            self.matrices[obj] = tuple(fm[:]) if api.object_matrix(obj, ctypes.addressof(fm)) else None

    @staticmethod
    def possible(printed: _Printed, missing: set[int]) -> bool:
        """Only text objects of the page's own content (no text in forms: their order is not the stream's)."""
        return len(printed.page_level) == len(printed.handles) and missing <= printed.handles

    def complete(self, found: list[tuple[int, dict[str, Any]]]) -> PdfiumPage:
        """The page with the chars found (each after the chars of the text object printed before it)."""
        chars = self.page.objects["char"]
        position = {obj: n for n, obj in enumerate(self.order)}
        for obj, char in sorted(found, key=lambda item: position[item[0]], reverse=True):
            before = {o for o in self.order[:position[obj]]}
            at = max((n + 1 for n, owner in enumerate(self.owners) if owner in before), default=0)
            chars.insert(at, char)
            self.owners.insert(at, obj)
        return self.page

    def char(self, obj: int, text: str, width: float, size: float, descent: float) -> dict[str, Any] | None:
        """pdfminer's char of one glyph (advance ``width``, font ``size``, ``descent`` below the baseline)."""
        matrix = self.matrices.get(obj)
        if matrix is None:
            return None
        a, b, c, d, e, f = matrix
        if b != 0 or c != 0 or a <= 0 or d <= 0:
            return None
        left, bottom = e, d * descent + f
        right, top = a * width + e, d * (descent + size) + f
        frame = self.frame
        ca, cb, cc, cd, ce, cf = frame.ctm
        x0, x1 = ca * left + cc * bottom + ce, ca * right + cc * top + ce
        y0, y1 = cb * left + cd * bottom + cf, cb * right + cd * top + cf
        x0, x1 = (x0, x1) if x0 <= x1 else (x1, x0)
        y0, y1 = (y0, y1) if y0 <= y1 else (y1, y0)
        dx, dy, doctop = frame.dx, frame.dy, frame.doctop
        return {"x0": x0 + dx, "y0": y0, "x1": x1 + dx, "y1": y1, "top": dy - y1, "bottom": dy - y0,
                "doctop": doctop + dy - y1, "width": x1 - x0, "height": y1 - y0, "object_type": "char",
                "page_number": self.page.page_number, "text": text, "upright": ca * cd > 0 and cb * cc <= 0,
                "size": y1 - y0}


def _lone_glyphs(data: bytes, dropped: dict[int, _Dropped], count: int) -> dict[int, list[tuple[int, dict]]]:
    """Per page index of ``dropped``, the (text object, char) of each dropped glyph; a page left out where
    the content stream does not tell them safely (that page is then read by pdfminer as a whole).

    Every show-text operator of the page's content is one text object of PDFium, in order; the
    texts of the objects PDFium kept must be pdfminer's decoding of their operators, else the page
    is left out. A dropped object must be one string of one glyph, in a font written horizontally,
    with no horizontal scaling or rise anywhere on the page.
    """
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfinterp import PDFResourceManager
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser

    out: dict[int, list[tuple[int, dict]]] = {}
    try:
        document = PDFDocument(PDFParser(io.BytesIO(data)))
        pages = list(PDFPage.create_pages(document))
    except Exception:  # pdfminer cannot list the pages: pdfplumber reads (or refuses) each page itself
        return out
    if len(pages) != count:
        return out
    manager = PDFResourceManager()
    for index, missing in dropped.items():
        try:
            found = _page_glyphs(pages[index], manager, missing)
        except Exception:  # a content stream or font pdfminer reads otherwise: the page goes to pdfminer
            found = None
        if found is not None:
            out[index] = found
    return out


def _page_glyphs(page, manager, missing: _Dropped) -> list[tuple[int, dict]] | None:
    from pdfminer.pdftypes import PDFObjRef, dict_value

    resources = dict_value(page.resources)
    fonts = {}
    for name, spec in dict_value(resources.get("Font", {})).items():
        fonts[name] = manager.get_font(spec.objid if isinstance(spec, PDFObjRef) else None, dict_value(spec))
    shows = _shows(b"\n".join(stream.get_data() for stream in page.contents))
    if shows is None:
        return None
    if len(shows) != len(missing.order):
        shows = [show for show in shows if any(isinstance(part, bytes) and part for part in show[2])]
        if len(shows) != len(missing.order):
            return None
    found = []
    for obj, (name, size, parts) in zip(missing.order, shows):
        font = fonts.get(name)
        if font is None:
            return None
        cids = [cid for part in parts if isinstance(part, bytes) for cid in font.decode(part)]
        text = "".join(font.to_unichr(cid) for cid in cids)
        if obj not in missing.matrices:
            if missing.texts.get(obj, "") != text:
                return None
            continue
        if len(parts) != 1 or len(cids) != 1 or font.is_vertical() or not isinstance(size, (int, float)):
            return None
        char = missing.char(obj, text, font.char_width(cids[0]) * size, size, font.get_descent() * size)
        if char is None:
            return None
        found.append((obj, char))
    return found


_WS = rb"(?:[ \t\r\n\f\x00]+|%[^\r\n]*)*"  # white space and comments
_REGULAR = rb"[^ \t\r\n\f\x00()<>\[\]{}/%]"
_NUMBER = rb"[+-]?(?:\d+\.?\d*|\.\d+)"
_NUMBER_TOKEN = _NUMBER + rb"(?!" + _REGULAR + rb")"
# an operator whose operands do not matter here (nor the operands: the operator clears them)
_OTHER_OPERATOR = rb"(?!" + _NUMBER_TOKEN + rb"|(?:Tf|Tj|TJ|Tz|Ts|q|Q|BI|'|\")(?!" + _REGULAR + rb"))" \
    + _REGULAR + rb"+"
# One token per match (white space and comments before it included), told by its group number:
# 1 numbers and other operators, as many as follow each other (paths, colours, positions),
# 2 a number, 3 an operator (or keyword), 4 a name, 5 a literal string without nested parentheses
# and with the escapes pdfminer reads as the PDF specification does, 6 any other literal string
# (read by :func:`_literal`), 7 a hex string, 8 an array or dictionary bracket, 9 anything else;
# none at the end.
_CONTENT_TOKEN = re.compile(
    _WS + rb"(?:((?:" + _WS + rb"(?:" + _NUMBER_TOKEN + _WS + rb")*" + _OTHER_OPERATOR + rb")+)"
    rb"|(" + _NUMBER + rb")(?!" + _REGULAR + rb")|(" + _REGULAR + rb"+)"
    rb"|/(" + _REGULAR + rb"*)|\(((?:[^\\()]|\\(?:[0-7]{1,3}|[btnfr()\\]))*)\)|(\()"
    rb"|<([0-9A-Fa-f \t\r\n\f\x00]*)>|(<<|>>|\[|\]|\{|\})|(.)|\Z)", re.S)
_ESCAPE = re.compile(rb"\\([0-7]{1,3}|.)", re.S)
_STRING_STOP = re.compile(rb"[\\()]")
_OCTAL = re.compile(rb"[0-7]{1,3}")
_ESCAPES = {ord("b"): 8, ord("t"): 9, ord("n"): 10, ord("f"): 12, ord("r"): 13, ord("("): 40, ord(")"): 41,
            ord("\\"): 92}
_ARRAY = object()  # an open "[" on the operand stack
_SHOW = {b"Tj", b"'", b'"', b"TJ"}


def _shows(content: bytes) -> list[tuple[str | None, object, list]] | None:
    """The show-text operators of a content stream in order: (font name, font size, operand parts), parts
    being strings (bytes) and numbers; None for content read otherwise than by this small reader
    (inline images, escapes pdfminer reads in its own way, horizontal scaling, rise)."""
    stack: list = []
    font: tuple[str | None, object] = (None, None)
    saved: list[tuple[str | None, object]] = []
    shows: list[tuple[str | None, object, list]] = []
    at, end = 0, len(content)
    while at < end:
        for m in _CONTENT_TOKEN.finditer(content, at):
            kind = m.lastindex
            if kind == 1:
                if _ARRAY in stack:
                    return None
                stack = []
            elif kind == 2:
                token = m.group(2)
                stack.append(float(token) if b"." in token else int(token))
            elif kind == 3:
                token = m.group(3)
                if token in _SHOW:
                    if not stack:
                        return None
                    parts = stack[-1] if token == b"TJ" else [stack[-1]]
                    if not isinstance(parts, list) or _ARRAY in stack:
                        return None
                    shows.append((font[0], font[1], parts))
                elif token == b"Tf":
                    if len(stack) < 2 or not isinstance(stack[-2], tuple):
                        return None
                    font = (stack[-2][1], stack[-1])
                elif token == b"q":
                    saved.append(font)
                elif token == b"Q":
                    font = saved.pop() if saved else font
                elif token in (b"Tz", b"Ts"):
                    if not stack or stack[-1] != (100 if token == b"Tz" else 0):
                        return None
                elif token == b"BI":
                    return None
                if _ARRAY not in stack:
                    stack = []
            elif kind == 4:
                if b"#" in m.group(4):
                    return None
                stack.append(("name", m.group(4).decode("latin-1")))
            elif kind == 5:
                value = m.group(5)
                if b"\\" in value:
                    try:
                        value = _ESCAPE.sub(_unescape, value)
                    except ValueError:  # an octal code over 255: pdfminer refuses it
                        return None
                stack.append(value)
            elif kind == 6:  # nested parentheses: read by hand, then tokens from after the string
                read = _literal(content, m.end())
                if read is None:
                    return None
                stack.append(read[0])
                at = read[1]
                break
            elif kind == 7:
                digits = re.sub(rb"[ \t\r\n\f\x00]", b"", m.group(7))
                if len(digits) % 2:
                    return None
                stack.append(bytes.fromhex(digits.decode()))
            elif kind == 8:
                token = m.group(8)
                if token == b"[":
                    stack.append(_ARRAY)
                elif token == b"]":
                    if _ARRAY not in stack:
                        return None
                    start = len(stack) - 1 - stack[::-1].index(_ARRAY)
                    stack[start:] = [stack[start + 1:]]
                elif token in (b"{", b"}"):
                    return None
                # dictionaries (marked-content properties) are not needed
            elif kind == 9:
                return None
            else:  # the end
                return shows
        else:
            return shows
    return shows


def _unescape(m: re.Match) -> bytes:
    """A backslash escape as pdfminer reads it (ValueError for an octal code over 255)."""
    code = m.group(1)
    if code[0] in b"01234567":
        return bytes((int(code, 8),))
    return bytes((_ESCAPES[code[0]],))


def _literal(content: bytes, at: int) -> tuple[bytes, int] | None:
    """A literal string's bytes (from just after its "(") and the position after it, as pdfminer reads it."""
    out = bytearray()
    depth = 1
    while True:
        m = _STRING_STOP.search(content, at)
        if m is None:
            return None
        j = m.start()
        out += content[at:j]
        c = content[j]
        if c == 92:  # backslash
            octal = _OCTAL.match(content, j + 1)
            if octal:
                code = int(octal.group(), 8)
                if code > 255:
                    return None
                out.append(code)
                at = octal.end()
            elif j + 1 < len(content) and content[j + 1] in _ESCAPES:
                out.append(_ESCAPES[content[j + 1]])
                at = j + 2
            else:
                return None
        elif c == 40:
            depth += 1
            out.append(c)
            at = j + 1
        else:
            depth -= 1
            if not depth:
                return bytes(out), j + 1
            out.append(c)
            at = j + 1


def _add_path(shape: str, pts: list[tuple[float, float]], frame: _Frame, page_number: int,
              objects: dict[str, list[dict[str, Any]]]) -> None:
    if shape[:1] != "m":
        return
    # Drop a redundant "l" on a path closed with "h" (as pdfminer does)
    if len(shape) > 3 and shape[-2:] == "lh" and pts[-2] == pts[0]:
        shape = shape[:-2] + "h"
        pts = pts[:-1]
    if shape in ("mlh", "ml"):
        kind, pts = "line", pts[:2]
    elif shape in ("mlllh", "mllll"):
        (x0, y0), (x1, y1), (x2, y2), (x3, y3), _ = pts
        square = (x0 == x1 and y1 == y2 and x2 == x3 and y3 == y0) or (y0 == y1 and x1 == x2 and y2 == y3 and x3 == x0)
        if pts[0] == pts[4] and square:
            kind, pts = "rect", [(x0, y0), (x2, y0), (x2, y2), (x0, y2)]
        else:
            kind = "curve"
    else:
        kind = "curve"
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    x0, y0, x1, y1 = min(xs), min(ys), max(xs), max(ys)
    dx, dy = frame.dx, frame.dy
    top = dy - y1
    objects[kind].append({"x0": x0 + dx, "y0": y0, "x1": x1 + dx, "y1": y1, "top": top, "bottom": dy - y0,
                          "doctop": frame.doctop + top, "width": x1 - x0, "height": y1 - y0, "object_type": kind,
                          "page_number": page_number, "pts": [(x + dx, dy - y) for x, y in pts]})
