"""The fast paths of a full index build give exactly what the general paths give: text and
URL normalisation (ASCII text, plain URLs) and the string tables of a snapshot (encoded at
once, hashed in one array)."""

from __future__ import annotations

import string
import unicodedata

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from kb.read.columnar.tables import StringTable, string_hash, table_arrays
from kb.read.related_model import normalise_url, split_normalise_url
from kb.read.search.entries import _NON_WORD, normalise


def general_normalise(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", stripped.casefold()).strip()


@settings(max_examples=2000, deadline=None)  # no timing: the machine may be busy
@given(st.text(alphabet=st.characters(max_codepoint=127)))
@example("Microneedling for Hair-Loss: 5 Facts_(2024)")
@example("\x00\t\n\x7f  A_b  ")
def test_ascii_text_normalises_as_the_general_path(text):
    assert normalise(text) == general_normalise(text)


@settings(deadline=None)
@given(st.text())
@example("Alopécia ﬁnasteride Ⅳ")
def test_any_text_normalises_as_the_general_path(text):
    assert normalise(text) == general_normalise(text)


PLAIN = string.ascii_letters + string.digits + "._~%!$&'()*+,;=:@/-"
URL_PARTS = st.tuples(
    st.sampled_from(["http", "https", "HTTP", "ftp", "git+ssh", "h.t-t", "1http", ""]),
    st.sampled_from(["://", ":/", ":", "//", "://"]),
    st.text(alphabet="abcXYZ019.-:@[]", max_size=12),
    st.text(alphabet=PLAIN + "?#\t\n \\\x00é", max_size=24),
    st.sampled_from(["", "/", "//", " ", "\t", "?", "#", "?q=1#f"]),
)


@settings(max_examples=3000, deadline=None)  # no timing: the machine may be busy
@given(URL_PARTS)
@example(("https", "://", "hairclinic.example", "/microneedling-for-hair-loss", "/"))
@example(("http", "://", "localhost:8000", "", "/"))
@example(("https", "://", "a.b", "//", ""))
@example(("https", "://", "[::1]", "/x", ""))
def test_plain_urls_normalise_as_urlsplit_does(parts):
    url = "".join(parts)
    assert normalise_url(url) == split_normalise_url(url)
    padded = f"  {url}\n"
    assert normalise_url(padded) == split_normalise_url(padded)


def test_the_fast_path_is_taken_for_plain_urls_only():
    assert normalise_url("https://hairclinic.example/a/b/") == "https://hairclinic.example/a/b"
    assert normalise_url("HTTPS://Hairclinic.Example/A/") == "https://hairclinic.example/A"
    assert normalise_url("https://x.example/a/?q=1#top") == "https://x.example/a?q=1"


def reference_table(strings: list[str]) -> dict[str, np.ndarray]:
    """A string table encoded and hashed string by string."""
    encoded = [s.encode("utf-8", "surrogatepass") for s in strings]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    hashes = np.array([string_hash(s) for s in strings], dtype=np.uint64)
    order = np.argsort(hashes, kind="stable")
    return {
        "t.blob": np.frombuffer(b"".join(encoded), dtype=np.uint8),
        "t.offsets": offsets,
        "t.hashes": hashes[order],
        "t.rows": order.astype(np.int64),
    }


@settings(max_examples=500, deadline=None)  # no timing: the machine may be busy
@given(st.lists(st.one_of(st.text(), st.text(alphabet=st.characters(max_codepoint=127)))))
@example([])
@example(["", "", "a"])
@example(["\ud800", "\udc00", "é", "🙂", "plain"])  # lone surrogates stay apart
def test_string_tables_are_written_as_string_by_string(strings):
    arrays = table_arrays("t", strings, lookup=True)
    expected = reference_table(strings)
    assert sorted(arrays) == sorted(expected)
    for name, array in expected.items():
        assert arrays[name].dtype == array.dtype and np.array_equal(arrays[name], array), name
    table = StringTable(arrays, "t")
    assert table.strings() == strings
    assert all(i in table.find(s) for i, s in enumerate(strings))
