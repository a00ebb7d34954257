"""Bearer tokens for writes: configured by the operator, each with a name and scopes.

Sources (both may be used; names must be unique):

- a file named by ``HAIRKG_TOKENS_FILE`` (JSON or TOML)::

      # TOML                                   // JSON
      [[tokens]]                               {"tokens": [
      name = "alice"                             {"name": "alice", "secret": "...",
      secret = "s3cret..."                        "scopes": ["write"]},
      scopes = ["write"]                         {"name": "ops", "sha256": "9f86d0...",
                                                  "scopes": ["write", "admin"]}]}
      [[tokens]]
      name = "ops"
      sha256 = "9f86d08..."    # the SHA-256 of the secret, hex, instead of the secret
      scopes = ["write", "admin"]

- ``HAIRKG_TOKENS="alice:s3cret:write,ops:other:write+admin"``.

Only SHA-256 digests are kept in memory; a presented token is hashed and compared with every
configured digest with ``hmac.compare_digest`` (no early exit). Tokens are never logged. Reads
need no token; a write without one is answered 401 with ``WWW-Authenticate: Bearer``, a token
without the needed scope 403. Scopes: ``propose`` (submit proposals), ``review`` (approve or
reject others' proposals), ``write`` (write directly; implies both), ``admin`` (everything).
The file is re-read when its modification time changes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, request

from kb.settings import variable

SCOPES = ("propose", "review", "write", "admin")
# A scope that a token holding another one has as well: ``admin`` has them all, and a ``write``
# token, which may change the graph directly, may also propose and review changes (approving a
# proposal is a write that someone else drafted). ``propose`` and ``review`` imply nothing.
IMPLIED_BY = {"propose": ("write",), "review": ("write",)}
REALM = "hairkg"


class AuthError(Exception):
    def __init__(self, status: int, message: str, error: str = "invalid_token"):
        super().__init__(message)
        self.status = status
        self.message = message
        self.error = error

    @property
    def headers(self) -> dict[str, str]:
        if self.status == 401:
            value = f'Bearer realm="{REALM}"'
            if self.error:
                value += f', error="{self.error}"'
            return {"WWW-Authenticate": value}
        return {}


@dataclass(frozen=True)
class Token:
    name: str
    digest: bytes  # sha256 of the secret
    scopes: frozenset[str]


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8")).digest()


def _entry(raw: dict, where: str) -> Token:
    name = str(raw.get("name", "")).strip()
    if not name:
        raise ValueError(f"{where}: a token without a name")
    scopes = raw.get("scopes", [])
    if isinstance(scopes, str):
        scopes = [s for s in scopes.replace("+", ",").split(",") if s.strip()]
    if raw.get("secret"):
        digest = _digest(str(raw["secret"]))
    elif raw.get("sha256"):
        digest = bytes.fromhex(str(raw["sha256"]).strip())
        if len(digest) != 32:
            raise ValueError(f"{where}: token {name!r}: sha256 must be 64 hex digits")
    else:
        raise ValueError(f"{where}: token {name!r} has neither secret nor sha256")
    return Token(name, digest, frozenset(s.strip() for s in scopes))


def parse_tokens_file(path: Path) -> list[Token]:
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".toml" or not text.lstrip().startswith(("{", "[")):
        data = tomllib.loads(text)
    else:
        data = json.loads(text)
    entries = data.get("tokens", []) if isinstance(data, dict) else data
    return [_entry(e, str(path)) for e in entries]


def parse_tokens_env(value: str) -> list[Token]:
    tokens = []
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        fields = part.split(":")
        if len(fields) < 2:
            raise ValueError("HAIRKG_TOKENS entries are name:secret:scope1+scope2")
        name, secret = fields[0], fields[1]
        scopes = fields[2] if len(fields) > 2 else "write"
        tokens.append(_entry({"name": name, "secret": secret, "scopes": scopes}, "HAIRKG_TOKENS"))
    return tokens


class TokenStore:
    def __init__(self, file: str = "", env_value: str = ""):
        self.file = Path(file) if file else None
        self.env_value = env_value
        self._lock = threading.Lock()
        self._mtime: float | None = None
        self._tokens: list[Token] = []
        self._load()

    def _load(self) -> None:
        tokens = parse_tokens_env(self.env_value) if self.env_value else []
        if self.file is not None:
            self._mtime = self.file.stat().st_mtime
            tokens += parse_tokens_file(self.file)
        names = [t.name for t in tokens]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"token names must be unique: {', '.join(duplicates)}")
        self._tokens = tokens

    def tokens(self) -> list[Token]:
        if self.file is not None:
            try:
                mtime = self.file.stat().st_mtime
            except OSError:
                mtime = None
            if mtime != self._mtime:
                with self._lock:
                    try:
                        self._load()
                    except (OSError, ValueError):
                        current_app.logger.exception("could not re-read the tokens file")
        return self._tokens

    def match(self, presented: str) -> Token | None:
        digest = _digest(presented)
        found = None
        for token in self.tokens():
            if hmac.compare_digest(token.digest, digest):
                found = token
        return found


def token_store() -> TokenStore:
    app = current_app
    store = app.extensions.get("hairkg.tokens")
    if store is None:
        settings = app.extensions["hairkg.settings"]
        file = getattr(settings, "tokens_file", "") or variable("tokens_file")
        env = getattr(settings, "tokens", "") or variable("tokens")
        store = TokenStore(str(file), env)
        app.extensions["hairkg.tokens"] = store
    return store


def require(scope: str = "write") -> Token:
    """The token of this request, which must have ``scope``; raises AuthError otherwise."""
    header = request.headers.get("Authorization", "")
    kind, _, value = header.partition(" ")
    if not header:
        raise AuthError(401, "this operation needs a bearer token (Authorization: Bearer ...)", "")
    if kind.lower() != "bearer" or not value.strip():
        raise AuthError(401, "the Authorization header must be 'Bearer <token>'", "invalid_request")
    token = token_store().match(value.strip())
    if token is None:
        raise AuthError(401, "the bearer token is not valid")
    granted = {scope, "admin", *IMPLIED_BY.get(scope, ())}
    if not granted & token.scopes:
        raise AuthError(
            403, f"the token {token.name!r} does not have the {scope!r} scope", "insufficient_scope"
        )
    return token
