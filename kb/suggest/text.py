"""Text in: normalised words, a token stream with the gaps between tokens, and a document of titled
blocks read from plain text."""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import accumulate


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


DOT_ABBREVIATIONS = _words("vs v al e g i eg ie etc approx dr fig cf")


_TOKEN_SPLIT = re.compile(r"([^\W_]+)")


_SOFT_GAP = re.compile(r"[ \t\u00a0\-\u2010\u2011/]*(?:\r?\n[ \t\u00a0]*)?")


_DOT_GAP = re.compile(r"\.[ \t\u00a0]*(?:\r?\n[ \t\u00a0]*)?")


_CLAUSE_BREAK = re.compile(r"[.;:!?,()\[\]{}\u2013\u2014\"\u201c\u201d|]|\n\s*\n")


_SENTENCE_BREAK = re.compile(r"[.!?|]|\n\s*\n")


_GREEK = str.maketrans(
    {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "κ": "kappa", "μ": "mu"}
)


_URL = re.compile(r"\bhttps?://[^\s)<>\"']+|\]\([^)\s]*\)", re.IGNORECASE)


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
