"""Issue 16 part 2 in a real browser: a page on another origin (a second local port) reads a
Linked Data resource with a non-simple request header (If-None-Match), so Chromium sends a
CORS preflight first, and both the 200 and the conditional 304 reach the page's script."""

from __future__ import annotations

import http.server
import threading

import pytest

PAGE = b"<!doctype html><html><head><title>elsewhere</title></head><body>other</body></html>"

FETCH = """
const [url, done] = [arguments[0], arguments[arguments.length - 1]];
(async () => {
  const headers = {"Accept": "text/turtle", "If-None-Match": '"not-this-one"'};
  const first = await fetch(url, {headers, cache: "no-store"});
  const body = await first.text();
  const etag = first.headers.get("ETag");
  const again = await fetch(url, {
    headers: {"Accept": "text/turtle", "If-None-Match": etag}, cache: "no-store"});
  return {status: first.status, type: first.headers.get("Content-Type"), etag,
          body: body.slice(0, 20000), again: again.status, origin: location.origin};
})().then(done, (error) => done({error: String(error)}));
"""


class _Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args):
        pass


@pytest.fixture
def other_origin():
    """A page served on another port of this host: another origin for the browser."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_linked_data_read_from_another_origin_with_if_none_match(browser, server, other_origin):
    # The service on "localhost", the page on "127.0.0.1" at another port: another origin.
    service = server.url.replace("127.0.0.1", "localhost")
    browser.get(other_origin + "/")
    browser.set_script_timeout(30)
    result = browser.execute_async_script(FETCH, service + "/id/microneedling")
    assert "error" not in result, result
    assert result["origin"] == other_origin and not service.startswith(other_origin)
    assert result["status"] == 200
    assert result["type"].startswith("text/turtle")
    assert "kb:microneedling" in result["body"]
    assert result["etag"], "the ETag is exposed to the other origin"
    assert result["again"] == 304
