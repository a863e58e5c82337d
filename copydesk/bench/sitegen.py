"""Generate a local news web for the crawl benchmark: article pages in real-looking templates."""

from __future__ import annotations

import html
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

__all__ = ["GeneratedSite", "GeneratedWeb", "generate_web", "sources_toml"]


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Words to build sentences from: common English plus the vocabulary of news copy. Sentences are
# drawn word by word from a small grammar, so two articles share almost no 5-word shingles.
_NOUNS = _words(
    "council budget port harbour ministry agency report minister official union strike talks "
    "court judge ruling election vote campaign party leader mayor committee inquiry police "
    "officer suspect witness fire storm flood road bridge railway station airport factory "
    "workers company shares market investors bank rate inflation prices tax revenue school "
    "teachers students hospital doctors patients nurses vaccine study scientists researchers "
    "climate emissions energy plant grid wind solar farmers harvest drought river coast fleet "
    "landings tourism hotels season festival museum library stadium club coach players match "
    "season league title fans tickets housing rent tenants developers plan permit zoning "
    "residents neighbours district village town city region province border army troops "
    "ceasefire convoy aid refugees shelter volunteers charity donors families children parents "
    "contract deal merger lawsuit settlement regulator licence network service outage customers "
    "software data privacy breach hackers security system pipeline reservoir water supply"
)
_VERBS = _words(
    "approved rejected announced delayed criticised defended proposed reviewed expanded cut "
    "raised lowered blocked backed questioned welcomed warned confirmed denied suspended "
    "restored reopened closed launched cancelled funded audited investigated challenged "
    "postponed signed drafted amended extended halted resumed reported estimated predicted"
)
_ADJECTIVES = _words(
    "new local regional national federal annual final early late major minor public private "
    "former senior junior independent emergency temporary permanent controversial unexpected "
    "long-awaited record-breaking cautious sharp modest steep gradual fragile tentative broad "
    "narrow coastal northern southern eastern western rural urban industrial digital"
)
_LINKS = (
    "after",
    "before",
    "while",
    "although",
    "because",
    "since",
    "despite",
    "amid",
    "following",
    "ahead of",
    "as part of",
    "in response to",
    "according to",
)
_NAMES = _words(
    "Ana Ben Chloe Dmitri Elena Farid Grace Hugo Ines Jonas Kaito Lena Marco Nadia Omar Priya "
    "Quentin Rosa Samir Tara Ugo Vera Wen Ximena Yusuf Zoe"
)
_SURNAMES = _words(
    "Abbott Brandt Castillo Dubois Eriksen Fontaine Garcia Hartmann Ibarra Jansen Kowalski "
    "Lindqvist Moreau Novak Okafor Petrov Quinn Rossi Schmidt Tanaka Umarov Vidal Weber Xu "
    "Young Zielinski"
)
_SECTIONS = _words("news world business politics science sport culture opinion local climate")


@dataclass
class GeneratedSite:
    """One generated outlet: its directory and the paths of its article pages."""

    slug: str
    root: Path
    articles: list[str] = field(default_factory=list)


@dataclass
class GeneratedWeb:
    """The generated outlets, the number of planted wire copies and the bytes written."""

    sites: list[GeneratedSite]
    wire_copies: int
    article_bytes: int

    @property
    def article_count(self) -> int:
        return sum(len(s.articles) for s in self.sites)


def _sentence(rng: random.Random) -> str:
    adj = rng.choice(_ADJECTIVES)
    noun = rng.choice(_NOUNS)
    parts = [
        f"The {adj} {noun}" if rng.random() < 0.6 else _person(rng),
        rng.choice(_VERBS),
        f"the {rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)} {rng.choice(_NOUNS)}",
    ]
    if rng.random() < 0.7:
        parts += [rng.choice(_LINKS), f"the {rng.choice(_NOUNS)} of the {rng.choice(_NOUNS)}"]
    if rng.random() < 0.4:
        parts.append(f"on {rng.choice(('Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'))}")
    if rng.random() < 0.3:
        parts.append(f"by {rng.randint(2, 98)} percent")
    text = " ".join(parts)
    return text[0].upper() + text[1:] + "."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(2, 5)))


def _title(rng: random.Random) -> str:
    words = [rng.choice(_ADJECTIVES), rng.choice(_NOUNS), rng.choice(_VERBS), rng.choice(_NOUNS)]
    words += [rng.choice(_LINKS), rng.choice(_NOUNS), rng.choice(_NOUNS)]
    text = " ".join(words)
    return text[0].upper() + text[1:]


def _person(rng: random.Random) -> str:
    return f"{rng.choice(_NAMES)} {rng.choice(_SURNAMES)}"


def _slugify(text: str) -> str:
    return "-".join("".join(c for c in w.lower() if c.isalnum()) for w in text.split())[:70]


# -- templates ---------------------------------------------------------------------------------

_CSS_RULES = [
    ".{c}-{i}{{margin:{m}px {n}px;padding:{n}px;font:{f}px/1.{m} Georgia,serif;color:#{h:06x}}}",
    ".{c}-{i} a:hover{{text-decoration:underline;border-bottom:{m}px solid #{h:06x}}}",
    "@media (max-width:{w}px){{.{c}-{i}{{display:none;flex:{m} 1 auto}}}}",
]


def _inline_css(rng: random.Random, rules: int) -> str:
    out = []
    for i in range(rules):
        out.append(
            rng.choice(_CSS_RULES).format(
                c=rng.choice(("nav", "card", "grid", "teaser", "ad", "promo", "foot", "hero")),
                i=i,
                m=rng.randint(0, 9),
                n=rng.randint(2, 40),
                f=rng.randint(11, 22),
                h=rng.randrange(0xFFFFFF),
                w=rng.choice((480, 768, 1024)),
            )
        )
    return "\n".join(out)


def _inline_js(rng: random.Random, blocks: int) -> str:
    out = []
    for i in range(blocks):
        out.append(
            f"(function(w,d){{var k{i}='{rng.randrange(16**12):012x}';w.dataLayer=w.dataLayer||[];"
            f"w.dataLayer.push({{event:'slot{i}',id:k{i},t:Date.now()}});"
            f"var s=d.createElement('script');s.async=true;"
            f"s.src='/static/js/chunk-{rng.randrange(16**8):08x}.js';"
            f"d.head.appendChild(s);}})(window,document);"
        )
    return "\n".join(out)


def _teaser_list(rng: random.Random, count: int, css: str) -> str:
    items = []
    for _ in range(count):
        title = html.escape(_title(rng))
        href = f"/{rng.choice(_SECTIONS)}/{_slugify(title)}-{rng.randint(1000, 99999)}.html"
        items.append(
            f'<li class="{css}"><a href="{href}"><img src="/img/{rng.randrange(16**8):08x}.jpg" '
            f'alt="" width="160" height="90" loading="lazy"><span class="{css}-title">{title}'
            f"</span></a></li>"
        )
    return "\n".join(items)


def _nav(rng: random.Random) -> str:
    menus = []
    for section in _SECTIONS:
        subs = "".join(
            f'<li><a href="/{section}/{rng.choice(_NOUNS)}">{rng.choice(_NOUNS).title()}</a></li>'
            for _ in range(8)
        )
        menus.append(
            f'<li class="menu-item"><a href="/{section}/">{section.title()}</a>'
            f'<ul class="sub-menu">{subs}</ul></li>'
        )
    return f'<nav class="main-nav" aria-label="Sections"><ul>{"".join(menus)}</ul></nav>'


def _comments(rng: random.Random) -> str:
    items = []
    for i in range(rng.randint(4, 12)):
        items.append(
            f'<li class="comment" id="comment-{i}"><div class="comment-author">'
            f"{_person(rng)}</div><time>{rng.randint(1, 59)} minutes ago</time>"
            f"<p>{html.escape(_sentence(rng))} {html.escape(_sentence(rng))}</p>"
            f'<button class="reply">Reply</button> <button class="like">Like</button></li>'
        )
    return (
        '<section class="comments" id="comments"><h2>Comments</h2>'
        f'<ol class="comment-list">{"".join(items)}</ol></section>'
    )


def _footer(rng: random.Random, site_name: str) -> str:
    cols = []
    for heading in ("Sections", "Services", "About us", "Follow"):
        links = "".join(
            f'<li><a href="/{_slugify(heading)}/{rng.choice(_NOUNS)}">{rng.choice(_NOUNS).title()} '
            f"{rng.choice(_NOUNS)}</a></li>"
            for _ in range(14)
        )
        cols.append(f'<div class="foot-col"><h3>{heading}</h3><ul>{links}</ul></div>')
    return (
        f'<footer class="site-footer">{"".join(cols)}'
        f"<p>© 2025 {site_name}. All rights reserved. Reproduction without permission is "
        "prohibited.</p></footer>"
    )


def _article_page(
    rng: random.Random,
    site_name: str,
    variant: int,
    title: str,
    author: str,
    published: datetime,
    paragraphs: list[str],
    path: str,
) -> str:
    date = published.isoformat(timespec="seconds")
    body_html = []
    for i, para in enumerate(paragraphs):
        body_html.append(f"<p>{html.escape(para)}</p>")
        if i == 3:
            body_html.append(
                '<aside class="inline-promo"><a href="/newsletter">Get our morning briefing'
                "</a></aside>"
            )
        if i == 6:
            body_html.append(
                f'<figure><img src="/img/{rng.randrange(16**8):08x}.jpg" alt="">'
                f"<figcaption>{html.escape(_sentence(rng))} Photo: {_person(rng)}</figcaption>"
                "</figure>"
            )
    ld = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": title,
            "datePublished": date,
            "author": {"@type": "Person", "name": author},
            "publisher": {"@type": "Organization", "name": site_name},
        }
    )
    sidebar = _teaser_list(rng, rng.randint(15, 25), "most-read")
    related = _teaser_list(rng, rng.randint(8, 14), "related")
    container = ("article", "div", "main")[variant % 3]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{html.escape(title)} | {site_name}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="description" content="{html.escape(paragraphs[0][:150])}">
<meta property="og:title" content="{html.escape(title)}">
<meta property="og:type" content="article">
<meta property="og:site_name" content="{site_name}">
<meta name="author" content="{author}">
<meta property="article:published_time" content="{date}">
<link rel="canonical" href="{path}">
<script type="application/ld+json">{ld}</script>
<style>{_inline_css(rng, rng.randint(250, 450))}</style>
<script>{_inline_js(rng, rng.randint(30, 60))}</script>
</head><body class="template-{variant}">
<header class="masthead"><a class="logo" href="/">{site_name}</a>
<form class="search" action="/search"><input name="q" placeholder="Search"></form>
<a class="subscribe" href="/subscribe">Subscribe</a></header>
{_nav(rng)}
<div class="breaking-bar"><a href="/live">Live: {html.escape(_title(rng))}</a></div>
<div class="layout">
<{container} class="story" itemscope itemtype="https://schema.org/NewsArticle">
<h1 class="headline" itemprop="headline">{html.escape(title)}</h1>
<div class="byline">By <a rel="author" href="/authors/{_slugify(author)}">{author}</a>
<time datetime="{date}">{published:%d %B %Y}</time></div>
<ul class="share"><li><a href="/share/fb">Share</a></li><li><a href="/share/x">Post</a></li>
<li><a href="/share/mail">Email</a></li></ul>
<div class="article-body" itemprop="articleBody">
{chr(10).join(body_html)}
</div>
<div class="tags">Topics: {" ".join(f'<a href="/tag/{t}">{t}</a>' for t in rng.sample(_NOUNS, 4))}
</div>
</{container}>
<aside class="sidebar"><h2>Most read</h2><ol>{sidebar}</ol>
<div class="ad-slot" data-slot="sidebar-{rng.randint(1, 9)}"></div></aside>
</div>
<section class="related"><h2>More on this story</h2><ul>{related}</ul></section>
<section class="newsletter"><h2>Sign up to our newsletter</h2>
<p>The day's most important stories, straight to your inbox every morning.</p>
<form action="/newsletter"><input type="email" name="email"><button>Sign up</button></form>
</section>
{_comments(rng)}
{_footer(rng, site_name)}
<script>{_inline_js(rng, rng.randint(8, 16))}</script>
</body></html>
"""


def _homepage(site_name: str, latest: list[tuple[str, str]]) -> str:
    links = "".join(f'<li><a href="{p}">{html.escape(t)}</a></li>' for p, t in latest)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{site_name}</title>'
        f'<link rel="alternate" type="application/rss+xml" href="/feed.xml"></head>'
        f"<body><h1>{site_name}</h1><ul>{links}</ul></body></html>\n"
    )


def _feed(site_name: str, entries: list[tuple[str, str, datetime]]) -> str:
    items = "".join(
        f"<item><title>{html.escape(t)}</title><link>{{{{base}}}}{p}</link>"
        f"<pubDate>{d:%a, %d %b %Y %H:%M:%S} +0000</pubDate></item>"
        for p, t, d in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{site_name}</title><link>{{{{base}}}}/</link>{items}</channel></rss>\n"
    )


def _urlset(entries: list[tuple[str, datetime]]) -> str:
    urls = "".join(
        f"<url><loc>{{{{base}}}}{p}</loc><lastmod>{d:%Y-%m-%d}</lastmod></url>" for p, d in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>\n'
    )


def _sitemap_index(children: list[str]) -> str:
    maps = "".join(f"<sitemap><loc>{{{{base}}}}{c}</loc></sitemap>" for c in children)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{maps}</sitemapindex>\n'
    )


def generate_web(
    root: Path,
    pages: int,
    *,
    sites: int = 4,
    seed: int = 7,
    wire_share: float = 0.1,
    sitemap_size: int = 500,
) -> GeneratedWeb:
    """Write ``pages`` article pages spread over ``sites`` outlets under ``root``.

    Each outlet has a homepage, ``robots.txt`` naming its sitemap index, an RSS feed of its
    latest 30 articles and sitemaps of ``sitemap_size`` URLs listing all of them. Feeds and
    sitemaps hold ``{{base}}`` placeholders that the server replaces with the outlet's base URL.
    About ``wire_share`` of the pages are planted copies of a few wire stories, lightly edited.
    """
    if pages < 1 or sites < 1:
        raise ValueError("pages and sites must be at least 1")
    rng = random.Random(seed)
    wire_stories = [
        [_paragraph(rng) for _ in range(rng.randint(8, 14))] for _ in range(max(1, pages // 100))
    ]
    start = datetime(2025, 3, 1, 6, 0, tzinfo=UTC)
    out: list[GeneratedSite] = []
    total_bytes = 0
    wire_copies = 0
    for s in range(sites):
        slug = f"outlet-{s + 1}"
        site_name = f"The {rng.choice(_ADJECTIVES).title()} {rng.choice(_NOUNS).title()}"
        site = GeneratedSite(slug, root / slug)
        site.root.mkdir(parents=True, exist_ok=True)
        entries: list[tuple[str, str, datetime]] = []
        count = pages // sites + (1 if s < pages % sites else 0)
        for i in range(count):
            published = start + timedelta(minutes=37 * i + 11 * s)
            title = _title(rng)
            if rng.random() < wire_share:
                story = rng.choice(wire_stories)
                paragraphs = [p for p in story if rng.random() > 0.1] or story[:2]
                paragraphs.insert(0, _paragraph(rng))  # the outlet's own intro
                wire_copies += 1
            else:
                paragraphs = [_paragraph(rng) for _ in range(rng.randint(7, 16))]
            section = rng.choice(_SECTIONS)
            path = f"/{section}/{published:%Y/%m/%d}/{_slugify(title)}-{s}{i:05d}.html"
            page = _article_page(
                rng, site_name, s, title, _person(rng), published, paragraphs, path
            )
            target = site.root / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            data = page.encode("utf-8")
            target.write_bytes(data)
            total_bytes += len(data)
            site.articles.append(path)
            entries.append((path, title, published))
        latest = sorted(entries, key=lambda e: e[2], reverse=True)[:30]
        (site.root / "index.html").write_text(
            _homepage(site_name, [(p, t) for p, t, _ in latest]), encoding="utf-8"
        )
        (site.root / "feed.xml").write_text(_feed(site_name, latest), encoding="utf-8")
        children = []
        (site.root / "sitemaps").mkdir(exist_ok=True)
        for n, first in enumerate(range(0, len(entries), sitemap_size)):
            chunk = entries[first : first + sitemap_size]
            child = f"/sitemaps/posts-{n + 1}.xml"
            (site.root / child.lstrip("/")).write_text(
                _urlset([(p, d) for p, _, d in chunk]), encoding="utf-8"
            )
            children.append(child)
        (site.root / "sitemap.xml").write_text(_sitemap_index(children), encoding="utf-8")
        (site.root / "robots.txt").write_text(
            "User-agent: *\nDisallow: /search\nSitemap: {{base}}/sitemap.xml\n", encoding="utf-8"
        )
        out.append(site)
    return GeneratedWeb(out, wire_copies, total_bytes)


def sources_toml(web: GeneratedWeb, bases: dict[str, str]) -> str:
    """A spider sources file reading each outlet's feed and sitemap index."""
    blocks = []
    for site in web.sites:
        base = bases[site.slug].rstrip("/")
        blocks.append(
            f'[[source]]\nname = "{site.slug}"\nhomepage = "{base}/"\n'
            f'feeds = ["{base}/feed.xml"]\nsitemaps = ["{base}/sitemap.xml"]\n'
        )
    return "\n".join(blocks)
