"""The model of related content: articles with their tags, the links between concepts, the weights
of each kind of evidence, and the paths that explain a match."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

ABOUT, MENTIONS = "about", "mentions"


EPS = 1e-9


@dataclass(frozen=True)
class Article:
    iri: str
    url: str
    title: str
    summary: str = ""
    date: str = ""
    about: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    # The editors' picks of this article's related content (kb.read.picks): the articles
    # pinned first, in order, and those never shown.
    pinned: tuple[str, ...] = ()
    blocked: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.url}\x00{self.iri}"

    def concepts(self) -> list[tuple[str, str]]:
        """(concept, role), ``about`` winning when a concept is tagged both ways."""
        about = set(self.about)
        return [(c, ABOUT) for c in sorted(about)] + [
            (c, MENTIONS) for c in sorted(set(self.mentions) - about)
        ]


@dataclass(frozen=True)
class RelatedWeights:
    about: float = 1.0
    mentions: float = 0.5
    # Link property IRI -> weight of one hop through it.
    links: dict[str, float] = field(default_factory=dict)
    sibling_factor: float = 0.5
    # Concepts with more links than this are not expanded into siblings (hubs).
    hub_limit: int = 200
    # Ontology-linked concepts added to one article's query, strongest first (direct
    # concepts are always kept): bounds the query size whatever the link density.
    max_expansion: int = 24
    max_reasons: int = 3


@dataclass(frozen=True)
class Link:
    """One ontology link ``subject --property--> object`` between two concepts."""

    subject: str
    property: str
    object: str


@dataclass(frozen=True)
class Path:
    """How a query concept was reached from a concept of the source article."""

    origin: str  # the source article's concept
    kind: str  # "self", "link", "sibling", "cotarget"
    link: Link | None = None
    via: str | None = None  # the shared target or source for siblings / co-targets


# A URL that ``urlsplit`` would take apart and put back as it is: a lower-case scheme and
# host, a path of plain characters, no query, fragment, space or control character.
_PLAIN_URL = re.compile(r"[a-z][a-z0-9+.-]*://[a-z0-9.:-]+(?:/[A-Za-z0-9._~%!$&'()*+,;=:@/-]*)?")


def normalise_url(url: str) -> str:
    """Scheme and host lower-cased, fragment dropped, trailing slash of the path dropped."""
    stripped = url.strip()
    if _PLAIN_URL.fullmatch(stripped):  # the common case, without parsing (same result)
        return stripped.rstrip("/")
    return split_normalise_url(url)


def split_normalise_url(url: str) -> str:
    """``normalise_url`` for any URL, through ``urlsplit``."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url
    path = parts.path.rstrip("/") or ""
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))
