"""Turn a page's raw author string into a list of people: split, reordered, deduplicated."""

from __future__ import annotations

import re
import unicodedata

from copydesk.extraction.title import site_keys, squash

__all__ = ["people"]

# Between names: ";", "|", "/", " and ", " & ", and their equivalents in other languages.
_BETWEEN = re.compile(
    r"\s*(?:[;|、，／]|\s/\s|\s+(?:and|und|et|y|e|en|og|och|i|и|ve)\s+|\s*&\s*)\s*", re.I
)
_PREFIX = re.compile(
    r"^(?:(?:written|text|words|reporting|story|interview|photos?|fotos?)\s+)?"
    r"(?:by|von|par|por|di|da|de|door|av|af|przez|автор|auteur|autor|author|autorin|"
    r"interview|text|texte|reporter)\s*[:\-–]?\s+",
    re.I,
)
# Bylines that name no person: desks, staff, agencies' generic credits, form debris.
_NOT_PERSON = re.compile(
    r"^(?:the\s+)?(?:staff|staff writers?|staff reporter|editorial( team| staff| board)?|"
    r"editors?|redaktion|redacci[oó]n|r[eé]daction|redazione|newsroom|news desk|"
    r"national desk|web desk|digital desk|desk|team|admin(istrator)?|agencies|agency|wire|"
    r"wires|name|human|submitted|print|updated|guest|guest author|contributor|"
    r"contributors|anonymous|unknown|none|null)$"
    r"|\b(?:staff|desk|redaktion|redacci[oó]n|r[eé]daction|redazione|newsroom|editorial|"
    r"webteam|pressestelle|posted|no author|unbenannt|gmbh|verlag|newsdesk|zvg)\b"
    # organisations named by a publishing word at the end ("TOUR Magazin", "NMB-Media")
    r"|\b(?:media|magazine?|zeitung|online)$",
    re.I,
)
# Legal forms of companies ("Nordex SE", "Wegewerk GmbH"), case-sensitive: "Se" can be a name.
_COMPANY = re.compile(r"\b(?:AG|SE|Inc|Ltd|LLC|PLC|e\.\s?V)\b\.?$")
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
_FIELDS = re.compile(r"[;,|]")
_URLISH = re.compile(r"https?\b|www\b|\.(?:com|org|net|de|fr|co|uk)\b|@|\b(?:com|de)$", re.I)
_DIGIT = re.compile(r"\d")
_LAST_FIRST = re.compile(r"^([^\s,]+(?:[\s-][^\s,]+)?),\s*([^\s,]+(?:\s[^\s,]+)?)$")
_SPACES = re.compile(r"\s+")
_MAX_WORDS = 5


def _tidy(name: str) -> str:
    name = _SPACES.sub(" ", unicodedata.normalize("NFC", name)).strip(" \t,.:;-–—·|")
    while True:
        stripped = _PREFIX.sub("", name)
        if stripped == name:
            return name
        name = stripped.strip()


def _is_person(name: str, named: set[str], hosts: set[str]) -> bool:
    if len(name) < 2 or len(name.split()) > _MAX_WORDS:
        return False
    if _URLISH.search(name) or _DIGIT.search(name) or _NOT_PERSON.search(name):
        return False
    if _NOT_BYLINE.search(name) or _COMPANY.search(name):
        return False
    key = squash(name)
    if not key or any(k == key or (len(k) >= 4 and k in key) for k in named):
        return False  # the site's own name
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
    prefixes ("By", "Von") removed, duplicates dropped ("Sophie Foster, Sophie-Foster"), and
    what names no person is left out: URLs, the site's own name, desks and "Staff".
    """
    if not raw:
        return []
    named, hosts = site_keys(site_name, None), site_keys(None, url)
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
    return out
