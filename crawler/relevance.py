"""Relevance of an article to a topic query: a small, documented keyword score."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["query_terms", "relevance"]

_WORD = re.compile(r"\w+", re.UNICODE)
#: Terms shorter than this are ignored (and, of, in...).
MIN_TERM = 3
TITLE_BONUS = 0.5


def _fold(text: str) -> str:
    """Lower-case without accents, so ``Klishchiïvka`` matches ``klishchiivka``."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def query_terms(query: str) -> list[str]:
    """The distinct words of a query of at least ``MIN_TERM`` characters, folded."""
    terms = [t for t in _WORD.findall(_fold(query)) if len(t) >= MIN_TERM]
    return list(dict.fromkeys(terms))


def relevance(query: str, title: str | None, text: str) -> float:
    """Share of the query's terms found in the article, plus a bonus for those in its title.

    A term is found when a word of the text starts with it (``bakhmut`` finds ``Bakhmut's``).
    The score is ``coverage + 0.5 * title_coverage``, between 0 and 1.5: 1.0 means every term
    occurs somewhere in the article.
    """
    terms = query_terms(query)
    if not terms:
        return 0.0
    words = set(_WORD.findall(_fold(text)))
    title_words = set(_WORD.findall(_fold(title or "")))
    words |= title_words

    def found(term: str, vocabulary: set[str]) -> bool:
        return term in vocabulary or any(w.startswith(term) for w in vocabulary)

    coverage = sum(found(t, words) for t in terms) / len(terms)
    in_title = sum(found(t, title_words) for t in terms) / len(terms)
    return round(coverage + TITLE_BONUS * in_title, 4)
