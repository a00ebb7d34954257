"""Autocomplete over labels, synonyms and article titles: a normalised prefix index plus
typo-tolerant matching.

Text is normalised once (Unicode NFKD, combining marks dropped, casefolded, punctuation turned
into spaces, whitespace collapsed), so "Alopécia" and "alopecia" are the same key. Every label
and synonym is indexed under its full text and under each word-start suffix ("androgenetic
alopecia" is also found as "alopecia ..."), in one sorted list: a prefix query is two binary
searches, O(log n + hits).

Typos are corrected per word (``typo_hits``, shared with the memory-mapped index
``kb.read.columnar.search`` so that both answer alike), as Meilisearch and Typesense do: each
word typed is compared (rapidfuzz's OSA distance, transpositions count as one edit) with the
vocabulary, the distinct normalised words of every label, synonym and title; at most 1 edit for
a word of 4-7 characters, 2 from 8, 3 from 12, and in all no more than that rule allows for the
whole query. The last word may be unfinished: it is also compared with the vocabulary's words
cut to its length. Words starting with a digit (a year, an article's number) are not corrected:
a number one digit off is another number. The corrected word sequences that start some key
(checked word by word, at most ``MAX_TYPO_SEQUENCES``, fewest edits first) are then looked up
as key prefixes: a whole key scores 50 - 10 x edits, a longer key 2 less, a synonym 3 less, a
key from a later word 1 less. Fuzzy matching runs only when the exact and prefix tiers leave
room in the page.

What changed from comparing whole keys (the index before memory-mapped snapshots): the cost
depends on the vocabulary (tens of thousands of words) instead of the number of distinct keys
and key cuts (hundreds of thousands at a million triples); a typo that merges or splits words
("hairloss" for "hair loss") is no longer found, and a word shorter than 4 characters is
never corrected, even inside a longer query.

Articles are entries too (type ``Article``, their title as the label, their URL carried in
the hit), in the same sorted list: no second structure, no scan.

Match kinds say what matched, truthfully (``q`` normalised):

- ``exact``: ``q`` is the whole label or title;
- ``prefix``: ``q`` is the start of the label or title;
- ``synonym``: ``q`` is a whole synonym or its start;
- ``words``: ``q`` starts at a later word of the label, title or synonym ("hair loss" in
  "Microneedling for Hair Loss"): the words typed, in order, inside a longer text; or,
  scored lower, every word typed is a word of the text, in any order or with gaps
  ("microneedling hair loss"), the last one perhaps unfinished;
- ``fuzzy``: within the typo distance above.

Ranking: whole label or title > whole synonym > start of a label or title > start of a
synonym > words > fuzzy; inside a tier, a higher score (closer, shorter) first, then
label, then id: the same query always gives the same order. One hit per entry: its best
match.

Articles change often, so the index is updated in place (``upsert``, ``remove``: a binary
search and a list insertion per key, the vocabulary's word counts kept in step), under a lock
that searches take too.
"""

from kb.read.search.entries import MAX_QUERY_CHARS, Entry, Hit, normalise
from kb.read.search.index import SearchIndex

__all__ = ["MAX_QUERY_CHARS", "Entry", "Hit", "SearchIndex", "normalise"]
