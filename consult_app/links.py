"""Absolute links for mail and exports, built from CONSULT_BASE_URL and never from the request.

A request's `Host` header is whatever the client sent: a link built from it and mailed to someone would
point wherever an attacker chose. Services, the CLI and the mail worker all use `external_url`, which
needs an app context but no request.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app
from werkzeug.routing import MapAdapter


class BaseUrlError(ValueError):
    """CONSULT_BASE_URL cannot be used to build links."""


def check_base_url(url: str) -> None:
    """Raise BaseUrlError unless `url` is an http(s) address with a host and nothing after its path."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BaseUrlError(f"CONSULT_BASE_URL={url!r} must look like https://consult.example.org")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise BaseUrlError(f"CONSULT_BASE_URL={url!r} must not carry a user, query or fragment")
    try:
        parts.port  # noqa: B018 - a bad port only raises when read
    except ValueError:
        raise BaseUrlError(f"CONSULT_BASE_URL={url!r} has a port that is not a number from 1 to 65535") from None


def base_host() -> str:
    """The host (with port, if any) of CONSULT_BASE_URL: the only `Host` production answers to."""
    return urlsplit(current_app.config["CONSULT_BASE_URL"]).netloc


def base_url_adapter() -> MapAdapter:
    """The app's URL map bound to CONSULT_BASE_URL (host, scheme and path prefix)."""
    parts = urlsplit(current_app.config["CONSULT_BASE_URL"])
    return current_app.url_map.bind(parts.netloc, script_name=parts.path.rstrip("/") or "/", url_scheme=parts.scheme)


def external_url(endpoint: str, _anchor: str | None = None, **values) -> str:
    """The absolute address of `endpoint` on CONSULT_BASE_URL, with `values` as for url_for."""
    url = base_url_adapter().build(endpoint, values, force_external=True)
    return f"{url}#{_anchor}" if _anchor else url
