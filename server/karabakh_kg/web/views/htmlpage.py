"""HTML responses that are safe by default: escaped templates, security headers, twin links.

Every page is rendered by Jinja with autoescaping (data never becomes markup), links are made
only from http(s) IRIs, and every response carries `X-Content-Type-Options`, `Referrer-Policy`
and, for HTML and SVG, a Content-Security-Policy with no script source at all: the pages work
without JavaScript, so none is allowed to run.
"""

from __future__ import annotations

from flask import Flask, Response, render_template, request

from karabakh_kg.web.state import state
from karabakh_kg.web.views import weblinks

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
ACTIVE_TYPES = ("text/html", "application/xhtml+xml", "image/svg+xml")


def add_security_headers(response: Response) -> Response:
    """Set the security headers on every answer of the app (others' values are kept).

    X-Frame-Options DENY goes only with a policy of `frame-ancestors 'none'`: a page whose own
    policy lets others frame it (the reconciliation preview, which OpenRefine frames) gets no
    header that contradicts it.
    """
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if (response.mimetype or "") in ACTIVE_TYPES:
        policy = response.headers.setdefault("Content-Security-Policy", CSP)
        if "frame-ancestors 'none'" in policy:
            response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def init_app(app: Flask) -> None:
    """Install the template helpers and the security headers once per app."""
    if app.extensions.get("karabakh_kg_html"):
        return
    app.extensions["karabakh_kg_html"] = True
    app.after_request(add_security_headers)
    app.context_processor(_site)
    app.jinja_env.globals.update(
        href=weblinks.href,
        curie=weblinks.curie,
        term_text=weblinks.term_text,
        datatype_name=weblinks.datatype_name,
        local_path=weblinks.local_path,
        doc_path=weblinks.doc_path,
    )


def _site() -> dict:
    """What every page's navigation needs: the article the build records (its id under id/article/)."""
    st = state()
    iri = (st.release.manifest.get("article") or {}).get("iri", "")
    for base in (st.base, st.release.manifest.get("base", "")):
        prefix = base + "id/article/"
        if base and iri.startswith(prefix):
            return {"site_article": iri[len(prefix) :]}
    return {"site_article": None}


def link_header(alternates: list[tuple[str, str]], rel: str = "alternate") -> str:
    """A `Link` header value naming each (url, media type) twin of this document."""
    return ", ".join(f'<{url}>; rel="{rel}"; type="{media}"' for url, media in alternates)


def page(
    template: str,
    status: int = 200,
    alternates: list[tuple[str, str]] | None = None,
    vary_accept: bool = True,
    **context,
) -> Response:
    """Render an HTML page with its security headers and `Link` to its machine-readable twins."""
    response = Response(
        render_template(template, alternates=alternates or [], **context), status=status, mimetype="text/html"
    )
    if alternates:
        response.headers["Link"] = link_header(alternates)
    if vary_accept:
        response.vary.add("Accept")
    return response


def wants_html() -> bool:
    """True when the client prefers HTML to plain text (browsers), for error pages."""
    best = request.accept_mimetypes.best_match(["text/plain", "text/html"], default="text/plain")
    return best == "text/html" and request.accept_mimetypes["text/html"] > request.accept_mimetypes["text/plain"]
