"""Finding the concepts a document names: pattern matches on its token streams, contrast and
combination cues, and the resolution of ambiguous matches."""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import dataclass

from kb.suggest.concepts import (
    _TOKEN,
    EXACT,
    LABEL,
    NARROW,
    OTHER,
)
from kb.suggest.text import (
    Document,
    Stream,
    _words,
)

KIND_NAMES = {LABEL: "label", EXACT: "exact synonym", NARROW: "narrow synonym"}


# Words before an occurrence (same clause, at most CONTRAST_WINDOW words back) that make it a
# negation or a comparison.
CONTRAST_WINDOW = 4


CONTRAST_WORDS = _words(
    "not no never without unlike versus vs than instead rather nor neither except compared "
    "comparing alternative alternatives isn doesn don didn aren wasn weren won cannot"
)


COMPARISON_WORDS = _words("versus vs compared comparing comparison")


CUE_WINDOW = 8


COMBINING_WORDS = _words(
    "plus combined combine combines combining combination together alongside also "
    "simultaneously addition added adding"
)


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


def _initials_match(words: list[str], letters: list[str]) -> bool:
    if len(words) < len(letters) or not letters:
        return False
    return all(w[:1].lower() == letter for w, letter in zip(words, letters, strict=False))


class Matching:
    """Finding concepts in a document: pattern matches on the token streams, contrasted and
    combined occurrences, and how ambiguous matches resolve (the suggester's first half)."""

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
