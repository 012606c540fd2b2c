"""HTML reports: find the article inside a full web page, keep tables as grids with spans."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from ..errors import NotAReport, ReadError
from ..model import Block, Cell
from .blocks import UNCLEAN, assemble, clean_cell
from .limits import Limits
from .text import decode_text

_DROP = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe", "select",
         "button", "template", "svg", "object", "embed", "head")
_BLOCK_TAGS = {"p", "div", "table", "td", "th", "tbody", "section", "article", "main", "li", "ul", "ol",
               "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "center", "dl", "dt", "dd", "tr",
               "body", "html"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_CELL_TAGS = ("td", "th")  # the HTML parser gives lower-case names
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_-]+)""", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_MAX_SPAN = 1000
# a numbered heading (一、) is this not after （ or (: a look-behind would keep re from skipping
# to the numerals quickly, so _count_markers checks the character before
_MARKER_AHEAD = re.compile(r"[一二三四五六七八九十]{1,2}、")
_TITLE = re.compile(r"(?:19|20)\d{2}\s*年.{0,40}(?:信息公开|政务公开).{0,12}(?:报告|年报)")
_LAYOUT_CELL_CHARS = 200


_LATIN = ("ascii", "us-ascii", "iso-8859-1", "latin1", "latin-1", "windows-1252", "cp1252")


def _decode(data: bytes, source: str) -> tuple[str, str]:
    """Markup text and its encoding. Valid UTF-8 wins over the declared charset (sites often declare
    gb2312 for UTF-8 pages and vice versa); a declared Western charset is never trusted for Chinese text."""
    if not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-8").replace("\r\n", "\n"), "utf-8"
        except UnicodeDecodeError:
            pass
        m = _CHARSET.search(data[:4096])
        declared = m.group(1).decode("ascii", "replace").lower() if m else ""
        if declared in ("gb2312", "gbk"):
            declared = "gb18030"
        if declared and declared not in _LATIN and not declared.startswith("utf"):
            try:
                return data.decode(declared).replace("\r\n", "\n"), declared
            except (LookupError, UnicodeDecodeError):
                pass
    return decode_text(data, source)


def _span(value: str | None) -> int:
    if value is None:  # most cells: no exception to pay for
        return 1
    try:
        return max(1, min(_MAX_SPAN, int(str(value).strip())))
    except (TypeError, ValueError):
        return 1


def _tag(el) -> str:
    tag = el.tag
    return tag.lower() if isinstance(tag, str) else ""


@cache
def _string_value():
    """XPath ``string()``: the text under an element (what lxml.html's ``text_content`` returns)."""
    from lxml import etree

    return etree.XPath("string()", smart_strings=False)


def text_content(el) -> str:
    """All text under ``el`` (its own tail excluded), in a tree parsed without comments and processing
    instructions (as :func:`load_html` parses: a lone child is then an element)."""
    count = len(el)
    if not count:  # no children: the text is the element's own
        return el.text or ""
    if count == 1:  # one child without children (most table cells: <td><p>12</p></td>)
        child = el[0]
        if not len(child):
            return (el.text or "") + (child.text or "") + (child.tail or "")
    return _string_value()(el)


def _count_markers(text: str) -> int:
    """Numbered headings in ``text``: ``len(re.findall(r"(?<![（(])[一二三四五六七八九十]{1,2}、", text))``
    (a match after （ or ( is not one, and the search goes on from its next character)."""
    count = pos = 0
    while (m := _MARKER_AHEAD.search(text, pos)) is not None:
        at = m.start()
        if at and text[at - 1] in "（(":
            pos = at + 1
        else:
            count += 1
            pos = m.end()
    return count


def _drop_tree(el) -> None:
    """Remove ``el`` with its children and text; its tail joins the previous element or the parent."""
    parent = el.getparent()
    if el.tail:
        previous = el.getprevious()
        if previous is None:
            parent.text = (parent.text or "") + el.tail
        else:
            previous.tail = (previous.tail or "") + el.tail
    parent.remove(el)


def _solid_len(text: str) -> int:
    """Length of ``text`` without whitespace (str.split and re's \\s know the same whitespace)."""
    return len("".join(text.split()))


class _Measures:
    """What the article search and the walk ask of an element, computed once per element of one page
    (the search looks at a node and all its children level after level; the tree does not change)."""

    def __init__(self) -> None:
        self._text: dict = {}
        self._text_len: dict = {}
        self._markers: dict = {}
        self._layout: dict = {}

    def text(self, el) -> str:
        """All text under ``el`` (both measures below read it)."""
        value = self._text.get(el)
        if value is None:
            value = self._text[el] = text_content(el)
        return value

    def text_len(self, el) -> int:
        """Length of the non-link, non-space text under ``el``: navigation menus are mostly links."""
        value = self._text_len.get(el)
        if value is None:
            links = sum(_solid_len(text_content(a)) for a in el.iter("a"))
            value = self._text_len[el] = _solid_len(self.text(el)) - links
        return value

    def markers(self, el) -> int:
        """Numbered section-like headings (一、 二、 …) under ``el``."""
        value = self._markers.get(el)
        if value is None:
            value = self._markers[el] = _count_markers(self.text(el))
        return value

    def is_layout_table(self, table) -> bool:
        value = self._layout.get(table)
        if value is None:
            value = self._layout[table] = is_layout_table(table)
        return value

    def is_leaf(self, el) -> bool:
        """A paragraph or a data table: the article is never inside one."""
        tag = _tag(el)
        return tag == "p" or (tag == "table" and not self.is_layout_table(el))


def _article(body, measures: _Measures):
    """The element holding the report: descend while one child holds most of the text, or all of
    the numbered headings (a sidebar full of plain text must not keep the whole page)."""
    node = body
    while True:
        own = measures.text_len(node)
        children = [c for c in node if isinstance(c.tag, str)]
        best = max(children, key=measures.text_len, default=None)
        if best is None or own == 0:
            return node
        marks = measures.markers(node)
        if marks >= 3:
            # Follow the numbered headings: the child holding (nearly) all of them.
            by_marks = max(children, key=measures.markers)
            if measures.markers(by_marks) >= 0.9 * marks and not measures.is_leaf(by_marks):
                node = by_marks
                continue
            if measures.markers(best) < 0.9 * marks:
                return node
        if measures.is_leaf(best) or measures.text_len(best) < 0.7 * own:
            return node
        node = best


def is_layout_table(table) -> bool:
    """Old portals lay out whole pages with tables: nested tables or long prose cells give them away.

    Data tables of these reports have short cells (the longest official label is under 40 characters).
    """
    if any(inner is not table for inner in table.iter("table")):
        return True
    for cell in table.iter("td", "th"):
        text = text_content(cell)
        # removing spaces only shortens a text: a short one needs no closer look
        if len(text) > _LAYOUT_CELL_CHARS and _solid_len(text) > _LAYOUT_CELL_CHARS:
            return True
    return False


def _title_outside(doc, article) -> str | None:
    """A report title printed outside the article element (page heading, or the <title> tag)."""
    tags = ("h1", "h2", "h3", "div", "p", "td", "span", "strong")
    # the article's ancestors hold its text, and more: skipped when that is too long for a title
    for el in _outside(article, tags, not _too_long_for_title(text_content(article))):
        raw = text_content(el)
        if len(raw) < 6 or "公" not in raw or "开" not in raw or _too_long_for_title(raw):
            continue
        text = clean_cell(raw)
        if 6 <= len(text) <= 80 and _TITLE.search(text):
            return text
    return None


def _outside(article, tags: tuple[str, ...], with_ancestors: bool) -> Iterator:
    """What ``root.iter(*tags)`` yields (root: the article's root element) less the article and
    everything in it, and less the article's ancestors unless ``with_ancestors``: the subtrees
    beside the path from the root to the article, read in document order."""
    path = [article, *article.iterancestors()][::-1]

    def below(level: int) -> Iterator:
        node, step = path[level], path[level + 1]
        if with_ancestors and node.tag in tags:
            yield node
        for child in node:
            if child is step:
                if level + 2 < len(path):
                    yield from below(level + 1)
            else:
                yield from child.iter(*tags)

    return below(0) if len(path) > 1 else iter(())


def _too_long_for_title(raw: str) -> bool:
    """True when ``clean_cell(raw)`` is surely longer than a title (80 characters): cleaning removes only
    spaces and zero-width characters, so over 80 other characters in the first 200 are too many."""
    return len(UNCLEAN.sub("", raw[:200])) > 80  # the characters clean_cell keeps


def table_grid(table) -> list[list[Cell]]:
    """Rows of ``table`` as printed (spans kept, no cell duplicated); nested tables become cell text."""
    rows: list[list[Cell]] = []
    # the rows of a nested table are its own (looked for only when there is one)
    nested = any(inner is not table for inner in table.iter("table"))
    for tr in table.iter("tr"):
        if nested and _owning_table(tr) is not table:
            continue
        cells = [Cell(clean_cell(text_content(td)), _span(td.get("rowspan")), _span(td.get("colspan")))
                 for td in tr if td.tag in _CELL_TAGS]  # (lxml's tag filter costs more per row)
        if cells:
            rows.append(cells)
    return rows


def _owning_table(el):
    parent = el.getparent()
    while parent is not None and _tag(parent) != "table":
        parent = parent.getparent()
    return parent


def _blocks(root, measures: _Measures) -> list[Block]:
    blocks: list[Block] = []
    buffer: list[str] = []
    kind = ["paragraph"]

    def flush() -> None:
        if buffer:
            text = clean_cell("".join(buffer))
            if text:
                blocks.append(Block(kind[0], text))
            buffer.clear()
        kind[0] = "paragraph"

    def walk(el) -> None:
        tag = _tag(el)
        if tag == "table" and not measures.is_layout_table(el):
            flush()
            rows = table_grid(el)
            if rows:
                blocks.append(Block("table", "", rows=rows))
            tail = el.tail
            if tail:
                buffer.append(tail)
            return
        if tag == "br":
            flush()
        elif tag in _BLOCK_TAGS:
            flush()
            if tag in _HEADINGS:
                kind[0] = "heading"
        if tag:
            text = el.text
            if text:
                buffer.append(text)
        for child in el:
            walk(child)
        if tag in _BLOCK_TAGS:
            flush()
        tail = el.tail
        if tail:
            buffer.append(tail)

    walk(root)
    flush()
    return blocks


def load_html(data: bytes, source: str, limits: Limits) -> tuple[str, str, list[Block]]:
    """``(text, encoding, blocks)`` of an HTML page or fragment (the text length limit is checked
    right after parsing, before the page is walked element by element)."""
    from lxml import etree

    markup, encoding = _decode(data, source)
    markup = _XML_DECL.sub("", markup)
    parser = etree.HTMLParser(no_network=True, huge_tree=False, remove_comments=True, remove_pis=True,
                             recover=True)
    try:
        doc = etree.fromstring(markup, parser)
        if doc is None:
            raise etree.ParserError("Document is empty")
    except (etree.ParserError, ValueError) as exc:
        raise ReadError(f"HTML 无法解析 ({exc}); save the page again or as .txt", source) from exc
    fatal = [e.message for e in parser.error_log if e.level == etree.ErrorLevels.FATAL]
    if fatal:
        # libxml2 stops at a fatal error (e.g. nesting deeper than 255 elements): the rest would be lost
        reason = "nesting depth over 255 elements" if "depth" in fatal[0] else fatal[0][:120]
        raise ReadError(f"HTML 结构异常, 解析在中途停止 ({reason}); "
                        "the page is not a normal report page: save its text as .txt", source)
    head_title = doc.find(".//title")
    page_title = clean_cell(text_content(head_title)) if head_title is not None else ""
    for el in list(doc.iter(*_DROP)):
        if el.getparent() is not None:
            _drop_tree(el)
    limits.check_text(len(text_content(doc)), source)
    body = doc.find("body")
    if body is None:
        raise NotAReport("HTML 中没有正文 (no <body> content)", source)
    measures = _Measures()
    article = _article(body, measures)
    blocks = _blocks(article, measures)
    first = next((b.text for b in blocks if b.kind != "table"), "")
    if not _TITLE.search(first[:80]):
        title = _title_outside(doc, article) or _page_title(page_title)
        if title:
            blocks.insert(0, Block("heading", title))
    text, blocks = assemble(blocks)
    return text, encoding, blocks


def _page_title(text: str) -> str | None:
    """The report title from the page's <title> ("XX年度报告_某某网" → "XX年度报告")."""
    part = clean_cell(re.split(r"\s*(?:_|\||｜|--|—)\s*", text)[0]) if text else ""
    return part if _TITLE.search(part) else None
