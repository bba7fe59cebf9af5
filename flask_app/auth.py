"""Optional Bearer write tokens (``ZARR_BENCHMARKS_TOKENS``)."""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, request

from flask_app.errors import ApiError

F = TypeVar("F", bound=Callable[..., Any])


def bearer_token() -> str | None:
    """The Bearer token of the current request, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def token_accepted(token: str, tokens: frozenset[str]) -> bool:
    """True when ``token`` is one of ``tokens`` (compared with each in constant time)."""
    ok = False
    for accepted in tokens:
        ok |= hmac.compare_digest(token.encode(), accepted.encode())
    return ok


def client_key() -> str:
    """Rate-limit key: the client address, or a digest of the token when it is valid.

    An unverified token never picks the bucket: otherwise every guess would get a fresh
    one and token guessing would be unlimited.  A valid token has its own bucket, so
    clients sharing an address (behind one NAT) with a token are not limited together.
    """
    token = bearer_token()
    tokens = current_app.extensions["zarr_benchmarks"].config.tokens
    if token and tokens and token_accepted(token, tokens):
        return "token:" + hashlib.sha256(token.encode()).hexdigest()[:32]
    return "addr:" + (request.remote_addr or "unknown")


def require_write_token(view: F) -> F:
    """Reject writes without a configured token: 401 when missing, 403 when wrong."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        tokens = current_app.extensions["zarr_benchmarks"].config.tokens
        if tokens:
            token = bearer_token()
            if token is None:
                raise ApiError(
                    401,
                    "this endpoint needs 'Authorization: Bearer <token>'",
                    headers={"WWW-Authenticate": 'Bearer realm="zarr-benchmarks"'},
                )
            if not token_accepted(token, tokens):
                raise ApiError(403, "the token is not accepted for writes")
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
