"""``/sparql``: the SPARQL 1.1 Protocol query operation, with the service's limits.

Requests: GET with ``query``; POST ``application/x-www-form-urlencoded`` (``query`` in the body,
dataset parameters in the body or the URL); POST ``application/sparql-query`` (the query as the
body, dataset parameters in the URL). ``default-graph-uri`` and ``named-graph-uri`` go to the
store unchanged. ``GET /sparql`` without a query is the SPARQL Service Description (or the query
UI for browsers). Every error is a plain-text message naming the problem (``api.errors``).

Beyond the protocol: ``format`` overrides Accept, ``timeout`` lowers the time limit, SELECT
answers are cut at the anonymous row cap (signalled, see ``api.render.sparql_results``), SERVICE
is refused unless allow-listed and shapes the engine cannot survive (nesting depth, operator
chains, ...) are refused with 400 (``kb.store.guard``), and responses carry CORS headers, an ETag
from the dataset version and the request, and a ``db`` Server-Timing entry.
"""

from __future__ import annotations

import hashlib
import time
from urllib.parse import parse_qsl

import pyoxigraph as ox
from flask import Blueprint, Response, request
from werkzeug.datastructures import Headers
from werkzeug.exceptions import RequestEntityTooLarge

from api.errors import ProtocolError, store_error_text, text_error
from api.http import choose, prefers_html
from api.render import sparql_results as results
from api.render.service_description import FORMATS_NS, SD, SD_FORMATS, description_triples
from api.server.answer_front import ANSWERS, KEEP, answer_cacheable, answer_version
from api.state import current_settings, current_store
from api.views.query_ui import query_page
from kb.rdf import PREFIXES, VOID
from kb.store.checks import QueryRefused, check_query
from kb.store.client import accept_for_form
from kb.store.errors import StoreError
from kb.store.guard import tokenize

bp = Blueprint("sparql", __name__)

ALLOWED_METHODS = "GET, HEAD, POST, OPTIONS"
FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
CACHE_CONTROL = "public, max-age=60"
TRUNCATED_HEADER = "X-Hairkg-Truncated"


class _TimingHeaders(Headers):
    """Headers that keep earlier Server-Timing entries when one is set, so that the ``db``
    entry added here survives the app-wide hook that sets ``app;dur=``."""

    def set(self, _key, _value, **kw):
        if isinstance(_key, str) and _key.lower() == "server-timing":
            earlier = self.get(_key)
            if earlier and str(_value) not in earlier:
                _value = f"{_value}, {earlier}"
        super().set(_key, _value, **kw)


_settings = current_settings
_store = current_store


# -- the route -------------------------------------------------------------------------


@bp.route("/sparql", methods=["GET", "HEAD", "POST", "OPTIONS", "PUT", "DELETE", "PATCH"])
def sparql_endpoint():
    try:
        if request.method == "OPTIONS":
            return _preflight()
        if request.method not in ("GET", "HEAD", "POST"):
            raise ProtocolError(
                405,
                f"Method {request.method} is not allowed on the SPARQL query endpoint: "
                "use GET or POST.",
                {"Allow": ALLOWED_METHODS},
            )
        params = _request_parameters()
        queries = params.get("query", [])
        if "update" in params or params.get("_direct_update"):
            from api.views.sparql_update import sparql_update_response

            return sparql_update_response(params, _endpoint_url())
        if not queries:
            if request.method in ("GET", "HEAD") and not _has_protocol_parameters(params):
                return _service_description(params)
            raise ProtocolError(400, "Missing the 'query' parameter: send a SPARQL query to run.")
        if len(queries) > 1:
            raise ProtocolError(
                400,
                f"The 'query' parameter was given {len(queries)} times; send exactly one query.",
            )
        if _browser_reading(params):
            return _query_ui(queries[0])
        return _run_query(queries[0], params)
    except ProtocolError as error:
        return text_error(error.status, error.message, error.headers)


def _preflight() -> Response:
    """204 with Allow; the CORS headers of a preflight are the read policy's
    (``api.http.read_cors``) or, for a listed origin's write, the write policy's."""
    response = Response(status=204)
    response.headers["Allow"] = ALLOWED_METHODS
    return response


# -- request parsing ----------------------------------------------------------------------


def _parse_urlencoded(raw: bytes, where: str) -> list[tuple[str, str]]:
    try:
        text = raw.decode("ascii") if raw.isascii() else raw.decode("utf-8")
        return parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError as error:
        raise ProtocolError(
            400, f"The {where} is not valid UTF-8 (byte {error.start}): send UTF-8."
        ) from error


def _request_parameters() -> dict:
    """The protocol parameters of the request, each a list of values."""
    settings = _settings()
    # GETs over max_url_length are answered 414 before the app (api/server/http_front.py)
    pairs = _parse_urlencoded(request.query_string, "query string")
    if request.method == "POST":
        pairs += _body_parameters(settings)
    params: dict = {}
    for name, value in pairs:
        params.setdefault(name, []).append(value)
    return params


def _body_parameters(settings) -> list[tuple[str, str]]:
    content_type = request.headers.get("Content-Type", "")
    media_type, _, rest = content_type.partition(";")
    media_type = media_type.strip().lower()
    charset = _charset(rest)
    if request.content_length is not None and request.content_length > settings.max_body_bytes:
        raise _too_large(settings)
    if media_type not in (FORM, SPARQL_QUERY, SPARQL_UPDATE):
        described = f"'{content_type}'" if content_type else "no Content-Type"
        raise ProtocolError(
            415,
            f"A POST to the SPARQL endpoint with {described} cannot be read: use "
            f"Content-Type {FORM} (with a 'query' field) or {SPARQL_QUERY} "
            "(with the query as the body).",
        )
    if charset and charset not in ("utf-8", "utf8"):
        raise ProtocolError(
            400, f"The request body is declared as {charset}; only UTF-8 is accepted."
        )
    try:
        body = request.get_data(cache=True)
    except RequestEntityTooLarge as error:
        raise _too_large(settings) from error
    if media_type == SPARQL_UPDATE:
        return [("_direct_update", "1")]
    if media_type == FORM:
        return _parse_urlencoded(body, "form body")
    try:
        return [("query", body.decode("utf-8"))]
    except UnicodeDecodeError as error:
        raise ProtocolError(
            400, f"The query is not valid UTF-8 (byte {error.start}): send UTF-8."
        ) from error


def _charset(parameters: str) -> str | None:
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return None


def _too_large(settings) -> ProtocolError:
    return ProtocolError(
        413, f"The request body is larger than the limit of {settings.max_body_bytes} bytes."
    )


def _has_protocol_parameters(params: dict) -> bool:
    return any(name in params for name in ("default-graph-uri", "named-graph-uri", "timeout"))


def _single(params: dict, name: str) -> str | None:
    values = params.get(name, [])
    if len(values) > 1:
        raise ProtocolError(400, f"The '{name}' parameter was given {len(values)} times.")
    return values[0] if values else None


# -- running a query ------------------------------------------------------------------


def _run_query(query: str, params: dict) -> Response:
    settings = _settings()
    store = _store()
    base = _endpoint_url()
    try:
        checked = check_query(
            query,
            max_length=settings.max_query_length,
            service_allowlist=settings.service_allowlist,
            base=base,
            default_graphs=params.get("default-graph-uri", []),
            named_graphs=params.get("named-graph-uri", []),
            too_long_status=414 if request.method in ("GET", "HEAD") else 413,
        )
    except QueryRefused as refused:
        raise ProtocolError(refused.status, refused.message) from refused
    limit = settings.effective_timeout(_timeout_parameter(params))
    default_graphs, named_graphs = checked.default_graphs, checked.named_graphs
    form = checked.form
    kind = results.GRAPH if form in ("CONSTRUCT", "DESCRIBE") else results.SOLUTIONS
    result_format = _negotiate(kind, params, form)

    cache_limit = settings.sparql_cache_mb * 1024 * 1024
    try:
        version = answer_version(settings, store)
    except StoreError as error:
        return store_error_text(error, limit, _settings().query_timeout_cap_s)
    etag = _etag(version, query, default_graphs, named_graphs, result_format.media_type)
    cacheable = request.method in ("GET", "HEAD")
    if cacheable and request.if_none_match.contains_weak(etag):
        response = Response(status=304)
        _cache_headers(response, etag)
        return response

    # The base resolves relative IRIs: part of what the answer depends on.
    cache_key = f"{etag}|{base}" if cache_limit > 0 and answer_cacheable(query) else None
    cached = ANSWERS.get(cache_key) if cache_key else None
    if cached is not None:
        request.environ[KEEP] = version
        return _answer(cached, etag, "db;dur=0;desc=cached")

    # The engine resolves relative IRIs against the endpoint, not its own address. On the
    # first line, so that positions in syntax errors stay right (corrected for below).
    # A query with a BASE of its own needs none (and Virtuoso refuses a second BASE).
    prefix = "" if _declares_base(query) else f"BASE <{base}> "
    started = time.perf_counter()
    try:
        raw = store.query(
            prefix + query,
            default_graphs=default_graphs,
            named_graphs=named_graphs,
            timeout_s=limit,
            accept=accept_for_form(form),  # the form is known: no second tokenizing
        )
    except StoreError as error:
        return store_error_text(error, limit, _settings().query_timeout_cap_s, len(prefix))
    db_ms = (time.perf_counter() - started) * 1000

    actual_kind = results.GRAPH if raw.is_graph else results.SOLUTIONS
    if actual_kind != kind:  # the tokenizer guessed wrong: negotiate for what came back
        result_format = _negotiate(actual_kind, params, form)
    row_cap = settings.anonymous_row_cap
    try:
        rendered = results.render(
            raw,
            result_format,
            row_cap=row_cap,
            prefixes=PREFIXES,
            # Oxigraph (managed or remote) writes standard results: no need to parse and
            # rewrite them
            verbatim=settings.managed_store or store.engine.standard_output,
        )
    except (SyntaxError, ValueError, KeyError) as error:
        return text_error(502, f"The triple store returned a result that cannot be read: {error}")

    if cache_key:
        ANSWERS.put(cache_key, rendered, cache_limit)
        request.environ[KEEP] = version  # the answer front may keep it too
    return _answer(rendered, etag, f"db;dur={db_ms:.1f}")


def _declares_base(query: str) -> bool:
    return any(t.kind == "keyword" and t.text == "BASE" for t in tokenize(query))


def _answer(rendered: results.Rendered, etag: str, timing: str) -> Response:
    response = Response(rendered.body, status=200, content_type=rendered.content_type)
    response.headers = _TimingHeaders(response.headers)
    response.headers["Server-Timing"] = timing
    _cache_headers(response, etag)
    if rendered.truncated_at is not None:
        response.headers[TRUNCATED_HEADER] = str(rendered.truncated_at)
    return response


def _timeout_parameter(params: dict) -> float | None:
    value = _single(params, "timeout")
    if value is None or value.strip() == "":
        return None
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds > 0 or seconds != seconds or seconds == float("inf"):
        raise ProtocolError(
            400, f"The 'timeout' parameter must be a positive number of seconds, not {value!r}."
        )
    return seconds


def _negotiate(kind: str, params: dict, form: str | None) -> results.ResultFormat:
    offered = [f.media_type for f in results.FORMATS_BY_KIND[kind]]
    what = form or ("CONSTRUCT/DESCRIBE" if kind == results.GRAPH else "SELECT/ASK")
    primary = ", ".join(results.PRIMARY_TYPES[kind])
    format_values = params.get("format", [])
    if any(v.strip() for v in format_values):
        try:
            requested = results.formats_for_parameter(format_values)
        except results.UnknownFormat as error:
            names = "json, xml, csv, tsv, ttl, nt, jsonld, rdfxml, nq, trig"
            raise ProtocolError(
                400, f"Unknown format {str(error)!r}: use one of {names}, or a media type."
            ) from error
        if not requested[kind]:
            raise ProtocolError(
                406,
                f"format={','.join(format_values)} is not available for {what} queries; "
                f"offered: {primary}.",
            )
        return results.format_for(kind, requested[kind][0])
    chosen = choose(request.headers.get("Accept"), offered)
    if chosen is None:
        raise ProtocolError(
            406,
            f"None of the accepted media types ({request.headers.get('Accept')}) is available "
            f"for {what} queries; offered: {primary}.",
        )
    return results.format_for(kind, chosen)


def _etag(version, query, default_graphs, named_graphs, media_type) -> str:
    digest = hashlib.sha256()
    for part in (version, query, *default_graphs, "|", *named_graphs, "|", media_type):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\x00")
    digest.update(str(_settings().anonymous_row_cap).encode())
    return digest.hexdigest()[:32]


def _cache_headers(response: Response, etag: str) -> None:
    response.set_etag(etag, weak=True)
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.vary.add("Accept")


def _endpoint_url() -> str:
    public = _settings().public_url.rstrip("/")
    return (public or request.url_root.rstrip("/")) + "/sparql"


# -- service description --------------------------------------------------------------


def _service_description(params: dict) -> Response:
    accept = request.headers.get("Accept")
    format_values = [v for v in params.get("format", []) if v.strip()]
    if not format_values and prefers_html(accept):
        return _query_ui()
    offered = [media_type for media_type, _ in SD_FORMATS]
    if format_values:
        try:
            requested = results.formats_for_parameter(format_values)[results.GRAPH]
        except results.UnknownFormat as error:
            raise ProtocolError(400, f"Unknown format {str(error)!r}.") from error
        chosen = next((m for m in requested if m in offered), None)
    else:
        chosen = choose(accept, offered)
    if chosen is None:
        raise ProtocolError(
            406,
            "The service description is available as " + ", ".join(offered[:4]) + ".",
        )
    store = _store()
    try:
        version = store.version()
        triples = description_triples(
            store, version, _endpoint_url(), _settings().service_allowlist
        )
    except StoreError as error:
        settings = _settings()
        return store_error_text(error, settings.query_timeout_s, settings.query_timeout_cap_s)
    serializer = dict(SD_FORMATS)[chosen]
    prefixes = {"sd": SD, "formats": FORMATS_NS, "void": str(VOID)}
    kwargs = {"prefixes": prefixes} if serializer != ox.RdfFormat.N_TRIPLES else {}
    if serializer == ox.RdfFormat.JSON_LD:
        kwargs = {}
    body = ox.serialize(triples, format=serializer, **kwargs)
    content_type = chosen + ("; charset=utf-8" if chosen.startswith("text/") else "")
    response = Response(body, content_type=content_type)
    _cache_headers(response, _etag(version, "", [], [], chosen))
    return response


def _browser_reading(params: dict) -> bool:
    """A browser following a link to ``/sparql?query=…``: it prefers HTML and names no
    ``format`` (programs that want XML or JSON say so in Accept or ``format``)."""
    return (
        request.method == "GET"
        and not any(v.strip() for v in params.get("format", []))
        and prefers_html(request.headers.get("Accept"))
    )


def _query_ui(initial_query: str | None = None) -> Response:
    response = query_page(initial_query)
    response.vary.add("Accept")
    return response
