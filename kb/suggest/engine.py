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
and is shown to the editor, the rules above decide the role. Each suggestion explains itself:
a summary with the deciding reason ("about: named in the title"), and the rest of the evidence
as reasons, never repeating the summary. "The most frequent concept" names one concept; a tie
at the top is reported as a tie.
"""

from __future__ import annotations

from dataclasses import dataclass

import ahocorasick

from kb.read.entities import (
    ConceptGraph,
)
from kb.suggest.concepts import (
    CITATION,
    OTHER,
    Concept,
    Pattern,
    concepts_from_graph,
)
from kb.suggest.matching import KIND_NAMES, Matching, Occurrence
from kb.suggest.text import (
    Document,
    normalise_phrase,
)

ABOUT, MENTIONS = "about", "mentions"


# Limits of one suggestion request (documented in docs/suggest.md).
MAX_TEXT_CHARS = 1_000_000  # characters of text (or of HTML) in one request
MAX_TITLE_CHARS = 1_000


KIND_NAMES.update({OTHER: "synonym", CITATION: "citation"})


# -- normalisation --------------------------------------------------------------------------


# -- documents ------------------------------------------------------------------------------


# -- the concepts ---------------------------------------------------------------------------


# -- occurrences and suggestions -----------------------------------------------------------


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


class Suggester(Matching):
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
    def from_graph(cls, graph: ConceptGraph) -> Suggester:
        return cls(*concepts_from_graph(graph))

    def __len__(self) -> int:
        return len(self.patterns)

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
        leaders = sum(1 for n in body_counts.values() if n and n == top)
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
                + (_most_frequent(leaders) if count and count == top else "")
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
            # The summary gives the deciding reason; the reasons are the rest of the evidence,
            # so a reader never sees the same rationale twice.
            decided_by = summary.split(": ", 1)[-1]
            reasons = [r for r in reasons if r != decided_by]
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


def _most_frequent(leaders: int) -> str:
    """The note on the concept(s) with the most body occurrences: "the most frequent" names
    one concept only; a tie says so."""
    if leaders == 1:
        return " (the most frequent concept)"
    return f" (tied for most frequent with {leaders - 1} other concept{'s' * (leaders > 2)})"


# -- the local graph and the evaluation corpus ----------------------------------------------


# -- the command line: hairkg suggest FILE ---------------------------------------------------


# -- roles ------------------------------------------------------------------------------
