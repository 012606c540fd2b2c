"""One exception root for everything gdtools raises on purpose.

Every message names the file (when there is one) and says how to fix the problem,
because a user running a batch of 10,000 reports reads them in an error column.
"""

from __future__ import annotations


class GdtoolsError(Exception):
    """Root of all gdtools errors. ``source`` names the file concerned, if any."""

    def __init__(self, message: str, source: str | None = None):
        self.source = source
        self.reason = message
        super().__init__(f"{source}: {message}" if source else message)


class ReadError(GdtoolsError):
    """A file could not be read as a report (format, encoding, damage, limits)."""


class UnsupportedFormat(ReadError):
    """The file's format is not one gdtools reads, or needs an optional tool."""


class LimitExceeded(ReadError):
    """A configured safety limit (size, pages, decompressed size) was exceeded."""


class NotAReport(ReadError):
    """The file was read but holds no annual-report structure."""


class ExtractionError(GdtoolsError):
    """A table decoder failed on input it should have handled."""


class ValidationError(GdtoolsError):
    """The validation rules or their inputs are malformed."""


class NotebookError(GdtoolsError):
    """A notebook run failed; the partial output was still written."""


class MissingDependency(GdtoolsError):
    """An optional dependency is needed; the message names the extra to install."""
