"""Tag suggestions: which concepts of the knowledge base a new article is about or mentions.

An editor pastes an article; this module finds the concepts it names and proposes a role for
each, with the evidence, for the editor to confirm. Nothing here writes.

Matching. Every label, synonym and abbreviation of a taggable concept (and "Author YEAR" for
studies) is normalised the way the text is and put into one Aho-Corasick automaton
(pyahocorasick). Normalising a word: Unicode NFKD with combining marks dropped (accents),
casefold, Greek letters spelled out (β -> beta), British spellings folded to American
(signalling -> signaling, miniaturisation -> miniaturization), then a light plural strip
(follicles -> follicle, therapies -> therapy). Words are concatenated *without* separators
inside a run of words joined only by spaces, hyphens or slashes, so "micro-needling",
"micro needling" and "microneedling", or "derma rollers" and "dermaroller", are the same key;
any other punctuation starts a new run (a "|" the keys never contain). A match counts only
when it starts at the first character of a word and ends at the last one of a word (word
boundaries), and overlapping matches keep the longest, leftmost one. One pass over the text,
whatever the number of patterns.

Abbreviations (a synonym in capitals of at most six characters: PRP, DHT, AA, VEGF, EGF) are
ambiguous. They match only when written in capitals and are kept only when the text supports
the reading: the concept is also named in full in the text; or a word from its label, synonyms
or definition stands within eight words ("PRP injection", "plasma"); or the text names a concept
the ontology links to it (a PRP article that names androgenetic alopecia, which PRP treats).
A text that spells the abbreviation out as something else ("pityriasis rubra pilaris (PRP)")
rejects it. Rejected readings are reported under ``unresolved``.

Negation and comparison. An occurrence preceded in its clause (within four words) by "not",
"no", "without", "unlike", "instead of", "rather than", "than", "versus", "vs.", "compared
with", "alternative to" ... is *contrasted*: it is reported, but it never counts toward
``about``. A heading that compares ("Microneedling vs. Topical Minoxidil") supports neither side.

Role. ``about`` when (1) the concept is named in the title (not negated); or (2) it is a
condition named in a heading together with a treatment from the title ("Microneedling for
Alopecia Areata"); or (3) it is a condition or treatment that dominates the body: at least three
uncontrasted occurrences, at least half as many as the most frequent concept, first seen in the
first third. Everything else is ``mentions``. The score (0-1) weighs title 0.4, heading 0.2,
frequency relative to the most frequent concept 0.3 and earliness 0.1; it orders suggestions
and is shown to the editor, the rules above decide the role. Each suggestion explains itself.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from itertools import accumulate

import ahocorasick

from kb.entities import (
    ARTICLE,
    CLAIM,
    CORRECTION,
    OWL,
    RDF_OBJECT,
    RDF_SUBJECT,
    RDF_TYPE,
    EntityGraph,
    Lit,
    entity_id,
    humanise,
    local_name,
)
from kb.namespaces import HK, IAO_DEFINITION, OBOINOWL, SKOS
from kb.namespaces import KB as KB_NS

ABOUT, MENTIONS = "about", "mentions"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Limits of one suggestion request (documented in docs/suggest.md).
MAX_TEXT_CHARS = 1_000_000  # characters of text (or of HTML) in one request
MAX_TITLE_CHARS = 1_000

# Kinds of node that are never proposed as tags: structure of the graph, not subjects.
UNTAGGED_TYPES = {
    ARTICLE,
    CLAIM,
    CORRECTION,
    str(HK.ArticleSection),
    str(HK.Comparison),
    str(HK.CostEstimate),
    str(HK.TreatmentSchedule),
    str(HK.AftercareInstruction),
    str(HK.InsuranceCoverage),
    str(HK.EvidenceLevel),
    str(HK.Population),  # "men", "women": who a claim applies to, not what an article is about
    str(HK.SourceDocument),
}
CONDITION_TYPES = {str(HK.Condition), str(HK.HairLossDisorder)}
TREATMENT_TYPES = {str(HK.Treatment), str(HK.CosmeticOption)}

# How a pattern names its concept, best first (ties between concepts go to the better one).
LABEL, EXACT, NARROW, OTHER, CITATION = 0, 1, 2, 3, 4
KIND_NAMES = {LABEL: "label", EXACT: "exact synonym", NARROW: "narrow synonym"}
KIND_NAMES.update({OTHER: "synonym", CITATION: "citation"})
SCOPES = {
    str(OBOINOWL.hasExactSynonym): EXACT,
    str(OBOINOWL.hasNarrowSynonym): NARROW,
    str(OBOINOWL.hasRelatedSynonym): OTHER,
    str(OBOINOWL.hasBroadSynonym): OTHER,
    str(SKOS.altLabel): EXACT,
    str(SKOS.hiddenLabel): OTHER,
}
LABELS = ("http://www.w3.org/2000/01/rdf-schema#label", str(SKOS.prefLabel))
ABBREVIATION = re.compile(r"[A-Z][A-Z0-9-]{1,5}")

# Words before an occurrence (same clause, at most CONTRAST_WINDOW words back) that make it a
# negation or a comparison.
CONTRAST_WINDOW = 4
CONTRAST_WORDS = _words(
    "not no never without unlike versus vs than instead rather nor neither except compared "
    "comparing alternative alternatives isn doesn don didn aren wasn weren won cannot"
)
COMPARISON_WORDS = _words("versus vs compared comparing comparison")
DOT_ABBREVIATIONS = _words("vs v al e g i eg ie etc approx dr fig cf")
CUE_WINDOW = 8
COMBINING_WORDS = _words(
    "plus combined combine combines combining combination together alongside also "
    "simultaneously addition added adding"
)
STOPWORDS = _words(
    """a an the of in on at to for from by with without and or but not no is are was were be
    been being that this these those it its as into onto over under than then which who whom
    whose what when where why how can could may might must should would will shall do does did
    has have had their there them they he she his her our your you we i such other some any all
    each more most less least very also only about after before between through during per via
    one two three used use using type form part people person patient patients"""
)

_TOKEN = re.compile(r"[^\W_]+")
_TOKEN_SPLIT = re.compile(r"([^\W_]+)")
_SOFT_GAP = re.compile(r"[ \t\u00a0\-\u2010\u2011/]*(?:\r?\n[ \t\u00a0]*)?")
_DOT_GAP = re.compile(r"\.[ \t\u00a0]*(?:\r?\n[ \t\u00a0]*)?")
_CLAUSE_BREAK = re.compile(r"[.;:!?,()\[\]{}\u2013\u2014\"\u201c\u201d|]|\n\s*\n")
_SENTENCE_BREAK = re.compile(r"[.!?|]|\n\s*\n")
_GREEK = str.maketrans(
    {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "κ": "kappa", "μ": "mu"}
)
_URL = re.compile(r"\bhttps?://[^\s)<>\"']+|\]\([^)\s]*\)", re.IGNORECASE)


# -- normalisation --------------------------------------------------------------------------


def normalise_word(word: str) -> str:
    """One word as a matching key: accents, case, Greek letters, spelling, plural."""
    key = _normalise_word(word)
    if len(_NORMS) < 200_000:
        _NORMS[word] = key
    return key


def _normalise_word(word: str) -> str:
    if word.isascii():
        w = word.lower()
    else:
        decomposed = unicodedata.normalize("NFKD", word)
        w = "".join(c for c in decomposed if not unicodedata.combining(c))
        w = w.casefold().translate(_GREEK)
    n = len(w)
    if n > 5:
        if w.endswith(("isation", "isations")):
            w = w.replace("isation", "ization")
        elif w.endswith(("ised", "ising")):
            w = w[:-4] + "iz" + w[-3:]
        if "lling" in w or w.endswith("lled"):
            w = w.replace("lling", "ling").replace("lled", "led")
        if w.startswith("oe"):
            w = w[1:]  # oedema, oestrogen
        if w == "ageing":
            w = "aging"
        n = len(w)
    if n > 3 and w[-1] == "s":
        if w.endswith("ies") and n > 4:
            return w[:-3] + "y"
        if w.endswith(("sses", "shes", "ches", "xes", "zes")):
            return w[:-2]
        if not w.endswith(("ss", "us", "is")):
            return w[:-1]
    return w


def normalise_phrase(text: str) -> str:
    """A phrase as one key, the way ``Stream`` builds keys from text ("|" marks a break)."""
    return Stream(text).key


class Stream:
    """The words of one text as matching keys, with the way back to character offsets.

    ``key`` concatenates the normalised words; ``starts``/``ends`` map positions in ``key``
    where a word starts/ends to its index; ``spans`` are the words' (start, end) offsets in the
    text; ``clause`` and ``sentence`` number the clause and sentence of each word.

    Built with C-level loops where possible (``re.split``, ``accumulate``, comprehensions and a
    cache of gap kinds): 10,000 words take a few milliseconds."""

    __slots__ = ("clause", "ends", "key", "norms", "sentence", "spans", "starts", "text")

    def __init__(self, text: str, breaks: Iterable[int] = ()):
        self.text = text
        parts = _split_words(text)  # [gap, word, gap, word, ..., word, gap]
        words = parts[1::2]
        n = len(words)
        bounds = list(accumulate(map(len, parts)))  # word k spans bounds[2k] .. bounds[2k+1]
        starts_at = bounds[0::2][:n]
        ends_at = bounds[1::2]
        self.spans = list(zip(starts_at, ends_at, strict=True))
        cache = _NORMS
        norms = [cache.get(w) or normalise_word(w) for w in words]
        self.norms = norms
        kind_of = _GAP_KINDS
        kinds = [kind_of.get(g) if g in kind_of else _gap_kind(g) for g in parts[2:-1:2]]
        for k, kind in enumerate(kinds):
            if kind == _DOTTED and words[k].lower() in DOT_ABBREVIATIONS:
                kinds[k] = SOFT  # "vs. minoxidil", "et al. 2022"
            elif kind == _DOTTED:
                kinds[k] = SENTENCE
        if breaks:
            for b in sorted(set(breaks)):
                k = bisect.bisect_left(starts_at, b) - 1  # the gap before word k+1
                if 0 <= k < len(kinds) and ends_at[k] <= b:
                    kinds[k] = SENTENCE
        separators = ["" if kind == SOFT else "|" for kind in kinds]
        pieces = [norms[0]] if n else []
        pieces += [sep + norm for sep, norm in zip(separators, norms[1:], strict=True)]
        self.key = "".join(pieces)
        piece_ends = list(accumulate(map(len, pieces)))
        self.ends = dict(zip(piece_ends, range(n), strict=True))
        self.starts = dict(
            zip(
                [e - len(norm) for e, norm in zip(piece_ends, norms, strict=True)],
                range(n),
                strict=True,
            )
        )
        self.clause = [0, *accumulate(1 if kind >= CLAUSE else 0 for kind in kinds)][:n]
        self.sentence = [0, *accumulate(1 if kind == SENTENCE else 0 for kind in kinds)][:n]


SOFT, HARD, CLAUSE, SENTENCE, _DOTTED = 0, 1, 2, 3, 4
_GAP_KINDS: dict[str, int] = {}
_NORMS: dict[str, str] = {}


def _split_words(text: str) -> list[str]:
    return _TOKEN_SPLIT.split(text)


def _gap_kind(gap: str) -> int:
    """What the characters between two words do: join them (SOFT), separate them (HARD), end
    a clause or a sentence; "." alone may follow an abbreviation (decided with the word)."""
    if _SOFT_GAP.fullmatch(gap):
        kind = SOFT
    elif _DOT_GAP.fullmatch(gap):
        kind = _DOTTED
    elif _SENTENCE_BREAK.search(gap):
        kind = SENTENCE
    elif _CLAUSE_BREAK.search(gap):
        kind = CLAUSE
    else:
        kind = HARD
    if len(_GAP_KINDS) < 4096:
        _GAP_KINDS[gap] = kind
    return kind


# -- documents ------------------------------------------------------------------------------


@dataclass
class Document:
    """What is matched: a title, a text, and where the text has headings (and, when the title
    was found inside the text, where)."""

    title: str
    text: str
    headings: list[tuple[int, int]] = field(default_factory=list)
    title_span: tuple[int, int] | None = None  # the title's place inside ``text``, if there
    kind: str = "text"
    masked: str | None = None  # ``text`` with URLs blanked (same length), for matching

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "title": self.title,
            "text": self.text,
            "headings": [
                {"offset": s, "length": e - s, "text": self.text[s:e]} for s, e in self.headings
            ],
            "titleInText": (
                {"offset": self.title_span[0], "length": self.title_span[1] - self.title_span[0]}
                if self.title_span
                else None
            ),
        }


def _mask_urls(text: str) -> str:
    return _URL.sub(lambda m: " " * len(m.group()), text)


def _is_heading_line(line: str) -> bool:
    words = line.split()
    if not words or len(words) > 14 or line[-1] in ".,;:" or not (line[0].isupper()):
        return False
    if line.endswith("?"):
        return True
    long_words = [w for w in words if len(w.strip("()[]\"'")) >= 4]
    if not long_words:
        return len(words) <= 4
    capitalised = sum(1 for w in long_words if w.strip("()[]\"'")[:1].isupper())
    return capitalised / len(long_words) >= 0.6


def from_text(text: str, title: str | None = None) -> Document:
    """Plain text or Markdown. Headings: Markdown ATX (``# ...``) and setext lines, and short
    title-case lines standing alone between blank lines. Without a title, the first heading
    or the first short line stands for it (and keeps its place in the text)."""
    headings: list[tuple[int, int]] = []
    lines = []
    offset = 0
    for raw in text.splitlines(keepends=True):
        lines.append((offset, raw))
        offset += len(raw)
    title_span = None
    markdown_levels: dict[int, int] = {}
    for index, (start, raw) in enumerate(lines):
        line = raw.rstrip("\r\n")
        stripped = line.strip()
        if not stripped:
            continue
        lead = len(line) - len(line.lstrip())
        level = 0
        if stripped.startswith("#"):
            hashes = len(stripped) - len(stripped.lstrip("#"))
            if hashes <= 6 and stripped[hashes : hashes + 1] in (" ", "\t", ""):
                level = hashes
        nxt = lines[index + 1][1].strip() if index + 1 < len(lines) else ""
        if level:
            body = stripped[level:].strip().rstrip("#").strip()
            if body:
                s = start + lead + stripped.index(body)
                headings.append((s, s + len(body)))
                markdown_levels[s] = level
            continue
        if nxt and set(nxt) <= {"="} | {"-"} and len(nxt) >= 3:
            s = start + lead
            headings.append((s, s + len(stripped)))
            markdown_levels[s] = 1 if nxt[0] == "=" else 2
            continue
        prev_blank = index == 0 or not lines[index - 1][1].strip()
        next_blank = index + 1 >= len(lines) or not nxt
        if prev_blank and next_blank and _is_heading_line(stripped):
            s = start + lead
            headings.append((s, s + len(stripped)))
    if not title:
        title = ""
        first = next(((s, raw) for s, raw in lines if raw.strip()), None)
        if first is not None:
            s, raw = first
            stripped = raw.strip()
            top = [h for h in headings if markdown_levels.get(h[0]) == 1]
            if top and top[0][0] <= s + len(raw):
                title_span = top[0]
            elif headings and headings[0][0] < s + len(raw):
                title_span = headings[0]
            elif len(stripped.split()) <= 20 and stripped[-1:] not in ".;:,":
                lead = len(raw) - len(raw.lstrip())
                title_span = (s + lead, s + lead + len(stripped.lstrip("#").strip()))
        if title_span is not None:
            title = text[title_span[0] : title_span[1]]
            headings = [h for h in headings if h != title_span]
    return Document(
        title=title,
        text=text,
        headings=headings,
        title_span=title_span,
        kind="text",
        masked=_mask_urls(text),
    )


_SKIPPED_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "math", "head"})
_BLOCK_TAGS = _words(
    """address article aside blockquote body br dd details dialog div dl dt fieldset figcaption
    figure footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table
    tbody td tfoot th thead tr ul caption"""
)
_HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_VOID_TAGS = _words("area base br col embed hr img input link meta param source track wbr")


class _VisibleText(HTMLParser):
    """Visible text of an HTML document (html.parser: tolerant, no regular expressions over
    markup): whitespace collapsed as a browser does, blocks separated by blank lines, script,
    style and head left out, with the headings' offsets and the <title>."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.length = 0
        self.skip_depth = 0
        self.skip_stack: list[str] = []
        self.in_title = False
        self.title_parts: list[str] = []
        self.pre_depth = 0
        self.heading_start: int | None = None
        self.heading_tag = ""
        self.headings: list[tuple[int, int, str]] = []
        self.pending_space = False

    def _emit(self, text: str) -> None:
        self.out.append(text)
        self.length += len(text)

    def _block_break(self) -> None:
        if self.length == 0:
            self.pending_space = False
            return
        tail = "".join(self.out[-2:])[-2:]
        if tail != "\n\n":
            self._emit("\n\n" if not tail.endswith("\n") else "\n")
        self.pending_space = False

    def handle_starttag(self, tag, attrs):
        if tag == "title":
            self.in_title = True
            return
        if tag in _SKIPPED_TAGS and tag not in _VOID_TAGS:
            if tag == "head":
                return  # <head> holds <title>; its other children are skipped below
            self.skip_depth += 1
            self.skip_stack.append(tag)
            return
        if self.skip_depth:
            return
        if tag in _BLOCK_TAGS:
            self._block_break()
        if tag == "pre":
            self.pre_depth += 1
        if tag in _HEADING_TAGS and self.heading_start is None:
            self.heading_start = self.length
            self.heading_tag = tag

    def handle_startendtag(self, tag, attrs):
        if not self.skip_depth and tag in _BLOCK_TAGS:
            self._block_break()

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_title = False
            return
        if self.skip_depth:
            if tag in self.skip_stack:
                while self.skip_stack:
                    self.skip_depth -= 1
                    if self.skip_stack.pop() == tag:
                        break
            return
        if tag == "pre" and self.pre_depth:
            self.pre_depth -= 1
        if tag in _HEADING_TAGS and self.heading_start is not None:
            self.headings.append((self.heading_start, self.length, self.heading_tag))
            self.heading_start = None
        if tag in _BLOCK_TAGS:
            self._block_break()

    def handle_data(self, data):
        if self.in_title:
            self.title_parts.append(data)
            return
        if self.skip_depth:
            return
        if self.pre_depth:
            self._emit(data)
            return
        words = data.split()
        if not words:
            if data and self.length:
                self.pending_space = True
            return
        lead = data[:1].isspace()
        if (lead or self.pending_space) and self.length and not self.out[-1].endswith((" ", "\n")):
            self._emit(" ")
        self._emit(" ".join(words))
        self.pending_space = data[-1:].isspace()

    def result(self) -> tuple[str, str, list[tuple[int, int, str]]]:
        text = "".join(self.out)
        stripped = text.rstrip()
        title = " ".join("".join(self.title_parts).split())
        headings = []
        for s, e, tag in self.headings:
            e = min(e, len(stripped))
            while e > s and stripped[e - 1].isspace():
                e -= 1
            while s < e and stripped[s].isspace():
                s += 1
            if e > s:
                headings.append((s, e, tag))
        return stripped, title, headings


def from_html(html: str, title: str | None = None) -> Document:
    """HTML: the visible text (offsets refer to it); <title> (or the first <h1>) is the title
    and h1-h6 are headings."""
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    text, html_title, found = parser.result()
    headings = [(s, e) for s, e, _tag in found if e > s]
    title_span = None
    if not title:
        title = html_title
        if not title:
            h1 = next(((s, e) for s, e, tag in found if tag == "h1" and e > s), None)
            if h1 is not None:
                title_span = h1
                title = text[h1[0] : h1[1]]
                headings = [h for h in headings if h != h1]
    return Document(
        title=title or "",
        text=text,
        headings=headings,
        title_span=title_span,
        kind="html",
        masked=_mask_urls(text),
    )


def looks_like_html(text: str) -> bool:
    head = text[:2048].lstrip().lower()
    return head.startswith(("<!doctype html", "<html", "<body", "<head")) or (
        head.startswith("<") and any(t in head for t in ("<p", "<div", "<h1", "<h2", "<article"))
    )


# -- the concepts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Concept:
    index: int
    id: str
    iri: str
    label: str
    type: str  # local name of the most specific class
    types: frozenset[str]  # every class IRI
    cues: frozenset[str]  # normalised words from label, synonyms, definition
    neighbours: frozenset[int]  # concepts the ontology links to this one (either direction)
    components: frozenset[int] = frozenset()  # of a combination treatment (hk:hasComponent)
    # procedures that administer this product (hk:administers): naming the product ("PRP")
    # names them as a component of a combination
    administered_by: frozenset[int] = frozenset()

    @property
    def group(self) -> str:
        if self.types & CONDITION_TYPES:
            return "condition"
        if self.types & TREATMENT_TYPES:
            return "treatment"
        return "other"

    def ref(self) -> dict:
        return {"id": self.id, "iri": self.iri, "label": self.label, "type": self.type}


@dataclass(frozen=True)
class Pattern:
    text: str  # as written in the knowledge base
    concept: int
    kind: int
    abbreviation: bool


def _literal_texts(values) -> list[str]:
    return [v.value for v in values if isinstance(v, Lit) and v.value.strip()]


def _citation_patterns(label: str) -> list[str]:
    """ "Gupta et al. 2022 network meta-analysis ..." -> "Gupta et al. 2022", "Gupta 2022"."""
    m = re.match(r"\s*([A-Z][\w'-]+)(?: et al\.?)?,? \(?((?:19|20)\d\d)\b", label)
    if not m:
        return []
    author, year = m.groups()
    return [f"{author} et al. {year}", f"{author} {year}", f"{author} et al., {year}"]


def concepts_from_graph(graph: EntityGraph) -> tuple[list[Concept], list[Pattern]]:
    """The taggable concepts of ``graph`` and every pattern that names one."""
    chosen: list[str] = []
    for iri in sorted(graph.entities()):
        identifier = entity_id(iri)
        if identifier is None or identifier.startswith("hk:") or graph.is_class(iri):
            continue
        types = graph.all_types(iri)
        if not types or any(t in UNTAGGED_TYPES for t in types):
            continue
        if not any(t.startswith(str(HK)) for t in types):
            continue
        if graph.values(iri, OWL + "deprecated"):
            continue
        chosen.append(iri)
    index_of = {iri: i for i, iri in enumerate(chosen)}
    patterns: list[Pattern] = []
    texts: dict[int, list[str]] = {}
    for i, iri in enumerate(chosen):
        label = graph.label(iri)
        own: list[tuple[str, int]] = []
        for prop in LABELS:
            own += [(t, LABEL) for t in _literal_texts(graph.values(iri, prop))]
        scoped = set()
        for prop, kind in SCOPES.items():
            for t in _literal_texts(graph.values(iri, prop)):
                # skos:altLabel mirrors the scoped synonyms: it counts only for texts without one
                if prop != str(SKOS.altLabel) or t not in scoped:
                    own.append((t, kind))
                    scoped.add(t)
        if any(t.endswith("Study") for t in graph.all_types(iri)):
            own += [(t, CITATION) for t in _citation_patterns(label)]
        best: dict[str, tuple[int, str]] = {}
        for text, kind in own:
            if text not in best or kind < best[text][0]:
                best[text] = (kind, text)
        for text, (kind, _) in sorted(best.items()):
            abbreviation = bool(ABBREVIATION.fullmatch(text)) and kind != LABEL
            patterns.append(Pattern(text, i, kind, abbreviation))
        definition = _literal_texts(graph.values(iri, str(IAO_DEFINITION)))
        texts[i] = [t for t, _ in own if not ABBREVIATION.fullmatch(t)] + definition[:1]
    # Cue words: content words of a concept's names and definition that few concepts share.
    words_of = {
        i: {
            normalise_word(w)
            for t in ts
            for w in _TOKEN.findall(t)
            if len(w) > 2 and w.lower() not in STOPWORDS and not w.isdigit()
        }
        for i, ts in texts.items()
    }
    spread = Counter(w for ws in words_of.values() for w in ws)
    common = max(3, len(chosen) // 12)
    neighbours: dict[int, set[int]] = {i: set() for i in range(len(chosen))}
    for iri, i in index_of.items():
        for prop, values in graph.spo.get(iri, {}).items():
            if prop == RDF_TYPE:
                continue
            for value in values:
                j = index_of.get(value) if isinstance(value, str) else None
                if j is not None and j != i:
                    neighbours[i].add(j)
                    neighbours[j].add(i)
    for props in graph.spo.values():  # claims: subject and object of one statement
        subjects = [index_of[v] for v in props.get(RDF_SUBJECT, ()) if v in index_of]
        objects = [index_of[v] for v in props.get(RDF_OBJECT, ()) if v in index_of]
        for a in subjects:
            for b in objects:
                if a != b:
                    neighbours[a].add(b)
                    neighbours[b].add(a)
    components = {
        i: frozenset(index_of[v] for v in graph.values(iri, str(HK.hasComponent)) if v in index_of)
        for iri, i in index_of.items()
    }
    administered_by: dict[int, set[int]] = defaultdict(set)
    for iri, i in index_of.items():
        for product in graph.values(iri, str(HK.administers)):
            if product in index_of:
                administered_by[index_of[product]].add(i)
    concepts = []
    for i, iri in enumerate(chosen):
        primary = graph.primary_type(iri)
        types = graph.all_types(iri)
        concepts.append(
            Concept(
                index=i,
                id=entity_id(iri) or iri,
                iri=iri,
                label=graph.label(iri) if graph.label(iri) else humanise(iri),
                type=local_name(primary or types[0]),
                types=frozenset(types),
                cues=frozenset(w for w in words_of[i] if spread[w] <= common),
                neighbours=frozenset(neighbours[i]),
                components=components[i] if len(components[i]) >= 2 else frozenset(),
                administered_by=frozenset(administered_by.get(i, ())),
            )
        )
    return concepts, patterns


# -- occurrences and suggestions -----------------------------------------------------------


@dataclass
class Occurrence:
    concept: int
    field: str  # "title" or "text"
    start: int
    end: int
    surface: str
    pattern: str
    kind: int
    block: str  # "title", "heading" or "body"
    block_index: int  # which heading (or -1)
    contrasted: bool
    comparison_heading: bool
    first_word: int
    last_word: int
    abbreviation: bool
    resolution: str = ""
    derived: bool = False  # a combination inferred from its components' occurrences

    def as_json(self) -> dict:
        out = {
            "field": self.field,
            "offset": self.start,
            "length": self.end - self.start,
            "surface": self.surface,
            "matched": self.pattern,
            "match": (
                "combination"
                if self.derived
                else "abbreviation"
                if self.abbreviation
                else KIND_NAMES[self.kind]
            ),
            "block": self.block,
            "contrasted": self.contrasted,
        }
        if self.resolution:
            out["resolution"] = self.resolution
        return out


@dataclass
class Suggestion:
    concept: Concept
    role: str
    score: float
    summary: str
    reasons: list[str]
    signals: dict
    occurrences: list[Occurrence]

    def as_json(self) -> dict:
        return {
            **self.concept.ref(),
            "role": self.role,
            "score": self.score,
            "explanation": {"summary": self.summary, "reasons": self.reasons, **self.signals},
            "spans": [o.as_json() for o in self.occurrences],
        }


@dataclass
class Result:
    document: Document
    suggestions: list[Suggestion]
    unresolved: list[dict]
    words: int

    def ids(self, role: str) -> list[str]:
        return [s.concept.id for s in self.suggestions if s.role == role]

    def as_json(self, *, include_document: bool = True) -> dict:
        out: dict = {
            "words": self.words,
            "about": self.ids(ABOUT),
            "mentions": self.ids(MENTIONS),
            "concepts": [s.as_json() for s in self.suggestions],
            "unresolved": self.unresolved,
        }
        if include_document:
            out["document"] = self.document.as_json()
        return out


class Suggester:
    """The matcher over one snapshot of the knowledge base's concepts."""

    def __init__(self, concepts: list[Concept], patterns: list[Pattern]):
        self.concepts = concepts
        self.patterns = patterns
        self._by_key: dict[str, list[int]] = {}
        for p_index, pattern in enumerate(patterns):
            key = normalise_phrase(pattern.text)
            if not key or "|" in key:
                continue  # a name with inner punctuation other than - and / cannot match a run
            self._by_key.setdefault(key, []).append(p_index)
        self.automaton = ahocorasick.Automaton()
        for key, p_indexes in self._by_key.items():
            self.automaton.add_word(key, (len(key), tuple(p_indexes)))
        if self._by_key:
            self.automaton.make_automaton()

    @classmethod
    def from_graph(cls, graph: EntityGraph) -> Suggester:
        return cls(*concepts_from_graph(graph))

    def __len__(self) -> int:
        return len(self.patterns)

    # -- matching ---------------------------------------------------------------------------

    def _match(self, stream: Stream) -> list[tuple[int, int, tuple[int, ...]]]:
        """(first word, last word, pattern indexes) of the longest, leftmost matches."""
        if not self._by_key or not stream.key:
            return []
        found = []
        starts, ends, spans, text = stream.starts, stream.ends, stream.spans, stream.text
        patterns = self.patterns
        for end_index, (length, p_indexes) in self.automaton.iter(stream.key):
            i = starts.get(end_index - length + 1)
            if i is None:
                continue
            j = ends.get(end_index + 1)
            if j is None:
                continue
            usable = p_indexes
            if any(patterns[p].abbreviation for p in p_indexes):
                surface = text[spans[i][0] : spans[j][1]]
                upper = i == j and surface.isupper()
                usable = tuple(p for p in p_indexes if upper or not patterns[p].abbreviation)
                if not usable:
                    continue
            found.append((i, j, usable))
        found.sort(key=lambda f: (f[0], f[0] - f[1]))
        chosen = []
        last = -1
        for i, j, p_indexes in found:
            if i > last:
                chosen.append((i, j, p_indexes))
                last = j
        return chosen

    def _contrasted(self, stream: Stream, i: int) -> bool:
        clause = stream.clause[i]
        text, spans = stream.text, stream.spans
        for k in range(i - 1, max(-1, i - 1 - CONTRAST_WINDOW), -1):
            if stream.clause[k] != clause:
                break
            word = text[spans[k][0] : spans[k][1]].lower()
            if word in CONTRAST_WORDS:
                return True
        return False

    def _occurrences(self, doc: Document) -> tuple[list[Occurrence], dict[str, Stream]]:
        occurrences: list[Occurrence] = []
        streams: dict[str, Stream] = {}
        masked = doc.masked if doc.masked is not None else doc.text
        blocks = sorted(doc.headings)
        block_starts = [s for s, _ in blocks]
        breaks = [x for span in blocks for x in span]
        if doc.title_span:
            breaks += list(doc.title_span)
        fields = [("text", masked, breaks)]
        if doc.title and doc.title_span is None:
            fields.insert(0, ("title", doc.title, []))
        comparison_blocks = set()
        for field_name, text, field_breaks in fields:
            stream = Stream(text, field_breaks)
            streams[field_name] = stream
            if field_name == "text":
                for b, (s, e) in enumerate(blocks):
                    words = {w.lower() for w in _TOKEN.findall(text[s:e])}
                    if words & COMPARISON_WORDS:
                        comparison_blocks.add(b)
            for i, j, p_indexes in self._match(stream):
                start, end = stream.spans[i][0], stream.spans[j][1]
                block, block_index = "body", -1
                in_title_span = doc.title_span and doc.title_span[0] <= start < doc.title_span[1]
                if field_name == "title" or in_title_span:
                    block = "title"
                else:
                    b = bisect.bisect_right(block_starts, start) - 1
                    if b >= 0 and start < blocks[b][1]:
                        block, block_index = "heading", b
                best = min(self.patterns[p].kind for p in p_indexes)
                contrasted = self._contrasted(stream, i)
                seen_concepts = set()
                for p in p_indexes:
                    pattern = self.patterns[p]
                    if pattern.kind != best or pattern.concept in seen_concepts:
                        continue
                    seen_concepts.add(pattern.concept)
                    occurrences.append(
                        Occurrence(
                            concept=pattern.concept,
                            field=field_name,
                            start=start,
                            end=end,
                            surface=doc.text[start:end]
                            if field_name == "text"
                            else doc.title[start:end],
                            pattern=pattern.text,
                            kind=pattern.kind,
                            block=block,
                            block_index=block_index,
                            contrasted=contrasted,
                            comparison_heading=block_index in comparison_blocks,
                            first_word=i,
                            last_word=j,
                            abbreviation=pattern.abbreviation,
                        )
                    )
        return occurrences, streams

    # -- ambiguity ------------------------------------------------------------------------

    def _resolve(
        self, occurrences: list[Occurrence], streams: dict[str, Stream]
    ) -> tuple[list[Occurrence], list[dict]]:
        """Abbreviations kept only with support; a surface naming two concepts equally well
        goes to the one with more support in the text."""
        concepts = self.concepts
        firm = {o.concept for o in occurrences if not o.abbreviation}
        unresolved: list[dict] = []
        # A surface spelled out in the text as something else rejects it everywhere.
        foreign: set[str] = set()
        full: dict[tuple[str, int], list[tuple[int, int]]] = {}
        for o in occurrences:
            if not o.abbreviation:
                full.setdefault((o.field, o.concept), []).append((o.start, o.end))
        for o in occurrences:
            fresh = o.abbreviation and o.surface not in foreign
            if fresh and self._defined_otherwise(o, streams[o.field], full):
                foreign.add(o.surface)
        kept: list[Occurrence] = []
        for o in occurrences:
            if not o.abbreviation:
                kept.append(o)
                continue
            concept = concepts[o.concept]
            if o.surface in foreign:
                unresolved.append(self._unresolved(o, "spelled out in the text as something else"))
                continue
            if o.concept in firm:
                o.resolution = f"the text also names {concept.label!r} in full"
                kept.append(o)
                continue
            stream = streams[o.field]
            lo = max(0, o.first_word - CUE_WINDOW)
            hi = min(len(stream.norms), o.last_word + CUE_WINDOW + 1)
            cue = next(
                (
                    stream.text[stream.spans[k][0] : stream.spans[k][1]]
                    for k in range(lo, hi)
                    if not o.first_word <= k <= o.last_word and stream.norms[k] in concept.cues
                ),
                None,
            )
            if cue is not None:
                o.resolution = f"next to {cue!r}"
                kept.append(o)
                continue
            linked = sorted(concept.neighbours & firm)
            if linked:
                o.resolution = (
                    f"the text names {concepts[linked[0]].label!r}, which the ontology links to it"
                )
                kept.append(o)
                continue
            unresolved.append(self._unresolved(o, "no support in the text for this reading"))
        # Ties between concepts for one span (same pattern kind): keep the better supported.
        by_span: dict[tuple[str, int], list[Occurrence]] = {}
        for o in kept:
            by_span.setdefault((o.field, o.start), []).append(o)
        support = Counter(o.concept for o in kept)
        result = []
        for group in by_span.values():
            if len(group) == 1:
                result.append(group[0])
                continue

            def strength(o: Occurrence) -> tuple:
                c = concepts[o.concept]
                return (-(support[o.concept] + len(c.neighbours & firm)), c.id)

            group.sort(key=strength)
            winner = group[0]
            others = ", ".join(concepts[o.concept].id for o in group[1:])
            winner.resolution = (winner.resolution + "; " if winner.resolution else "") + (
                f"preferred to {others} (more support in the text)"
            )
            result.append(winner)
        result.sort(key=lambda o: (o.field != "title", o.start))
        return result, unresolved

    def _combinations(
        self, occurrences: list[Occurrence], streams: dict[str, Stream]
    ) -> list[Occurrence]:
        """A combination treatment the ontology knows (hk:hasComponent), where one sentence
        names all its components with a word that combines them ("combined with", "plus",
        "while also", or "and" between them)."""
        combos = [c for c in self.concepts if c.components]
        if not combos:
            return []

        def names(o: Occurrence) -> set[int]:
            return {o.concept, *self.concepts[o.concept].administered_by}

        named = {c for o in occurrences for c in names(o)}
        by_sentence: dict[tuple[str, int], list[Occurrence]] = {}
        for o in occurrences:
            stream = streams[o.field]
            by_sentence.setdefault((o.field, stream.sentence[o.first_word]), []).append(o)
        found: list[Occurrence] = []
        for combo in combos:
            if not combo.components <= named:
                continue
            for (field_name, _), group in by_sentence.items():
                parts = [o for o in group if names(o) & combo.components]
                if not combo.components <= {c for o in parts for c in names(o)}:
                    continue
                parts.sort(key=lambda o: o.first_word)
                stream = streams[field_name]
                lo, hi = parts[0].first_word, parts[-1].last_word
                sentence_no = stream.sentence[lo]
                k0 = lo
                while k0 > 0 and stream.sentence[k0 - 1] == sentence_no:
                    k0 -= 1
                k1 = hi
                while k1 + 1 < len(stream.spans) and stream.sentence[k1 + 1] == sentence_no:
                    k1 += 1
                words = {
                    stream.text[stream.spans[k][0] : stream.spans[k][1]].lower()
                    for k in range(k0, k1 + 1)
                }
                close_and = hi - lo <= 6 and "and" in {
                    stream.text[stream.spans[k][0] : stream.spans[k][1]].lower()
                    for k in range(lo, hi + 1)
                }
                cue = words & COMBINING_WORDS
                if not (cue or close_and):
                    continue
                why = f"'{sorted(cue)[0]}'" if cue else "'and'"
                for o in parts:
                    found.append(
                        Occurrence(
                            concept=combo.index,
                            field=o.field,
                            start=o.start,
                            end=o.end,
                            surface=o.surface,
                            pattern=combo.label,
                            kind=OTHER,
                            block=o.block,
                            block_index=o.block_index,
                            contrasted=False,
                            comparison_heading=o.comparison_heading,
                            first_word=o.first_word,
                            last_word=o.last_word,
                            abbreviation=False,
                            resolution=f"components named together in one sentence with {why}",
                            derived=True,
                        )
                    )
        return found

    def _defined_otherwise(self, o: Occurrence, stream: Stream, full: dict) -> bool:
        """'Pityriasis rubra pilaris (PRP)' or 'PRP (pityriasis rubra pilaris)' where the long
        form is not a name of this concept. ``full`` maps (field, concept) to the sorted
        (start, end) of the concept's non-abbreviated occurrences."""
        text = stream.text
        window = 200
        lo = max(0, o.start - window)
        before = text[lo : o.start].rstrip()
        after = text[o.end : o.end + window].lstrip()
        letters = [c for c in o.surface.lower() if c.isalpha()]
        named = full.get((o.field, o.concept), ())
        if before.endswith("(") and after.startswith(")"):
            long_end = lo + len(before) - 1  # the "(" in the text
            if any(text[e:long_end].strip() == "" for _s, e in named if e <= long_end):
                return False
            words = _TOKEN.findall(before[:-1])[-len(letters) :]
            return _initials_match(words, letters)
        if after.startswith("("):
            inner = after[1:].split(")", 1)[0]
            start = o.end + (len(text[o.end : o.end + window]) - len(after)) + 1
            if any(start <= s <= start + 2 for s, _e in named):
                return False
            words = _TOKEN.findall(inner)[: len(letters)]
            return _initials_match(words, letters)
        return False

    def _unresolved(self, o: Occurrence, reason: str) -> dict:
        c = self.concepts[o.concept]
        return {
            "surface": o.surface,
            "field": o.field,
            "offset": o.start,
            "length": o.end - o.start,
            "candidate": c.ref(),
            "reason": reason,
        }

    # -- roles ------------------------------------------------------------------------------

    def suggest(self, doc: Document) -> Result:
        occurrences, streams = self._occurrences(doc)
        occurrences, unresolved = self._resolve(occurrences, streams)
        occurrences += self._combinations(occurrences, streams)
        words = sum(len(s.spans) for s in streams.values())
        per: dict[int, list[Occurrence]] = {}
        for o in occurrences:
            per.setdefault(o.concept, []).append(o)
        direct = [o for o in occurrences if not o.derived]
        body_counts = {
            c: sum(1 for o in os if o.block == "body" and not o.contrasted and not o.derived)
            for c, os in per.items()
        }
        top = max(body_counts.values(), default=0)
        length = max(1, len(doc.text))
        title_concepts = {
            c
            for c, os in per.items()
            if any(o.block == "title" and not o.contrasted and not o.derived for o in os)
        }
        title_treatments = {c for c in title_concepts if self.concepts[c].group == "treatment"}
        heading_members: dict[int, set[int]] = {}
        for o in direct:
            if o.block == "heading":
                heading_members.setdefault(o.block_index, set()).add(o.concept)
        suggestions = []
        for c, os in per.items():
            concept = self.concepts[c]
            derived_only = all(o.derived for o in os)
            os_all, os = os, [o for o in os if not o.derived]
            in_title = c in title_concepts
            title_contrast = any(o.block == "title" and o.contrasted for o in os)
            headings = {
                o.block_index
                for o in os
                if o.block == "heading" and not o.contrasted and not o.comparison_heading
            }
            compared = {o.block_index for o in os if o.block == "heading" and o.comparison_heading}
            count = body_counts[c]
            contrasted = sum(1 for o in os if o.contrasted)
            body = [o for o in os if o.block == "body" and not o.contrasted]
            first = min((o.start for o in body), default=None)
            first_pos = round(first / length, 3) if first is not None else None
            share = count / top if top else 0.0
            early = 1 - first_pos if first_pos is not None else 0.0
            score = round(0.4 * in_title + 0.2 * bool(headings) + 0.3 * share + 0.1 * early, 3)
            reasons = []
            if in_title:
                reasons.append("named in the title")
            elif title_contrast:
                reasons.append("named in the title only in a negation or comparison")
            if headings:
                reasons.append(f"named in {len(headings)} heading{'s' * (len(headings) > 1)}")
            if compared:
                reasons.append(f"compared in {len(compared)} heading{'s' * (len(compared) > 1)}")
            reasons.append(
                f"{count} occurrence{'s' * (count != 1)} in the body"
                + (" (the most frequent concept)" if count and count == top else "")
            )
            if contrasted:
                reasons.append(f"{contrasted} negated or compared (never counts toward about)")
            if first_pos is not None:
                reasons.append(f"first seen {round(first_pos * 100)}% into the text")
            role, summary = MENTIONS, ""
            paired = sorted(
                t for b in headings for t in heading_members.get(b, ()) & title_treatments if t != c
            )
            if in_title:
                role, summary = ABOUT, "about: named in the title"
            elif concept.group == "condition" and paired:
                role = ABOUT
                summary = (
                    f"about: a heading applies the title's {self.concepts[paired[0]].label!r} to it"
                )
            elif (
                concept.group in ("condition", "treatment")
                and count >= 3
                and share >= 0.5
                and first_pos is not None
                and first_pos <= 1 / 3
            ):
                role = ABOUT
                summary = "about: one of the most frequent concepts, named early"
            elif derived_only:
                summary = "mentions: " + os_all[0].resolution.replace(
                    "components", "its components"
                )
                reasons = [
                    "a combination in the ontology (hk:hasComponent): "
                    + ", ".join(self.concepts[k].label for k in sorted(concept.components)),
                    os_all[0].resolution,
                ]
            elif count == 0 and contrasted and not in_title:
                summary = "mentions: only negated or compared"
            else:
                summary = "mentions: " + (
                    "named in the text but neither in the title nor the main subject"
                    if count
                    else "named only in headings"
                )
            signals = {
                "title": in_title,
                "headings": len(headings),
                "comparedInHeadings": len(compared),
                "occurrences": count,
                "contrasted": contrasted,
                "firstPosition": first_pos,
            }
            suggestions.append(Suggestion(concept, role, score, summary, reasons, signals, os_all))
        suggestions.sort(key=lambda s: (s.role != ABOUT, -s.score, s.concept.id))
        return Result(doc, suggestions, unresolved, words)


def _initials_match(words: list[str], letters: list[str]) -> bool:
    if len(words) < len(letters) or not letters:
        return False
    return all(w[:1].lower() == letter for w, letter in zip(words, letters, strict=False))


def document_from_file_text(content: str, *, html: bool | None = None) -> Document:
    """Plain text, Markdown or HTML (``html=None``: decided from the content)."""
    if html is None:
        html = looks_like_html(content)
    return from_html(content) if html else from_text(content)


# -- the local graph and the evaluation corpus ----------------------------------------------


def _plain(term) -> object:
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    if isinstance(term, ox.Literal):
        return Lit(term.value, term.language or "", term.datatype.value)
    return None


def local_triples(root=None) -> list[tuple]:
    """The asserted triples of the source files (no reasoner: labels and types suffice)."""
    from kb.build import load_asserted_quads

    out = []
    for quad in load_asserted_quads(root):
        s, o = _plain(quad.subject), _plain(quad.object)
        if isinstance(s, str) and o is not None:
            out.append((s, quad.predicate.value, o))
    return out


def article_tags(triples: list[tuple], article_iri: str) -> tuple[set[str], set[str]]:
    """The hk:about and hk:mentions ids of one article in ``triples``."""
    about, mentions = set(), set()
    for s, p, o in triples:
        if s == article_iri and isinstance(o, str):
            if p == str(HK.about):
                about.add(entity_id(o))
            elif p == str(HK.mentions):
                mentions.add(entity_id(o))
    return about, mentions - about


def read_document(path) -> Document:
    """A file as a document: HTML by extension (.html, .htm) or content, else text/Markdown."""
    from pathlib import Path

    path = Path(path)
    content = path.read_text(encoding="utf-8")
    if path.suffix.lower() in (".html", ".htm", ".xhtml"):
        return from_html(content)
    if path.suffix.lower() in (".md", ".markdown", ".txt", ".text"):
        return from_text(content)
    return document_from_file_text(content)


def precision_recall(found: set[str], expected: set[str]) -> tuple[float, float]:
    hits = len(found & expected)
    precision = hits / len(found) if found else (1.0 if not expected else 0.0)
    recall = hits / len(expected) if expected else 1.0
    return precision, recall


def evaluate_corpus(suggester: Suggester, triples: list[tuple], corpus_dir) -> dict:
    """Per-article and pooled (micro-averaged) precision and recall of about and mentions
    against ``corpus_dir/expected.json`` (a 'reference' article is read from the graph)."""
    import json
    from pathlib import Path

    corpus_dir = Path(corpus_dir)
    spec = json.loads((corpus_dir / "expected.json").read_text(encoding="utf-8"))
    rows = []
    totals = {role: Counter() for role in (ABOUT, MENTIONS)}
    for name, expected in spec.items():
        if name.startswith("_"):
            continue
        if "reference" in expected:
            want_about, want_mentions = article_tags(triples, str(KB_NS) + expected["reference"])
        else:
            want_about, want_mentions = set(expected["about"]), set(expected["mentions"])
        result = suggester.suggest(read_document(corpus_dir / name))
        got_about, got_mentions = set(result.ids(ABOUT)), set(result.ids(MENTIONS))
        row = {"article": name, "words": result.words}
        for role, got, want in (
            (ABOUT, got_about, want_about),
            (MENTIONS, got_mentions, want_mentions),
        ):
            p, r = precision_recall(got, want)
            row[role] = {
                "precision": round(p, 3),
                "recall": round(r, 3),
                "missed": sorted(want - got),
                "extra": sorted(got - want),
            }
            totals[role].update(tp=len(got & want), found=len(got), expected=len(want))
        rows.append(row)
    pooled = {}
    for role, t in totals.items():
        pooled[role] = {
            "precision": round(t["tp"] / t["found"], 3) if t["found"] else 1.0,
            "recall": round(t["tp"] / t["expected"], 3) if t["expected"] else 1.0,
            "found": t["found"],
            "expected": t["expected"],
            "correct": t["tp"],
        }
    return {"articles": rows, "pooled": pooled}


# -- the command line: hairkg suggest FILE ---------------------------------------------------


def add_suggest_command(subparsers) -> None:
    import argparse
    from pathlib import Path

    p = subparsers.add_parser(
        "suggest",
        help="propose the concepts an article is about or mentions",
        description=(
            "Read an article (plain text, Markdown or HTML, by extension or content) and print "
            "the concepts of the knowledge base it names, each with its proposed role (about "
            "or mentions), score, explanation and matched spans. Concepts come from the source "
            "files (or --root); see docs/suggest.md for the method."
        ),
        epilog="exit codes:\n  0  success\n  2  usage error: missing or unreadable FILE",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", metavar="FILE", help="the article ('-': stdin)")
    p.add_argument("--title", help="the title, when FILE does not start with it")
    p.add_argument("--format", choices=("text", "json"), default="text", help="default: text")
    p.add_argument("--html", action="store_true", help="read FILE as HTML whatever its name")
    p.add_argument(
        "--root",
        type=Path,
        metavar="DIR",
        help="read DIR/ontology/hairkg.ttl and DIR/kb/data/*.ttl instead of the installed ones",
    )
    p.set_defaults(handler=cmd_suggest)


def cmd_suggest(args) -> int:
    import json
    import sys
    from pathlib import Path

    def fail(message: str) -> int:
        print(f"hairkg: {message}", file=sys.stderr)
        return 2

    if args.file == "-":
        content = sys.stdin.read()
        name = "stdin"
    else:
        path = Path(args.file)
        if not path.exists():
            return fail(f"{args.file}: no such file")
        if path.is_dir():
            return fail(f"{args.file}: is a directory, not an article")
        try:
            data = path.read_bytes()
        except OSError as error:
            return fail(f"{args.file}: cannot read: {error.strerror}")
        try:
            content = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return fail(f"{args.file}: not UTF-8 text (is it a binary file?)")
        if "\x00" in content:
            return fail(f"{args.file}: contains NUL bytes (is it a binary file?)")
        name = args.file
    if args.root is not None and not Path(args.root).is_dir():
        return fail(f"--root {args.root}: not a directory")
    is_html = args.html or (
        name.lower().endswith((".html", ".htm", ".xhtml"))
        or (not name.lower().endswith((".md", ".markdown", ".txt")) and looks_like_html(content))
    )
    document = from_html(content, args.title) if is_html else from_text(content, args.title)
    suggester = Suggester.from_graph(EntityGraph(local_triples(args.root)))
    result = suggester.suggest(document)
    if args.format == "json":
        print(json.dumps({"file": name, **result.as_json(include_document=False)}, indent=2))
        return 0
    print(f"{name}: {result.words} words, title: {document.title or '(none)'}")
    for s in result.suggestions:
        c = s.concept
        spans = ", ".join(f"{o.surface!r}@{o.start}" for o in s.occurrences[:4])
        more = f" +{len(s.occurrences) - 4}" if len(s.occurrences) > 4 else ""
        print(f"{s.role:8} {s.score:5.2f}  {c.id}  ({c.label}; {c.type})")
        print(f"         {s.summary}; {'; '.join(s.reasons)}")
        print(f"         spans: {spans}{more}")
    for u in result.unresolved:
        print(
            f"not suggested: {u['surface']!r}@{u['offset']} "
            f"as {u['candidate']['id']}: {u['reason']}"
        )
    return 0
