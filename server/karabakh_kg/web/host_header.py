"""The request's Host and proxy headers never shape an answer, a link or a redirect.

Anyone can send `Host: evil.example` or `X-Forwarded-Host`; an answer built from them could be
cached (by the fast path, or a shared cache in front) and served to everyone after. So:
- every absolute URL the server writes comes from the configured public base (`public_url`);
  everything else is a relative reference;
- werkzeug's slash merging and strict-slash redirects are off: they answer `/id//x` or `/queries`
  with a 308 whose absolute Location is built from Host. Empty path segments, and a folder route
  asked without its final slash, answer 404;
- `X-Forwarded-*` and `Forwarded` headers are dropped before the app sees them unless the peer
  is one of `TRUSTED_PROXIES` (gunicorn is told the same list for the scheme headers it reads).
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import NotFound
from werkzeug.routing import RequestRedirect

PROXY_HEADERS = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_PREFIX",
    "HTTP_X_FORWARDED_SSL",
    "HTTP_X_FORWARDED_PROTOCOL",
    "HTTP_FORWARDED",
)


def trusted(settings: dict) -> frozenset[str]:
    return frozenset(a.strip() for a in settings.get("TRUSTED_PROXIES", "").split(",") if a.strip())


def public_url(base: str, path: str) -> str:
    """The absolute URL of `path` (from the site root) under the public base, never from Host."""
    return base.rstrip("/") + "/" + path.lstrip("/")


def before_routing(app: Flask) -> None:
    """Call before any route is added: no slash merging (rules bind the map's setting when added)."""
    app.url_map.merge_slashes = False


def install(app: Flask, settings: dict) -> None:
    """Answer werkzeug's Host-built redirects with 404, and drop untrusted proxy headers."""
    proxies = trusted(settings)

    @app.before_request
    def no_redirect_from_host():
        if isinstance(request.routing_exception, RequestRedirect):
            raise NotFound()

    inner = app.wsgi_app

    def strip_proxy_headers(environ, start_response):
        if environ.get("REMOTE_ADDR") not in proxies:
            for name in PROXY_HEADERS:
                environ.pop(name, None)
        return inner(environ, start_response)

    app.wsgi_app = strip_proxy_headers
