"""Records passed between pipeline stages.

One :class:`Report` flows through the whole pipeline: loaders fill ``text`` and
``blocks``; metadata, template detection and the section splitter fill the rest.
Every output frame carries ``report_id`` and ``source`` so frames from many reports
concatenate into one corpus frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Column orders of the tidy output frames. Users script against these names.
REPORT_COLUMNS = [
    "report_id", "source", "format", "encoding", "agency", "year", "title", "template",
    "template_evidence", "sections", "n_chars", "status", "error",
]
TABLE_COLUMNS = [
    "report_id", "source", "template", "table", "item", "row_code", "row_label", "col_code",
    "col_label", "value", "unit", "status", "candidates", "raw",
]
FINDING_COLUMNS = [
    "report_id", "source", "rule", "table", "row_label", "col_label", "expected", "actual", "diff",
    "severity", "message",
]
STATEMENT_COLUMNS = [
    "report_id", "source", "section", "idx", "kind", "text", "themes", "cue", "specificity",
    "start", "end",
]

# Cell statuses in the tables frame.
OK, BLANK, UNCERTAIN, MISSING = "ok", "blank", "uncertain", "missing"


@dataclass
class Cell:
    """One cell of a table grid as printed: text plus its spans."""

    text: str
    rowspan: int = 1
    colspan: int = 1


@dataclass
class Block:
    """A unit of the document in reading order.

    ``kind`` is ``heading``, ``paragraph`` or ``table``. Tables keep their grid in
    ``rows`` (spans preserved, no cell duplicated); ``text`` holds the plain text of
    the block as it appears in ``Report.text`` between ``start`` and ``end``.
    ``page`` is the 1-based PDF page the block starts on (None for other formats).
    """

    kind: str
    text: str
    start: int = 0
    end: int = 0
    rows: list[list[Cell]] | None = None
    page: int | None = None


@dataclass
class Field:
    """A metadata value with where it came from (``title``, ``body``, ``filename``, ``header``)."""

    value: Any
    origin: str


@dataclass
class Section:
    """One of the six standard sections (or a legacy section mapped onto one).

    ``code`` is ``一`` … ``六`` (or ``""`` when a legacy heading maps to none);
    ``heading`` is the heading as printed; ``start``/``end`` are offsets into
    ``Report.text`` covering heading and body.
    """

    code: str
    heading: str
    start: int
    end: int
    standard: bool = True
    name: str = ""


@dataclass
class Report:
    """A report as read from one file."""

    report_id: str
    source: str
    format: str
    text: str
    encoding: str | None = None
    blocks: list[Block] = field(default_factory=list)
    metadata: dict[str, Field] = field(default_factory=dict)
    template: str = "unknown"
    template_evidence: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    # (start offset in text, 1-based page number) for PDFs: provenance of page breaks.
    pages: list[tuple[int, int]] = field(default_factory=list)

    def meta(self, key: str) -> Any:
        """The value of metadata ``key`` (``agency``, ``year``, ``title``) or None."""
        item = self.metadata.get(key)
        return None if item is None else item.value

    def section(self, code: str) -> Section | None:
        """The first section with this code (``一`` … ``六``), or None."""
        return next((s for s in self.sections if s.code == code), None)

    def section_text(self, code: str) -> str:
        """The text of section ``code`` including its heading, or ``""`` when absent."""
        sec = self.section(code)
        return "" if sec is None else self.text[sec.start:sec.end]

    def page_at(self, offset: int) -> int | None:
        """The PDF page holding character ``offset`` (None for formats without pages)."""
        page = None
        for start, number in self.pages:
            if start > offset:
                break
            page = number
        return page
