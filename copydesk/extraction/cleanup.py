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
    r"\b(sign up|subscribe|register)\b.{0,60}\b(newsletter|e-?mail|updates|inbox|alerts?|"
    r"mailing list)\b",
    r"^(sign up|subscribe)\b.{0,60}\bnewsletters\b",
    r"\bnewsletter\b.{0,40}\b(sign up|subscribe|delivered|inbox|free)\b",
    r"^(get|receive)\b.{0,60}\b(in your inbox|delivered to your inbox|newsletters?)\b",
    r"^join (our|the|my)\b.{0,40}\b(newsletters?|mailing list)\b",
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
    r"^you (may|might) (also )?(be interested in|like|enjoy)\b",
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
    r"^follow us$",
)
_NETWORKS = r"(facebook|instagram|twitter|x|tiktok|pinterest|youtube|linkedin|threads|bluesky)"
# Invitations to follow the publication, tag it or rate a recipe, anywhere in a short paragraph:
# "... and follow us on Facebook, Instagram, Twitter and TikTok to stay up to date."
_FOLLOW = _rx(
    rf"\bfollow us on {_NETWORKS}\b",
    rf"\bfollow\b.{{0,40}}\bon {_NETWORKS}(\s*(,|and|&|or)\s*{_NETWORKS})+\b",
    r"\bleave a (star )?rating\b",
    r"\bpin (it|this)( recipe)? for later\b",
    r"\b(mention|tag) @\w+",
)
# Sales disclosures (affiliate links, commissions) and the consent text of forms.
_DISCLOSURE = _rx(
    r"\bas an amazon associate\b",
    r"\bearns? (a commission )?from qualifying purchases\b",
    r"\b(we|i)( may| might| could| will)? (earn|receive|get|make) (a )?(small )?(affiliate |"
    r"financial )?(commission|compensation)\b",
    r"\bwe (may|might|could) be compensated\b",
    r"^(by (submitting|completing) this form|terms of submitting this form)\b",
    r"\b(may|might|could|will) earn (us|me) (a )?(small )?(affiliate )?commission\b",
    r"\b(this|the) (post|article|page|story|site|content) (may )?contains? affiliate links?\b",
    r"\bproducts (are|were) (chosen|selected) independently\b",
)
# Appeals for money or membership: "This story is funded by readers like you".
_APPEAL = _rx(
    r"\b(funded|supported|made possible|paid for) by readers like you\b",
    r"\bsupport (our|independent|local|nonprofit|quality) (journalism|reporting|newsroom)\b",
    r"^(please )?(consider )?(donat(e|ing) (to us|today|now)|mak(e|ing) a donation|"
    r"becom(e|ing) a (member|supporter|patron))\b",
)
# Paragraphs that are only a label for what follows: an advertisement, a sponsor, a form.
_LABEL = _rx(
    r"^(advertisements?|advertising|sponsored( content)?|promoted|paid content|ad)$",
    r"^(advertisement|sponsored( content| post)?|paid (post|content|partnership))\s*[:|]",
    r"\((sponsored|advertisement|paid (post|partnership)|partner content)\)$",
    r"^(register|sign in|log in|login|sign up|create (an|your) account)$",
)
_CAPTION = _rx(
    r"^(photo|image|picture|foto|photograph|illustration|credit|bild)\s*(credit)?s?\s*:",
    r"\b(photo|image) credit\s*:",
    r"\((photo|image|picture|credit)s?\b[^)]*\)\s*$",
    r"^(photo|image|picture|photograph|illustration)s? (by|courtesy|credit)\b",
    r"^(feature[d]?|header|cover|top|lead|hero|main) (image|photo|picture)s?\s*(by|via|courtesy|:)",
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
    ("follow", _FOLLOW, 60),
    ("disclosure", _DISCLOSURE, 60),
    ("label", _LABEL, 12),
    ("appeal", _APPEAL, 30),
)


#: Rules also tried on the first and last sentences of a longer paragraph, where a credit line
#: or a prompt is often run into the copy ("Feature image by ... . Our ratings ..."). Caption
#: and newsletter sentences must open with the credit or the prompt: copy may mention Getty
#: Images, or that readers "can sign up for alerts".
TRIM_RULES = frozenset({"follow", "disclosure", "appeal"})
_TRIM_OPENING = _rx(
    r"^((feature[d]?|header|cover|top|lead|hero|main) )?(photo|image|picture|photograph|"
    r"illustration)s?\b",
    r"^(sign up|subscribe|join|get|receive)\b",
)
_SENTENCE = re.compile(r"(?<=[.!?…])\s+(?=[\"“‘(\[]?[A-Z0-9À-Ö])")


def _trimmable(sentence: str) -> bool:
    rule = is_furniture(sentence)
    if rule in TRIM_RULES:
        return True
    return rule in ("caption", "newsletter") and bool(_TRIM_OPENING.search(sentence))


def trim_sentences(text: str) -> str:
    """``text`` without the leading and trailing sentences that are furniture (see
    `TRIM_RULES`)."""
    sentences = _SENTENCE.split(text)
    if len(sentences) < 2:
        return text
    start, end = 0, len(sentences)
    while start < end and _trimmable(sentences[start]):
        start += 1
    while end > start and _trimmable(sentences[end - 1]):
        end -= 1
    return " ".join(sentences[start:end])


#: Words without which a rule cannot match (every one of its patterns holds one): a substring
#: test is far cheaper than the patterns, and every block of every page is tested.
_NEEDS: dict[str, tuple[str, ...]] = {
    "follow": ("follow", "rating", "later", "@"),
    "disclosure": (
        "associate",
        "qualifying",
        "commission",
        "compensat",
        "affiliate",
        "independently",
        "this form",
    ),
    "appeal": ("readers like you", "support", "donat", "becom"),
}


def is_furniture(text: str) -> str | None:
    """Name of the first rule ``text`` matches, if any."""
    words = _words(text)
    lowered = ""
    for name, pattern, max_words in RULES:
        if words > max_words:
            continue
        needs = _NEEDS.get(name)
        if needs is not None:
            lowered = lowered or text.lower()
            if not any(n in lowered for n in needs):
                continue
        if pattern.search(text):
            return name
    return None


def clean_blocks(
    blocks: Sequence[Block],
    title: str | None = None,
    on_drop: Callable[[str, Block], None] | None = None,
) -> list[Block]:
    """``blocks`` without the repeated headline and the furniture the rules recognise, and
    without furniture sentences at either end of a longer block (`trim_sentences`).

    ``on_drop`` is told of every block dropped and of every block cut short (reason
    ``"sentences"``, with the block as it was).
    """
    title_key = _key(title) if title else ""
    out: list[Block] = []
    for index, block in enumerate(blocks):
        reason = None
        if title_key and index < 3 and _key(block.text) == title_key:
            reason = "headline"
        else:
            reason = is_furniture(block.text)
        if reason is None:
            text = trim_sentences(block.text)
            if not text:
                reason = "sentences"
            elif text != block.text:
                if on_drop is not None:
                    on_drop("sentences", block)
                block = Block(block.kind, text)
        if reason is None:
            out.append(block)
        elif on_drop is not None:
            on_drop(reason, block)
    return out
