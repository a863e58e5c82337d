"""Rules that drop furniture trafilatura lets through: repeated headline, prompts, teasers..."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from copydesk.extraction.blocks import Block

__all__ = ["RULES", "clean_blocks", "is_furniture"]

_WORD = re.compile(r"\w+")


def _words(text: str) -> int:
    return len(_WORD.findall(text))


def _key(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.I)


# Short blocks that are prompts rather than copy. Each pattern is matched against a block of at
# most ``max_words`` words; longer blocks are kept whatever they say.
_NEWSLETTER = _rx(
    r"\b(sign up|subscribe|register)\b.{0,60}\b(newsletter|e-?mail|updates|inbox|alerts?)\b",
    r"\bnewsletter\b.{0,40}\b(sign up|subscribe|delivered|inbox|free)\b",
    r"^(get|receive)\b.{0,60}\b(in your inbox|delivered to your inbox|newsletter)\b",
    r"\benter your e-?mail\b",
    r"^subscribe( now| today)?\b",
    r"\bby (signing up|subscribing), you agree\b",
)
_TEASER = _rx(
    r"^(read|see|watch|listen)( (more|also|next|this|the full story))?\s*[:>»|-]",
    r"^(related|recommended|more|also read|also see|read next|up next|trending|most read|"
    r"more from .{1,40}|more stories|related articles?|related stories|related posts?|"
    r"related reading|further reading)\s*[:>»|]",
    r"^(related articles?|related stories|related posts?|you may also like|you might also like|"
    r"more stories|recommended for you|read next|up next)$",
    r"^(click|tap) here\b",
    r"^continue reading\b",
    r"^read (the )?(full|more|original)\b",
)
_SHARE_WORDS = r"(share|tweet|email|print|copy link|whatsapp|facebook|twitter|x|linkedin|pinterest)"
_SHARE = _rx(
    r"^share (this|on|via)\b.{0,30}$",
    r"^share:",
    r"^(follow|like) us on\b",
    r"\b(download|get) (our|the) .{0,30}\bapp\b",
    rf"^{_SHARE_WORDS}(\s*[,|/·]?\s*{_SHARE_WORDS})*$",
    r"\bfollow (him|her|them|me) on (twitter|x|instagram|facebook|linkedin|bluesky|threads)\b",
)
_CAPTION = _rx(
    r"^(photo|image|picture|foto|photograph|illustration|credit|bild)\s*(credit)?s?\s*:",
    r"\b(photo|image) credit\s*:",
    r"\((photo|image|picture|credit)s?\b[^)]*\)\s*$",
    r"^(photo|image|picture|photograph|illustration)s? (by|courtesy|credit)\b",
    r"\b(getty images|shutterstock|istock(photo)?|afp via getty|ap photo|reuters/|imago)\b",
)
_COPYRIGHT = _rx(
    r"^(©|\(c\)|copyright\b)",
    r"\ball rights reserved\b",
    r"\bmay not be (published|reproduced|republished|redistributed|rewritten)\b",
    r"^this (article|story|post) (was )?(originally |first )?(appeared|published)\b",
    r"^(originally|first) published\b",
    r"^(reprint|republish)(ed|ing)? (with|by) permission\b",
)
_BYLINE = _rx(
    r"^(by|written by|words by|von|par|por)\s+[A-Z][\w.'-]+(\s+[A-Z][\w.'-]+){1,3}"
    r"(\s*(,|and|&)\s*[A-Z][\w.'-]+(\s+[A-Z][\w.'-]+){0,3})*\s*([|,·-].{0,40})?$",
    r"^(published|posted|updated|last updated|modified|veröffentlicht|publié)\b.{0,50}$",
    r"^(tags?|filed under|categories|category|topics?)\s*:",
    r"^\d+\s*(min|minute)s?( read)?$",
)
_CONTACT = _rx(
    r"^(contact|reach|email) (the )?(author|reporter|writer|him|her|them)\b",
    r"\b(can be reached|can be contacted) at\b",
    r"\bsend (us )?(tips|story ideas)\b",
)

Rule = tuple[str, re.Pattern[str], int]
RULES: tuple[Rule, ...] = (
    ("newsletter", _NEWSLETTER, 40),
    ("teaser", _TEASER, 25),
    ("share", _SHARE, 20),
    ("caption", _CAPTION, 40),
    ("copyright", _COPYRIGHT, 45),
    ("byline", _BYLINE, 15),
    ("contact", _CONTACT, 30),
)


def is_furniture(text: str) -> str | None:
    """Name of the first rule ``text`` matches, if any."""
    words = _words(text)
    for name, pattern, max_words in RULES:
        if words <= max_words and pattern.search(text):
            return name
    return None


def clean_blocks(
    blocks: Sequence[Block],
    title: str | None = None,
    on_drop: Callable[[str, Block], None] | None = None,
) -> list[Block]:
    """``blocks`` without the repeated headline and the furniture the rules recognise."""
    title_key = _key(title) if title else ""
    out: list[Block] = []
    for index, block in enumerate(blocks):
        reason = None
        if title_key and index < 3 and _key(block.text) == title_key:
            reason = "headline"
        else:
            reason = is_furniture(block.text)
        if reason is None:
            out.append(block)
        elif on_drop is not None:
            on_drop(reason, block)
    return out
