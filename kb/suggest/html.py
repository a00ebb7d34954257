"""HTML in: the visible text of a page, its headings and blocks, as a document."""

from __future__ import annotations

from html.parser import HTMLParser

from kb.suggest.text import (
    Document,
    _mask_urls,
    _words,
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
