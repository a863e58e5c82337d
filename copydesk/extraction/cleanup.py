"""Rules that drop furniture trafilatura lets through: repeated headline, prompts, teasers..."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache

from copydesk.extraction.blocks import Block

__all__ = [
    "CLEANUP_RULES",
    "RULES",
    "clean_blocks",
    "furniture_reason",
    "is_furniture",
    "strip_invisible",
]

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
    r"^\s*[\[(（]?\s*(사진|写真|照片|图片|foto|photo|bild|crédit|crédito)\s*[=＝:：]",
    r"[\[(（]\s*(사진|写真|照片)\s*[=＝:：][^\])）]*[\])）]\s*$",
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
# Prompts to report an error or send feedback, in several languages.
_CORRECTION = _rx(
    r"\bto (suggest|submit|report) a (correction|clarification)\b",
    r"\b(highlight|select) (the )?text and press ctrl\s*\+\s*enter\b",
    r"\bctrl\s*\+\s*enter\b",
    r"^(found|spotted|see|notice) (a|an) (typo|mistake|error)\b",
    r"^(report|submit) (a|an) (typo|error|correction|mistake)\b",
    r"\b(send|give) us (your )?feedback\b",
    r"^(haben sie einen fehler gefunden|fehler gefunden|einen fehler melden)\b",
    r"^(signaler une erreur|vous avez (trouvé|repéré) une erreur)\b",
    r"^(reportar (un )?error|¿encontraste un error)\b",
    r"^(выделите (его|текст|ошибку))",
)
# Paywall and subscription pitches.
_PAYWALL = _rx(
    r"\b(reserved|available|exclusive(ly)?) (for|to) (our )?(paying )?(subscribers|members)\b",
    r"\bsubscribers only\b",
    r"\bunlimited (online |digital )?access\b",
    r"\balready (a )?(subscriber|member)\b",
    r"\b(subscribe|sign in|log in|register) to (continue|keep) reading\b",
    r"\b(subscribe|subscription) (now|today)\b.{0,40}\b(only|just|per|a month|/month)\b",
    r"\b(exklusiv )?für (abonnenten|abonnentinnen)\b|\bjetzt (abonnieren|weiterlesen)\b",
    r"\b(réservé|réservée) aux abonnés\b",
    r"\b(exclusivo|contenido exclusivo) para (suscriptores|socios)\b",
    r"유료(회원|구독)|구독자 전용|会員限定|有料会員|订阅用户",
)
# Labels of photo viewers and collapsible boxes, and comment-form furniture.
_WIDGET = _rx(
    r"^(click|tap) to (enlarge|expand|zoom)$",
    r"^(enlarge|expand|zoom) (the )?(photo|image|picture)$",
    r"^(box|text|bild|foto) (aufklappen|zuklappen|vergrößern)"
    r"(\s+(box|text) (aufklappen|zuklappen))?$",
    r"^(aufklappen|zuklappen|ausklappen|einklappen|mehr anzeigen|weniger anzeigen)$",
    r"^(show|read|see) (more|less)$",
    r"^(agrandir|ampliar|ingrandire) (la )?(photo|image|foto|imagen|immagine)$",
    r"^(사진 )?(크게 ?보기|확대)$",
    r"^(写真を)?拡大(する)?$|^点击(查看)?(大图|放大)$",
    r"^(news feed|video|videos|gallery|galerie|fotostrecke)$",
    r"^leave a (reply|comment)$",
    r"^be the first to comment\b",
    r"\bthis site uses akismet to reduce spam\b",
    r"^learn how your comment data is processed\b",
    r"^(\d+ )?(comments?|kommentare?|commentaires?|comentarios?)$",
    r"^(cancel reply|post comment|write a reply or comment)\b",
)
# Pointers to other pages and labels of page widgets, in several languages: "Lesen Sie auch:",
# "À lire aussi", "Inhaltsverzeichnis", "Titelbild: …", "Teilen:", "Escucha esta nota aquí".
_POINTER = _rx(
    r"^(lesen sie (auch|mehr|hier)|auch lesen|mehr dazu|das könnte sie auch interessieren|"
    r"(à |a )?lire (aussi|également)|voir aussi|le(e|a|er) también|ver también|"
    r"te puede interesar|leggi anche|vedi anche|leia também|veja também|read also|see also)"
    r"(\s*[:>»|–-].*|.{0,60}:)?$",
    r"^mehr zum thema\b",
    r"^(weitere|mehr) (informationen|infos|artikel|beiträge|nachrichten)\b.{0,60}:$",
    r"^(inhaltsverzeichnis|table of contents|contents|inhalt|sommaire|índice|indice|contenido|"
    r"目次|目录)\s*:?$",
    r"^(titelbild|titelfoto|beitragsbild|bildquelle|bildnachweis|fotonachweis|image source)\s*:",
    r"^(teilen|partager|compartir|condividi|compartilhe|udostępnij)\s*:?$",
    r"^(escucha (esta|la) nota( aquí)?|listen to (this|the) (article|story)|artikel anhören|"
    r"artikel vorlesen lassen|écouter (cet|l')article)$",
    r"^alle angaben ohne gewähr\.?$",
    r"^(see|view) (more|all) (photos|pictures|images)\s*:?$",
)
# The label of a box of related stories run into one line with their headlines (scripts whose
# words are not separated by spaces, hence the larger word limit).
_RELATED = _rx(
    r"^(เรื่องที่เกี่ยวข้อง|関連記事|関連ニュース|相关(阅读|新闻|文章|报道)|延伸阅读|관련 ?기사)"
)
# A timestamp on a line of its own ("2018/6/19 5:50") and links that run a script.
_STAMP = _rx(
    r"^\d{4}[/.-]\d{1,2}[/.-]\d{1,2}\.?(\s+\d{1,2}:\d{2}(:\d{2})?)?$",
    r"javascript:\s*void",
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
#: Rules applied by `clean_blocks` only (the block classifier's features name `RULES`, so
#: adding to those would change what the shipped model reads).
CLEANUP_RULES: tuple[Rule, ...] = (
    ("correction", _CORRECTION, 40),
    ("paywall", _PAYWALL, 40),
    ("widget", _WIDGET, 20),
    ("pointer", _POINTER, 15),
    ("stamp", _STAMP, 6),
    ("related", _RELATED, 60),
)

# Copyright and reuse notices: one that opens with the sign is furniture at any length, one
# that states the terms up to `_NOTICE_WORDS` words.
_NOTICE_OPENING = re.compile(r"^\s*(©|\(c\)\s|copyright\s*(©|\(c\)|\d{4}))", re.I)
_NOTICE = _rx(
    r"\bunauthori[sz]ed (use|reproduction|duplication|copying|distribution)( and/or \w+)? of "
    r"this (material|content|article|story|site|website|page)\b",
    r"\b(duplication|reproduction|redistribution) of this (material|content|article)\b.{0,80}"
    r"\b(prohibited|forbidden|not permitted)\b",
    r"\b(all rights reserved|alle rechte vorbehalten|tous droits réservés|todos los derechos "
    r"reservados|tutti i diritti riservati)\b|版权所有|無断転載|무단 ?전재|재배포 ?금지",
)
_NOTICE_WORDS = 80
#: Characters that are never text: soft hyphens, zero-width spaces and joiners, BOMs.
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")


def strip_invisible(text: str) -> str:
    """``text`` without soft hyphens and zero-width characters."""
    return _INVISIBLE.sub("", text)


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


#: Words without which a rule cannot match (every one of its patterns holds one, and any text
#: a pattern matches holds it once case-folded, see `_fold`): a substring test is far cheaper
#: than the patterns, and every block of every page is tested. A rule absent here is cheap.
_NEEDS: dict[str, tuple[str, ...]] = {
    "share": (
        "share",
        "us on",
        "app",
        "tweet",
        "email",
        "print",
        "copy link",
        "whatsapp",
        "facebook",
        "twitter",
        "x",
        "linkedin",
        "pinterest",
        "follow",
    ),
    "label": (
        "ad",
        "sponsored",
        "promoted",
        "paid",
        "partner content",
        "register",
        "sign in",
        "log in",
        "login",
        "sign up",
        "account",
    ),
    "newsletter": (
        "sign up",
        "subscribe",
        "register",
        "newsletter",
        "inbox",
        "mailing list",
        "enter your e",
        "you agree",
    ),
    "caption": (
        "photo",
        "image",
        "picture",
        "foto",
        "illustration",
        "credit",
        "bild",
        "사진",
        "写真",
        "照片",
        "图片",
        "crédit",
        "getty",
        "shutterstock",
        "istock",
        "reuters/",
        "imago",
    ),
    "copyright": (
        "©",
        "(c)",
        "copyright",
        "all rights reserved",
        "may not be",
        "appeared",
        "published",
        "permission",
    ),
    "contact": (
        "author",
        "reporter",
        "writer",
        "him",
        "her",
        "them",
        "reached",
        "contacted",
        "send",
    ),
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
    "notice": (
        "unauthori",
        "of this",
        "all rights reserved",
        "alle rechte vorbehalten",
        "tous droits r",
        "todos los derechos",
        "tutti i diritti",
        "版权所有",
        "無断転載",
        "무단",
        "재배포",
    ),
    "correction": (
        "correction",
        "clarification",
        "ctrl",
        "typo",
        "mistake",
        "error",
        "feedback",
        "fehler",
        "erreur",
        "выделите",
    ),
    "paywall": (
        "member",
        "subscri",
        "unlimited",
        "reading",
        "abonn",
        "jetzt",
        "para",
        "유료",
        "구독자",
        "会員限定",
        "有料会員",
        "订阅用户",
    ),
    "pointer": (
        "lesen",
        "mehr",
        "interessieren",
        "lire",
        "voir",
        "también",
        "interesar",
        "anche",
        "também",
        "also",
        "weitere",
        "contents",
        "inhalt",
        "sommaire",
        "ndice",
        "contenido",
        "目次",
        "目录",
        "titel",
        "beitragsbild",
        "nachweis",
        "bildquelle",
        "image source",
        "teilen",
        "partager",
        "compartir",
        "condividi",
        "compartilhe",
        "udostępnij",
        "escucha",
        "listen",
        "anhören",
        "vorlesen",
        "écouter",
        "gewähr",
        "photos",
        "pictures",
        "images",
    ),
    "related": ("เรื่องที่เกี่ยวข้อง", "関連", "相关", "延伸阅读", "관련"),
    "widget": (
        "enlarge",
        "expand",
        "zoom",
        "vergr",
        "klappen",
        "anzeigen",
        "more",
        "less",
        "agrandir",
        "ampliar",
        "ingrandire",
        "크게",
        "확대",
        "拡大",
        "点击",
        "news feed",
        "video",
        "gallery",
        "galerie",
        "fotostrecke",
        "leave a",
        "comment",
        "cancel reply",
        "akismet",
        "kommentar",
        "comentario",
    ),
}
_LONGEST_CLEANUP = max(_NOTICE_WORDS, *(max_words for _, _, max_words in CLEANUP_RULES))
#: The letters that ``re.IGNORECASE`` matches to an ASCII letter but ``str.lower`` does not
#: turn into it (see the `re` documentation on IGNORECASE).
_FOLDS = str.maketrans({"İ": "i", "ı": "i", "ſ": "s", "K": "k"})
_FOLDED = re.compile("[İıſK]")


def _fold(text: str) -> str:
    """``text`` case-folded as the patterns' IGNORECASE sees ASCII letters (translated only
    when it holds one of those letters: `str.translate` looks up every character)."""
    if text.isascii() or not _FOLDED.search(text):
        return text.lower()
    return text.translate(_FOLDS).lower()


_CUES = {
    name: re.compile("|".join(re.escape(n) for n in sorted(needs, key=len, reverse=True)))
    for name, needs in _NEEDS.items()
}


def _may_match(name: str, folded: str) -> bool:
    cue = _CUES.get(name)
    return cue is None or cue.search(folded) is not None


def furniture_reason(text: str) -> str | None:
    """Name of the first rule, of `RULES` and `CLEANUP_RULES`, that ``text`` matches; a
    copyright or reuse notice of any length is ``"copyright"``."""
    reason = is_furniture(text)
    if reason is not None:
        return reason
    words = _words(text)
    if _NOTICE_OPENING.search(text):
        return "copyright"
    if words > _LONGEST_CLEANUP:
        return None
    folded = _fold(text)
    if _may_match("notice", folded) and _NOTICE.search(text):
        return "copyright"
    for name, pattern, max_words in CLEANUP_RULES:
        if words <= max_words and _may_match(name, folded) and pattern.search(text):
            return name
    return None


@lru_cache(maxsize=4096)
def is_furniture(text: str) -> str | None:
    """Name of the first of `RULES` that ``text`` matches, if any (memoised: the classifier's
    features and `clean_blocks` ask about the same blocks)."""
    words = _words(text)
    folded = ""
    for name, pattern, max_words in RULES:
        if words > max_words:
            continue
        if name in _NEEDS:
            folded = folded or _fold(text)
            if not _may_match(name, folded):
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
    seen: set[str] = set()
    for index, block in enumerate(blocks):
        reason = None
        text = strip_invisible(block.text)
        if text != block.text:
            block = Block(block.kind, text)
        key = _key(block.text)
        if (title_key and index < 3 and key == title_key) or (
            title and _headline_with_furniture(block.text, title)
        ):
            reason = "headline"
        elif (len(key) >= _REPEAT_KEY and key in seen) or _repeats(key, seen):
            reason = "repeat"
        else:
            reason = furniture_reason(block.text)
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
            seen.add(key)
        elif on_drop is not None:
            on_drop(reason, block)
    return out


#: Fewest words of a headline that `_headline_with_furniture` looks for inside a block.
_HEADLINE_MIN_WORDS = 3


@lru_cache(maxsize=64)
def _headline_pattern(title: str) -> re.Pattern[str] | None:
    """The words of ``title`` in order, whatever stands between them (None when it is too
    short to be told from ordinary text)."""
    words = _WORD.findall(title)
    if len(words) < _HEADLINE_MIN_WORDS:
        return None
    return re.compile(r"\W*".join(re.escape(w) for w in words), re.I)


def _headline_with_furniture(text: str, title: str) -> bool:
    """Whether ``text`` is the headline joined to a furniture label, as in a sticky bar that
    repeats it beside its share buttons ("Headline Share on X", often with no space between
    the two), wherever the block stands."""
    pattern = _headline_pattern(title)
    if pattern is None:
        return False
    match = pattern.match(text.lstrip())
    if match:
        rest = text.lstrip()[match.end() :]
    elif (match := pattern.search(text)) and not text[match.end() :].strip(" .:|-"):
        rest = text[: match.start()]
    else:
        return False
    rest = rest.strip(" .:|-")
    return bool(rest) and furniture_reason(rest) is not None


#: A paragraph this long (normalised characters) is never kept twice; shorter ones (headings,
#: labels of a table of contents) may be.
_REPEAT_KEY = 80
#: A long block made mostly of paragraphs already kept is the article repeated (a page that
#: carries its text twice, once as a single line).
_REPEAT_MIN_CHARS = 400
_REPEAT_SHARE = 0.6


def _repeats(key: str, seen: set[str]) -> bool:
    if len(key) < _REPEAT_MIN_CHARS or not seen:
        return False
    covered = sum(len(k) for k in seen if len(k) >= 40 and k in key)
    return covered >= _REPEAT_SHARE * len(key)
