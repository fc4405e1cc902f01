"""HTTP hardening for the Optiscape Dash app: security headers, a Content-Security-Policy
that allows exactly Dash's own inline scripts, and limits on request size.

Usage (once, after the layout and every callback are defined, before serving)::

    from security import harden
    harden(app)

What the policy allows, and why:

- scripts: only this origin plus the SHA-256 hashes of Dash's inline scripts
  (`app.csp_hashes()`: the `DashRenderer` bootstrap and every clientside callback). The hashes
  are computed per HTML response, so clientside callbacks registered after `harden()` are
  still covered. No 'unsafe-inline'; 'unsafe-eval' only with `allow_eval=True` (plotly.js's
  WebGL traces such as `scattergl`, `surface` and `contour` with gl rendering compile code at
  run time; the SVG traces don't).
- styles: 'unsafe-inline' because plotly.js writes `style` attributes and `<style>` elements
  at run time. (Formulas are MathML, typeset by the browser: no MathJax.)
- images: this origin, `data:` and `blob:` (plotly's modebar icons and "download plot as png").
- everything else ('default-src'): this origin only; no plugins, no framing, no foreign forms.

Responses that are not HTML get a locked-down policy (`default-src 'none'`): a JSON or
JavaScript file rendered as a document can run nothing.
"""

from __future__ import annotations

import os

from collections.abc import Iterable, Mapping

import dash
import flask
from werkzeug.exceptions import RequestEntityTooLarge

__all__ = ["MAX_CONTENT_LENGTH", "MAX_QUERY_STRING", "content_security_policy", "harden"]

MAX_CONTENT_LENGTH = 1 << 20  # 1 MiB of request body, then 413
# 6 KiB of query string, then 414. Below gunicorn's largest request line (8190 bytes, see
# gunicorn.conf.py) so that the app's JSON 414 is what a client sees, not gunicorn's 400.
MAX_QUERY_STRING = 6 << 10

# Who may show the page in a frame. A lecturer embeds a figure in slides (an <iframe> in
# reveal.js, Google Slides, PowerPoint online, a course site) from hosts nobody can list in
# advance, and the page holds nothing a framing site could abuse: no login, cookies or
# action with an effect beyond the viewer's own page (the state is the link). So any site
# may frame the page by default; FRAME_ANCESTORS narrows it (e.g. "'self' https://lms.example.edu"
# or "'none'"). The JSON API and other non-HTML responses are never framed.
DEFAULT_FRAME_ANCESTORS = "*"


def frame_ancestors() -> str:
    """The page's frame-ancestors sources (the FRAME_ANCESTORS variable, else any site)."""
    value = os.environ.get("FRAME_ANCESTORS", "").strip()
    return value if value and all(c not in value for c in ";,\r\n") else DEFAULT_FRAME_ANCESTORS


_STATIC_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}

_NON_HTML_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def content_security_policy(
    script_hashes: Iterable[str],
    *,
    allow_eval: bool = False,
    report_uri: str | None = None,
    extra: Mapping[str, Iterable[str]] | None = None,
    ancestors: str = DEFAULT_FRAME_ANCESTORS,
) -> str:
    """The policy for HTML pages, as one header value."""
    script_src = ["'self'", *script_hashes]
    if allow_eval:
        script_src.append("'unsafe-eval'")
    directives: dict[str, list[str]] = {
        "default-src": ["'self'"],
        "script-src": script_src,
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ancestors.split(),
    }
    for name, sources in (extra or {}).items():
        directives.setdefault(name, [])
        directives[name].extend(s for s in sources if s not in directives[name])
    if report_uri:
        directives["report-uri"] = [report_uri]
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def _json_error(status: int, error: str, message: str) -> flask.Response:
    response = flask.jsonify(error=error, message=message, status=status)
    response.status_code = status
    return response


def harden(
    app: dash.Dash,
    *,
    max_content_length: int = MAX_CONTENT_LENGTH,
    max_query_string: int = MAX_QUERY_STRING,
    allow_eval: bool = False,
    report_uri: str | None = None,
    extra_csp: Mapping[str, Iterable[str]] | None = None,
) -> None:
    """Add security headers to every response of `app` and enforce request limits.

    - Content-Security-Policy (see the module docstring) with the page's frame-ancestors
      (`frame_ancestors()`: embeddable in slides by default; X-Frame-Options DENY on
      everything else),
      X-Content-Type-Options nosniff, Referrer-Policy no-referrer and a few more.
    - A body larger than `max_content_length` bytes: 413 with a JSON error.
    - A query string longer than `max_query_string` bytes: 414 with a JSON error.
    - Flask debug mode off (Dash's dev tools are only on with `app.run(debug=True)`).

    Calling it twice on the same app does nothing the second time.
    """
    server: flask.Flask = app.server
    if server.extensions.get("optiscape.security"):
        return
    server.extensions["optiscape.security"] = True

    server.debug = False
    server.config["MAX_CONTENT_LENGTH"] = max_content_length

    @server.before_request
    def _enforce_limits():
        request = flask.request
        if len(request.query_string) > max_query_string:
            return _json_error(
                414,
                "uri_too_long",
                f"query string is {len(request.query_string)} bytes; "
                f"the limit is {max_query_string}",
            )
        length = request.content_length
        if length is not None and length > max_content_length:
            return _json_error(
                413,
                "payload_too_large",
                f"request body is {length} bytes; the limit is {max_content_length}",
            )
        # No length announced (chunked): werkzeug stops reading at the limit and would hand
        # the view a silently truncated body. Read it here (cached for the view) and refuse
        # a body that reaches the limit.
        chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
        if length is None and chunked and len(request.get_data(cache=True)) >= max_content_length:
            return _json_error(
                413,
                "payload_too_large",
                f"chunked request body reaches the limit of {max_content_length} bytes",
            )
        return None

    @server.errorhandler(RequestEntityTooLarge)
    def _too_large(_error):
        return _json_error(
            413, "payload_too_large", f"request body exceeds {max_content_length} bytes"
        )

    @server.after_request
    def _add_headers(response: flask.Response) -> flask.Response:
        for name, value in _STATIC_HEADERS.items():
            response.headers.setdefault(name, value)
        if "Content-Security-Policy" not in response.headers:
            if response.mimetype == "text/html":
                ancestors = frame_ancestors()
                policy = content_security_policy(
                    app.csp_hashes(),
                    allow_eval=allow_eval,
                    report_uri=report_uri,
                    extra=extra_csp,
                    ancestors=ancestors,
                )
                if ancestors == "'none'":  # for browsers without CSP frame-ancestors
                    response.headers.setdefault("X-Frame-Options", "DENY")
            else:
                policy = _NON_HTML_CSP
                response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers["Content-Security-Policy"] = policy
        return response
