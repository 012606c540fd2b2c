"""Chinese word segmentation with the 政务公开 domain dictionary.

:class:`Segmenter` holds its own tokenizer (never jieba's global one) so loading a
dictionary here changes nothing for other code in the process. jieba is the reference
segmenter; when ``rjieba`` (a Rust port of jieba) is installed it is used instead because it
is an order of magnitude faster and, configured with the same words and frequencies,
cuts Chinese exactly like jieba. Two differences are normalised away:

- a dictionary word jieba already knows is never re-added (adding it would *lower* its
  frequency to ours and change how other text is cut);
- rjieba keeps ASCII runs such as ``www.example.gov.cn`` or ``2020-01-20`` whole, jieba
  splits them at ``.``/``-``/``_``; we split rjieba's runs the same way.

``tests/test_segment.py`` checks token-for-token equality of both engines on the real
corpus. A Segmenter pickles without its engine (workers rebuild it on first use).
"""

from __future__ import annotations

import logging
import os
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from .errors import GdtoolsError
from .spec import read_text

log = logging.getLogger("gdtools")

# Frequency given to dictionary words that do not state one: high enough that every
# term of the shipped dictionary stays whole (tested), low enough not to swallow
# neighbouring common words.
DEFAULT_FREQ = 3000
ENGINES = ("auto", "rjieba", "jieba")
TOKEN_COLUMNS = ["doc", "i", "token", "start", "end", "stopword"]

_ASCII_SPLIT = re.compile(r"([a-zA-Z0-9]+(?:\.\d+)?%?)")  # jieba's finalseg rule for non-Han runs
_ASCII_JOINERS = re.compile(r"[+#&._%\-]")
_NUMBER = re.compile(r"^[\d.,%％]+$")


class SegmenterError(GdtoolsError):
    """A dictionary or stopword file could not be read, or the engine is unavailable."""


def parse_dictionary(text: str, source: str = "dictionary") -> list[tuple[str, int | None, str | None]]:
    """Entries ``(word, freq, tag)`` of a jieba-format dictionary (``word [freq] [tag]``; ``#`` comments)."""
    entries = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip().lstrip("\ufeff")
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        freq = tag = None
        if len(parts) > 1:
            if parts[1].isdigit():
                freq = int(parts[1])
                tag = parts[2] if len(parts) > 2 else None
            else:
                tag = parts[1]
        if len(parts) > 3 or (freq is None and len(parts) > 2):
            raise SegmenterError(f"{source}, line {number}: expected 'word [freq] [tag]', got {raw!r}")
        entries.append((parts[0], freq, tag))
    return entries


def parse_wordlist(text: str) -> set[str]:
    """Words of a one-word-a-line list (``#`` comments, blank lines ignored)."""
    return {line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")}


def _read_user_file(path: str | os.PathLike) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise SegmenterError(f"cannot read dictionary {path}: {exc.strerror or exc}; pass a UTF-8 text file") from exc
    except UnicodeDecodeError as exc:
        raise SegmenterError(f"dictionary {path} is not UTF-8: save it as UTF-8 (one 'word [freq] [tag]' a line)") from exc


def _cache_dir() -> str | None:
    """Where jieba keeps its prefix-dictionary cache: ``$GDTOOLS_CACHE_DIR`` or ``~/.cache/gdtools``."""
    base = os.environ.get("GDTOOLS_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "gdtools")
    try:
        os.makedirs(base, exist_ok=True)
    except OSError:
        return None  # jieba falls back to the system temp dir
    return base


def is_punct(token: str) -> bool:
    """True for whitespace and punctuation tokens (nothing a reader would call a word)."""
    if token[:1].isalnum():  # a letter or digit is never whitespace, punctuation or symbol: decided fast
        return False
    return all(ch.isspace() or unicodedata.category(ch)[0] in "PSZC" for ch in token)


class Segmenter:
    """Segments text into words with the domain dictionary and optional user dictionaries.

    ``userdicts``: paths of extra jieba-format dictionaries (``word [freq] [tag]``).
    ``words``: extra words given directly. ``domain=False`` leaves out the shipped
    ``gdtools/spec/userdict.txt``. ``stopwords``: an iterable of words, a path, or None for
    the shipped ``gdtools/spec/stopwords.txt``. ``engine``: ``auto`` (rjieba when installed,
    else jieba), ``rjieba`` or ``jieba``.
    """

    def __init__(self, userdicts: Iterable[str | os.PathLike] = (), *, words: Iterable[str] = (),
                 domain: bool = True, stopwords: Iterable[str] | str | os.PathLike | None = None,
                 engine: str = "auto", hmm: bool = True):
        if engine not in ENGINES:
            raise SegmenterError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
        entries: list[tuple[str, int | None, str | None]] = []
        if domain:
            entries += parse_dictionary(read_text("userdict.txt"), "gdtools/spec/userdict.txt")
        for path in userdicts:
            entries += parse_dictionary(_read_user_file(path), str(path))
        entries += [(w.strip(), None, None) for w in words if w and w.strip()]
        self.dictionary = entries
        if stopwords is None:
            self.stopwords = frozenset(parse_wordlist(read_text("stopwords.txt")))
        elif isinstance(stopwords, str | os.PathLike):
            self.stopwords = frozenset(parse_wordlist(_read_user_file(stopwords)))
        else:
            self.stopwords = frozenset(stopwords)
        self.hmm = hmm
        self.engine = self._choose_engine(engine)
        self._tokenizer = None

    @staticmethod
    def _choose_engine(engine: str) -> str:
        if engine == "jieba":
            return "jieba"
        try:
            import rjieba  # noqa: F401
        except ImportError as exc:
            if engine == "rjieba":
                raise SegmenterError("engine 'rjieba' is not installed: pip install 'gdtools[fast]'") from exc
            return "jieba"
        return "rjieba"

    # Pickling: ship the configuration, rebuild the engine lazily in the worker.
    def __getstate__(self):
        state = self.__dict__.copy()
        state["_tokenizer"] = None
        return state

    def __repr__(self) -> str:
        return f"Segmenter(engine={self.engine!r}, words={len(self.dictionary)}, stopwords={len(self.stopwords)})"

    @property
    def tokenizer(self):
        """The engine object (a ``jieba.Tokenizer`` or ``rjieba.Jieba``), built on first use."""
        if self._tokenizer is None:
            self._tokenizer = self._build_rjieba() if self.engine == "rjieba" else self._build_jieba()
        return self._tokenizer

    def _build_jieba(self):
        import jieba

        logging.getLogger("jieba").setLevel(logging.WARNING)  # jieba logs its dictionary load at DEBUG to stderr
        tokenizer = jieba.Tokenizer()
        cache = _cache_dir()
        if cache:
            tokenizer.tmp_dir = cache
        tokenizer.initialize()
        for word, freq, tag in self.dictionary:
            if tokenizer.FREQ.get(word, 0) > 0 and freq is None:
                continue
            tokenizer.add_word(word, freq or DEFAULT_FREQ, tag)
        return tokenizer

    def _build_rjieba(self):
        import rjieba

        tokenizer = rjieba.Jieba()
        for word, freq, tag in self.dictionary:
            if freq is None and tokenizer.has_word(word):
                continue
            tokenizer.add_word(word, freq or DEFAULT_FREQ, tag)
        return tokenizer

    def cut(self, text: str) -> list[str]:
        """Every token in order, whitespace and punctuation included (they concatenate to ``text``)."""
        if not text:
            return []
        if self.engine == "jieba":
            return self.tokenizer.lcut(text, HMM=self.hmm)
        if not _ASCII_JOINERS.search(text):  # no token to split (the common case)
            return list(self.tokenizer.cut(text, self.hmm))
        out: list[str] = []
        for token in self.tokenizer.cut(text, self.hmm):
            if len(token) > 1 and token.isascii() and _ASCII_JOINERS.search(token):
                out.extend(part for part in _ASCII_SPLIT.split(token) if part)
            else:
                out.append(token)
        return out

    def is_stopword(self, token: str) -> bool:
        return token in self.stopwords

    def tokens(self, text: str, *, content: bool = False) -> list[str]:
        """The words of ``text`` (no whitespace or punctuation).

        ``content=True`` also drops stopwords, numbers and single characters: the words that
        keyword extraction and similarity work on.
        """
        if content:  # one pass, the cheapest tests first
            stopwords = self.stopwords
            return [t for t in self.cut(text)
                    if len(t) > 1 and t not in stopwords and not is_punct(t) and not _NUMBER.match(t)]
        return [t for t in self.cut(text) if not is_punct(t)]

    def frame(self, texts: Iterable[str] | str, docs: Iterable | None = None) -> pd.DataFrame:
        """A tidy tokens frame: one row per word with ``doc``, ``i`` (position), ``token``,
        ``start``/``end`` (offsets into that text) and ``stopword``."""
        if isinstance(texts, str):
            texts = [texts]
        texts = list(texts)
        docs = list(range(len(texts))) if docs is None else list(docs)
        if len(docs) != len(texts):
            raise SegmenterError(f"{len(docs)} doc ids for {len(texts)} texts")
        rows = []
        for doc, text in zip(docs, texts):
            pos = i = 0
            for token in self.cut(text or ""):
                start, pos = pos, pos + len(token)
                if is_punct(token):
                    continue
                rows.append((doc, i, token, start, pos, token in self.stopwords))
                i += 1
        return pd.DataFrame(rows, columns=TOKEN_COLUMNS)
