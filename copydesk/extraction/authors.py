"""Turn a page's raw author string into a list of people (split, reordered, deduplicated), and
find the byline a page shows when its metadata names no one."""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import urlsplit

from copydesk.extraction.dates import MONTH_NAMES as _MONTH
from copydesk.extraction.near import PageText
from copydesk.extraction.title import site_keys, squash

__all__ = ["byline", "byline_or_metadata", "labelled_byline", "people", "with_marks"]

# Between names: ";", "|", "•", "/", " and ", " & ", and their equivalents in other languages.
_BETWEEN = re.compile(
    r"\s*(?:[;|、，／•]|\s/\s|\s+(?:and|und|et|y|e|en|og|och|i|и|ve)\s+|\s*&\s*)\s*", re.I
)
_PREFIX = re.compile(
    r"^(?:(?:written|text|words|reporting|story|interview|photos?|fotos?|article|recipe|"
    r"post|essay|column)\s+)?"
    r"(?:by|von|vom|durch|escribe|escrito por|par|por|di|da|de|door|av|af|przez|автор|auteur|"
    r"autor|author|autorin|autor/in|autor\*in|interview|text|texte|reporter)\s*[:\-–]?\s+",
    re.I,
)
# A byline's role or job title: in brackets or opened by a rank after the name ("Lance Ryan
# (Content Manager)", "Keith Barry Senior Autos Reporter"), or a field of its own ("Sean Peek,
# Senior Analyst", "Paul Frew, Home and Digital Security Expert"), which names no one.
_ROLE = (
    r"\b(?:correspondents?|columnists?|writers?|editors?|editor-in-chief|analysts?|experts?|"
    r"reporters?|journalists?|contributors?|specialists?|strategists?|managers?|directors?|"
    r"producers?|redakteur(?:in)?|korrespondent(?:in)?|journaliste|rédact(?:eur|rice)|"
    r"redactor(?:a)?|periodista|giornalista|corresponsal|co-?founder|founder|ceo|reviewers?|"
    r"attorney|consultant|dietitian|architects?)\b"
)
_ROLE_AFTER_NAME = re.compile(
    rf"\s*\([^()]*{_ROLE}[^()]*\)|\s+(?:senior|chief|managing|contributing|associate|deputy|"
    rf"executive|lead|head|principal|freelance|staff|former)\b[^;,|()]*{_ROLE}[^;,|()]*"
    r"|\s+(?:co-?founder|founder|ceo)\b[^;,|()]*",
    re.I,
)
# (a one-word field before it is the role's start, cut off at its "and": "Home; Digital
# Security Expert"); a role alone may be a pseudonym ("Rasender Reporter")
_ROLE_FIELD = re.compile(rf"([;,|])(?:\s*[^\W\d_]+\s*;)?[^;,|]*{_ROLE}[^;,|]*", re.I)
# Bylines that name no person: desks, staff, agencies' generic credits, form debris.
_NOT_PERSON = re.compile(
    r"^(?:the\s+)?(?:staff|staff writers?|staff reporter|editorial( team| staff| board)?|"
    r"editors?|redaktion|redacci[oó]n|r[eé]daction|redazione|reda[cç][aã]o|redactie|redakcja|"
    r"redakce|redaksi|redaksjon|redaktori|toimitus|редакция|newsroom|news desk|"
    r"national desk|web desk|digital desk|desk|team|admin(istrator)?|agencies|agency|wire|"
    r"wires|name|human|submitted|print|updated|guest|guest author|contributor|"
    r"contributors|anonymous|unknown|none|null|share|follow|subscribe|menu|more|"
    # news agencies (docs/devsets.md: not people)
    r"dpa|afp|ap|apa|efe|kna|epd|sid|ansa|reuters|jiji|kyodo|xinhua|upi|ddp|ots|pti|ians|bns|"
    r"tass|unb|bss|anp|ntb|stt|čtk|ctk|pap|mti|hina|tanjug|bta|lusa|irna|yonhap|bernama|antara|"
    r"aap|ritzau|belga|anadolu|sda|europa press)$"
    r"|\b(?:staff|desk|redaktion|redacci[oó]n|r[eé]daction|redazione|newsroom|editorial|"
    r"webteam|pressestelle|posted|no author|unbenannt|gmbh|verlag|newsdesk|zvg|agencia|"
    r"agência|agence|bureau|büro|news service|"
    r"nachrichtenagentur|wire|newswire|reviewed by|fact[- ]?checked by|authors?|"
    r"(?:more|all|view) posts)\b"
    r"|\b(?:correspondents?|columnists?|writers?)\b"
    r"|ब्यूर"  # Hindi "bureau" (ब्यूरो), its last vowel sign sometimes cut off
    # organisations named by a publishing word at the end ("TOUR Magazin", "NMB-Media")
    r"|\b(?:media|magazine?|zeitung|online)$",
    re.I,
)
# Legal forms of companies ("Nordex SE", "Wegewerk GmbH"), case-sensitive: "Se" can be a name.
_COMPANY = re.compile(r"\b(?:AG|SE|Inc|Ltd|LLC|PLC|e\.\s?V)\b\.?$")
# One word of three or more capitals beside a person's full name is an agency's or outlet's
# acronym ("Ashok Pradhan | TNN"); alone it may be a journalist's initials ("GNB", "LD").
_ACRONYM = re.compile(r"^[A-Z]{3,}$")
# A commenter's line ("Anna says", "Tom sagt") or a photo credit names no author of the article.
_NOT_BYLINE = re.compile(
    r"\s(?:says|said|sagt|schreibt|dit|dice)\b|^(?:photo|foto|фото|bild)s?\b", re.I
)
# An author field naming a country is an organisation's address ("Olympia-Verlag GmbH,
# Nürnberg, Germany"), not a byline: the whole field names no author.
_COUNTRY = re.compile(
    r"^(?:germany|deutschland|austria|österreich|switzerland|schweiz|suisse|svizzera|france|"
    r"frankreich|italy|italia|italien|spain|españa|spanien|usa|u\.s\.a?|united states|"
    r"united kingdom|uk|england|canada|australia|india|netherlands|nederland|belgium|"
    r"belgique|belgien|sweden|sverige|norway|norge|denmark|danmark|poland|polska|mexico|"
    r"méxico|argentina|brasil|brazil|chile|colombia|bolivia|peru|perú|россия|russia)$",
    re.I,
)
# Blog platforms that give each blogger a subdomain named after their handle
# (damianduchamps.wordpress.com): there a one-word author equal to it is the blogger.
_BLOG_HOST = re.compile(
    r"^(?:www\.)?(?P<user>[^.]+)\.(?:wordpress\.com|blogspot\.[a-z.]+|tumblr\.com|"
    r"substack\.com|over-blog\.com|livejournal\.com|typepad\.com|blog\.de|jimdo\.com|"
    r"wixsite\.com|medium\.com)$",
    re.I,
)
_FIELDS = re.compile(r"[;,|]")
_URLISH = re.compile(r"https?\b|www\b|\.(?:com|org|net|de|fr|co|uk)\b|@|\b(?:com|de)$", re.I)
_DOMAIN = re.compile(r"\w\.[a-z]{2,}\b")  # a host name ("etimes.in"), not "J.R. Stone"
_DIGIT = re.compile(r"\d")
# A handle as a post's data line writes it ("damianduchamps", "jana_probe").
_HANDLE = re.compile(r"^[^\W\d_]{2,}[\w.-]*$")
_TRAILING_DIGITS = re.compile(r"\d+$")
_LAST_FIRST = re.compile(r"^([^\s,]+(?:[\s-][^\s,]+)?),\s*([^\s,]+(?:\s[^\s,]+)?)$")
_SPACES = re.compile(r"\s+")
_MAX_WORDS = 5


# A reading-time or update label run into the byline ("José Miguel Wilson Tiempo de lectura:
# 4 min", "Sarah Yang Updated on …").
_READING_TIME = re.compile(
    r"(?:^|\s+)(?:tiempo de lectura|lesezeit|lesedauer|reading time|temps de lecture|"
    r"tempo di lettura|\d+\s*min\.?\s+read|(?:last\s+)?updated|actualizado|aktualisiert|atualizado|"
    r"mis à jour|uppdaterad|opdateret|oppdatert|bijgewerkt|aggiornato|päivitetty)\b.*$",
    re.I,
)


# Degrees and credentials after a name ("Shelby Loos, DVM", "Cara Dumaplin RN, BSN") name no
# one and are no part of the name; alone they may be initials ("LD"). Case-sensitive: "Li Ma".
_CREDENTIAL = (
    r"(?:MD|M\.D\.|DO|DVM|VMD|DDS|RN|BSN|MSN|NP|PA-C|PhD|Ph\.D\.|MS|MSc|MA|BA|BSc|MPH|MBA|RD|"
    r"RDN|LD|CPA|CFP|JD|Esq|FAND|FACP|FACS|FACLM|FOMA|DABOM|DACVB|LVT|VTS|CSCS|LCSW|LPC)"
)
_COMMAS = re.compile(r"\s*,(?:\s*,)+")
_CREDENTIAL_AFTER = re.compile(rf"(?<=\S)(?:\s*[,;]\s*|\s+){_CREDENTIAL}(?=[\s,;|]|$)")
# A month after a name of two or more words ("Jordana Cepelewicz December"): a date's start.
_MONTH_WORD = re.compile(rf"^(?:{_MONTH})\.?$", re.I)


# A Korean byline's title and the outlet before "=" ("스포츠조선=선수민 기자" is 선수민).
_KOREAN_REPORTER = re.compile(
    r"^(?:\S+\s*=\s*)?(?P<name>.+?)\s*(?:선임|수석|객원)?(?:기자|특파원)$"
)


def _tidy(name: str) -> str:
    name = _READING_TIME.sub("", name)
    if korean := _KOREAN_REPORTER.match(name.strip()):
        name = korean["name"]
    name = _SPACES.sub(" ", unicodedata.normalize("NFC", name)).strip(" \t,.:;-–—·|©~/")
    words = name.split()
    if len(words) >= 3 and _MONTH_WORD.match(words[-1]):
        name = " ".join(words[:-1])
    while True:
        stripped = _PREFIX.sub("", name)
        if stripped == name:
            return name
        name = stripped.strip()


def _is_person(name: str, named: set[str], hosts: set[str]) -> bool:
    if len(name) < 2 or len(name.split()) > _MAX_WORDS:
        return False
    if _URLISH.search(name) or _DOMAIN.search(name) or _DIGIT.search(name):
        return False
    if _NOT_PERSON.search(name) or _CALENDAR.match(name):
        return False
    if _NOT_BYLINE.search(name) or _COMPANY.search(name):
        return False
    key = squash(name)
    if not key or any(k == key or (len(k) >= 4 and k in key) for k in named):
        return False  # the site's own name
    if " " in name and squash(name.split()[0]) in named:
        return False  # a desk of the site ("SWR Sport" on the site "SWR" or swr.de)
    # a person's own site (wolfgangmichal.de) is named after them; a one-word name that is
    # the host's ("Solarserver") is the site
    personal = len(name.split()) >= 2 and key in hosts
    return personal or not any(k == key or (len(k) >= 4 and k in key) for k in hosts)


def _split(raw: str) -> list[str]:
    parts: list[str] = []
    for chunk in _BETWEEN.split(raw):
        chunk = chunk.strip()
        if not chunk:
            continue
        flipped = _LAST_FIRST.match(chunk)
        if flipped and " " not in flipped.group(1):  # "Foster, Sophie" is one person
            parts.append(f"{flipped.group(2)} {flipped.group(1)}")
        else:
            parts.extend(p for p in chunk.split(",") if p.strip())
    return parts


def people(raw: str | None, site_name: str | None = None, url: str | None = None) -> list[str]:
    """The people named in ``raw`` (trafilatura's "; "-joined author string), in order.

    Lists are split ("A, B and C", "A; B", "A / B"), "Last, First" reordered, bylines'
    prefixes ("By", "Von") and roles ("Senior Analyst") removed, duplicates dropped ("Sophie
    Foster, Sophie-Foster"), and what names no person is left out: URLs, the site's own name,
    desks and "Staff". On a blog platform, a blog named after its blogger ("Marco Bambini"
    on marcobambini.substack.com) is the blogger's, so its name is the author's.
    """
    if not raw:
        return []
    named, hosts = site_keys(site_name, None), {squash(k) for k in site_keys(None, url)}
    host = urlsplit(url).hostname or "" if url else ""
    if blog := _BLOG_HOST.search(host):
        hosts.discard(blog["user"])  # a blog platform's subdomain is its blogger's handle
        if site_name and _TRAILING_DIGITS.sub("", squash(blog["user"])) == squash(site_name):
            named.discard(squash(site_name))  # the blog is named after its blogger
    elif len(label := host.removeprefix("www.").split(".")[0]) == 3:
        named.add(label)  # a short host (swr.de) names the site as its name would
    if squash(raw) in named:
        return []  # the site's name cut in two ("Jobs & Hire" read as "Jobs; Hire")
    raw = _ROLE_FIELD.sub(r"\1", _ROLE_AFTER_NAME.sub("", raw))
    raw = _CREDENTIAL_AFTER.sub(",", _CREDENTIAL_AFTER.sub(",", raw))
    raw = _COMMAS.sub(",", raw).strip(" ,")
    if any(_COUNTRY.match(_tidy(part)) for part in _FIELDS.split(raw)):
        return []
    out: list[str] = []
    seen: set[str] = set()
    for part in _split(raw):
        name = _tidy(part)
        key = squash(name)
        if key in seen or not _is_person(name, named, hosts):
            continue
        seen.add(key)
        out.append(name)
    in_full = sum(len(n.split()) >= 2 for n in out)
    if in_full >= 2:
        # one word among people named in full is a place, an outlet or a desk run into the
        # list ("Markus M. Haefliger, London, Beat Bumbacher", "Von A B, C D und E F, NDR")
        out = [n for n in out if len(n.split()) >= 2]
    elif in_full:  # an acronym beside a person is the outlet ("Ashok Pradhan | TNN")
        out = [n for n in out if not _ACRONYM.match(n)]
    if len(out) > 1:  # a name that is the host's is the site's when it names a person too
        out = [n for n in out if squash(n) not in hosts]  # ("Benjamin Johnson; Atlas Van Lines")
    return out


# The byline a page shows when its metadata names no person: an element marked as the author's
# (class, id, rel or itemprop "author", "autor", "byline") or a short line "By X", "Von X",
# "Posted on … by X", "Ein Artikel von X | 27.01.2022", near the headline and outside comments.
_BYLINE_CUE = re.compile(r"author|autor|byline|verfasser", re.I)
_COMMENTS = re.compile(r"comment|kommentar|respond|reply", re.I)
_BY_TEXT = re.compile(
    r"^(?:[\d.:/\s,-]*|.*?\b(?:(?:eine?\s+|a\s+|une?\s+|una?\s+)?(?:artikel|beitrag|text|"
    r"blog[\s-]?beitrag|gastbeitrag|kolumne|kommentar|column|article|chronique|columna|"
    r"interview|entrevista)|written|geschrieben|(?P<posted>posted|filed|published|"
    r"veröffentlicht|erstellt|verfasst|publié|publicado))\b.*?)"
    r"\b(?:by|von|par|por|door):?\s+(?P<name>[^|•·\d]{2,60}?)\s*(?:[|•·,]|\d|$)",
    re.I,
)
# What follows a byline's name on the same line: "Von R. R. am 7. August", "by X in Sport",
# "Ein Interview von X mit Y" (Y is interviewed, not an author), "von X Veröffentlicht am".
_AFTER_NAME = re.compile(
    r"\s+(?:(?:am|um|im|in|mit|on|at|with|avec|con)(?:\s.*)?|(?:veröffentlicht|published|posted|"
    r"updated|aktualisiert|publié|publicado)\b.*)$",
    re.I,
)
# A date after the name, from its first digit or its weekday or month name on.
_WEEKDAY = (
    r"(?:mon|tues|wednes|thurs|fri|satur|sun)day|montag|dienstag|mittwoch|donnerstag|freitag|"
    r"samstag|sonntag|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|"
    r"mo|di|mi|do|fr|sa|so|mon|tue|wed|thu|fri|sat|sun"
)
# A name that is a month or a weekday ("July", "Mar"): a date's word read as a byline.
_CALENDAR = re.compile(rf"^(?:(?:{_MONTH}|{_WEEKDAY})\.?\s*)+$", re.I)
_DATE_TAIL = re.compile(
    rf"[\s,|•·]+(?:(?:{_WEEKDAY})\.?,?\s+)?(?:(?:{_MONTH})\.?,?\s+)?\d.*$|^\d.*$", re.I
)
# The label of a date the byline element also holds ("Veröffentlicht am 19.10.19", "Stand:").
_LABEL = re.compile(
    r"^(?:veröffentlicht|published|posted|updated|aktualisiert|stand|datum|date|written|"
    r"geschrieben|publié|mis à jour|publicado|actualizado)\b",
    re.I,
)
_SEPARATOR = re.compile(r"\s*[|•·]\s*")
_BYLINE_WORDS = frozenset({"by", "von", "par", "por", "door", "autor", "author", "text"})
_PARTICLES = frozenset({"von", "van", "de", "da", "der", "del", "la", "le", "du", "di", "y", "und"})
_HEADINGS = frozenset({"h1", "h2", "h3", "title", "a"})
_BYLINE_BEFORE = 200
_BYLINE_AFTER = 600
_BYLINE_CHARS = 80


def byline(
    page: PageText | None, site_name: str | None = None, url: str | None = None
) -> list[str]:
    """The people named by the byline nearest the page's headline (see :func:`people`), or [];
    ``page`` is the page's text and headline (:func:`copydesk.extraction.near.page_text`)."""
    if page is None:
        return []
    for _, element in page.elements_near(_BYLINE_BEFORE, _BYLINE_AFTER):
        text = _short_text(element)
        if not text:
            continue
        attributes = " ".join(element.get(a, "") for a in ("class", "id", "rel", "itemprop"))
        by = _BY_TEXT.match(text) if element.tag not in _HEADINGS else None
        if by:  # the name runs to a separator or a date ("von Olga | 06.11.2023 13:30")
            name = _SEPARATOR.split(_DATE_TAIL.sub("", text[by.start("name") :]))[0]
            name = _AFTER_NAME.sub("", name)
            # a post's data line may give its poster's handle as written ("Posted in News by
            # damianduchamps on …", "Verfasst von: mitundvoneinander")
            handle = by["posted"] is not None
            names = [
                n
                for n in people(name, site_name, url)
                if _looks_like_a_name(n) or (handle and _HANDLE.match(n))
            ]
        elif _BYLINE_CUE.search(attributes):  # "J.R. Stone Thursday, November 3": the name
            names = people(_DATE_TAIL.sub("", text), site_name, url)
        else:
            continue
        names = [n for n in names if n.lower() not in _BYLINE_WORDS and not _LABEL.match(n)]
        if names and not _in_comments(element):
            return names
    return []


def _short_text(element: Any) -> str | None:
    """The element's text, whitespace collapsed, or None when it is empty or longer than a
    byline (read no further than that: a container's whole article is not joined)."""
    pieces, length = [], 0
    for piece in element.itertext():
        length += len(piece.strip())
        if length > _BYLINE_CHARS:
            return None
        pieces.append(piece)
    text = " ".join(" ".join(pieces).split())
    return text if text and len(text) <= _BYLINE_CHARS else None


def _looks_like_a_name(name: str) -> bool:
    words = name.split()
    return all(w[0].isupper() or w.lower() in _PARTICLES for w in words) and words[0][0].isupper()


def _in_comments(element: Any, itself: bool = False) -> bool:
    """Whether ``element``'s ancestors (and, with ``itself``, the element) are comments'."""
    chain = [element, *element.iterancestors()] if itself else element.iterancestors()
    return any(_COMMENTS.search(f"{e.get('class', '')} {e.get('id', '')}") for e in chain)


def byline_or_metadata(
    metadata: list[str], shown: list[str], page: PageText | None = None
) -> list[str]:
    """The authors to store: the page's metadata (``metadata``), else the byline it shows
    (``shown``), which also wins where it spells the metadata's one name in full ("Nils" shown
    as "Nils Pickert") or as the page writes it ("ThE PaiN" shown as "ThE_PaiN"), where it
    names the metadata's people and more, where it names two or more of them and the
    metadata adds others (an editor in the analytics data), and where it names people in full
    and the page's text (``page``) shows none of the metadata's people (the account that
    uploaded the page)."""
    if not metadata:
        return shown
    if page is not None and shown and all(_in_full(n) for n in shown):
        visible = page.text.lower()
        if not any(name.lower() in visible for name in metadata):
            return shown
    listed, named = {_letters(n) for n in shown}, {_letters(n) for n in metadata}
    added = [n for n in shown if _letters(n) not in named]
    if len(shown) > len(metadata) and named < listed and all(len(n.split()) >= 2 for n in added):
        return shown  # the byline names co-authors the metadata left out (in full: a one-word
        # "co-author" is more often a place or a desk run into the byline)
    if len(shown) >= 2 and listed < named:
        return shown  # the metadata adds people the byline does not name (an editor)
    if len(metadata) == 1 and len(shown) == 1:
        # the same letters, not shouted ("ALLY MUTNICK" is "Ally Mutnick")
        same = _letters(metadata[0]) == _letters(shown[0]) and not shown[0].isupper()
        first_name = " " not in metadata[0] and shown[0].startswith(f"{metadata[0]} ")
        if same or (first_name and len(shown[0].split()) == 2):
            return shown
    return metadata


# Scripts that write vowels as marks after a consonant (Devanagari to Sinhala, Thai, Lao,
# Myanmar): a name cut before its last mark ("चक्रवर्त" for "चक्रवर्ती") lost a letter.
_MARKED_SCRIPT = re.compile("[\u0900-\u0dff\u0e00-\u0eff\u1000-\u109f]")


def with_marks(names: list[str], page: PageText | None) -> list[str]:
    """``names`` with the vowel marks that follow them on the page put back (a name's
    metadata cut before its last vowel sign, as trafilatura's author clean-up does)."""
    if page is None or not any(_MARKED_SCRIPT.search(n) for n in names):
        return names
    text = page.text
    out = []
    for name in names:
        at = text.find(name) if _MARKED_SCRIPT.search(name) else -1
        if at >= 0:
            end = at + len(name)
            while end < len(text) and unicodedata.category(text[end]).startswith("M"):
                end += 1
            name = text[at:end]
        out.append(name)
    return out


def _in_full(name: str) -> bool:
    """Whether ``name`` reads as a person's full name ("E. Barreneche"), not a word or a label
    ("Sourdough", "colony sims")."""
    return len(name.split()) >= 2 and _looks_like_a_name(name)


def _letters(name: str) -> str:
    return "".join(c for c in name.lower() if c.isalpha())


# A credit line after the article ("Text: Klausmartin Friedrich", "Autorin: Jane Porter",
# "Words: A and B", an author box's "About the author: Paddy"): a label, a colon, the names,
# on a line of its own or run on from a label element ("<strong>Text:</strong> Name").
_CREDIT_LABEL = (
    r"(?:text|texte|texto|testo|tekst|words|autor|autorin|autoren|author|authors|auteur|"
    r"autore|about the author|über den autor|über die autorin)\s*:"
)
_CREDIT = re.compile(rf"^{_CREDIT_LABEL}\s*(?P<names>[^:|•·]{{2,80}})$", re.I)
_LABEL_ONLY = re.compile(rf"^{_CREDIT_LABEL}$", re.I)
_ANY_CREDIT_LABEL = re.compile(rf"\b{_CREDIT_LABEL}", re.I)
# What a credit line may run into: the next label ("Fotos:", "Photos:", "Tags:").
_NEXT_LABEL = re.compile(
    r"\s+(?:fotos?|photos?|bilder?|images?|illustrations?|grafik|video|mitarbeit|"
    r"redaktion|tags?|quelle|source|kategorien?|categor(?:y|ies))\s*:.*$",
    re.I,
)


# A wire story's end credit ("(Reporting by A and B; Editing by C)"), not "Additional reporting".
_REPORTING_BY = re.compile(
    r"(?<!additional )(?<!Additional )\bReporting by (?P<names>[^;()\n]{2,80}?)\s*(?:[;()]|"
    r"\s(?:Editing|Writing|Additional)\b|$)"
)
# The line of a post's own data after it ("postmetadata", "entry-meta").
_POST_META = re.compile(r"post-?meta|entry-meta|post-?info", re.I)


def labelled_byline(
    page: PageText | None, site_name: str | None = None, url: str | None = None
) -> list[str]:
    """The people a labelled credit line after the headline names ("Text: X", "Autor: X"),
    the first such line outside comments; else the one person all the page's author links
    after the headline name (an author box after the article); else []."""
    if page is None or not page.headline:
        return []
    first = min(start for start, _ in page.headline)
    # one search of the text after the headline spares reading each element for a label
    labelled = _ANY_CREDIT_LABEL.search(page.text, first) is not None
    for start, element in page.elements:
        if start < first:
            continue
        line = _credit_line(element) if labelled else None
        credit = _CREDIT.match(_NEXT_LABEL.sub("", line)) if line else None
        if credit:
            raw = credit["names"]
        elif _POST_META.search(element.get("class", "")) and (text := _short_text(element)):
            by = _BY_TEXT.match(text)  # the post's line "Von R. R. am 7. August 2013"
            if not by:
                continue
            raw = _AFTER_NAME.sub("", _DATE_TAIL.sub("", text[by.start("name") :]))
        else:
            continue
        names = [n for n in people(raw, site_name, url) if _looks_like_a_name(n)]
        if names and not _in_comments(element, itself=True):
            return names
    # a wire story's end credit: "(Reporting by A and B; Editing by C)" (the editor and
    # "additional reporting" are no writers)
    for start, run, _ in page.runs:
        wire = _REPORTING_BY.search(run) if start >= first and "eporting by" in run else None
        if wire and (
            names := [n for n in people(wire["names"], site_name, url) if _looks_like_a_name(n)]
        ):
            return names
    return _author_box(page, first, site_name, url)


def _author_box(page: PageText, first: int, site_name: str | None, url: str | None) -> list[str]:
    """The one person the page's author links after the headline (``rel="author"``, an author
    box's name) all name, outside comments; [] when they name no one or several people."""
    found: dict[str, str] = {}
    for start, element in page.elements:
        if start < first or "author" not in element.get("rel", ""):
            continue
        text = _short_text(element)
        if not text or _in_comments(element, itself=True):
            continue
        for name in people(text, site_name, url):
            found.setdefault(squash(name), name)
    return list(found.values()) if len(found) == 1 else []


def _credit_line(element: Any) -> str | None:
    """The line a credit label starts: a short element that is the whole line, or a label
    element ("<b>Autor:</b>") with the text after it up to the next line break."""
    own = " ".join((element.text or "").split())
    if _LABEL_ONLY.match(own) and len(element) == 0:
        pieces = [own, element.tail or ""]
        for sibling in element.itersiblings():
            if sibling.tag == "br" or sum(len(p) for p in pieces) > _BYLINE_CHARS * 2:
                break
            pieces.extend((sibling.text_content(), sibling.tail or ""))
        return " ".join(" ".join(pieces).split())
    text = _short_text(element)
    return text if text and ":" in text else None
