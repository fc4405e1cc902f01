"""Compressed responses: static files once per process (flask-compress), large dynamic
ones per request with the fastest settings.

Dash's scripts (plotly.js, the component suites) are most of a first page load; they are
compressed once, for size, and kept in memory (their URLs are fingerprinted, so a path names
one content). Callback and API responses are compressed only when large (a new surface's
figures, several hundred KB): an ordinary recompute (8 runs × 1,000 steps: about 210 KB)
would spend more server time compressing than it saves on a campus network. A large one is
compressed for speed: on the 605 KB of a page's figures brotli at quality 1 takes 3.5 ms
for 144 KB, gzip at level 1 8 ms for 190 KB, where gzip's default level 6 takes 43 ms for
152 KB.
"""

from __future__ import annotations

import gzip
import threading
from collections import OrderedDict

import brotli
import flask
from flask_compress import Compress
from werkzeug.datastructures import Accept

STATIC_PREFIXES = ("/_dash-component-suites/", "/assets/")
CACHE_ENTRIES = 256  # every static file of the page, in each encoding, fits many times over
LARGE_RESPONSE = 256 * 1024  # bytes; dynamic responses above this are compressed
DYNAMIC_BR_QUALITY = 1
DYNAMIC_GZIP_LEVEL = 1
_UNCACHED = "-"


class StaticCache:
    """A bounded, thread-safe LRU for compressed static files (nothing else is kept)."""

    def __init__(self, size: int = CACHE_ENTRIES):
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
            return self._items.get(key)

    def set(self, key: str, value: bytes) -> None:
        if key.endswith(";" + _UNCACHED):
            return
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


def is_static(request: flask.Request) -> bool:
    """A GET of one of Dash's scripts or the app's assets."""
    return request.method == "GET" and request.path.startswith(STATIC_PREFIXES)


def cache_key(request: flask.Request) -> str:
    """The full path of a static GET (fingerprinted by Dash); a marker for anything else."""
    return request.full_path if is_static(request) else _UNCACHED


def compress_dynamic(response: flask.Response, accepted: Accept) -> flask.Response:
    """`response` compressed with brotli (quality 1) or gzip (level 1), whichever `accepted`
    (the request's Accept-Encoding) allows; unchanged when neither or when already encoded."""
    encoding = next((e for e in ("br", "gzip") if accepted[e]), None)
    if encoding is None or response.direct_passthrough or "Content-Encoding" in response.headers:
        return response
    data = response.get_data()
    response.set_data(
        brotli.compress(data, quality=DYNAMIC_BR_QUALITY)
        if encoding == "br"
        else gzip.compress(data, compresslevel=DYNAMIC_GZIP_LEVEL)
    )
    response.headers["Content-Encoding"] = encoding
    response.vary.add("Accept-Encoding")
    return response


def enable_compression(server: flask.Flask) -> None:
    """Compress responses with brotli or gzip, whichever the browser accepts."""
    server.config.update(
        COMPRESS_ALGORITHM=["br", "gzip"],
        COMPRESS_LEVEL=6,  # static files dominate and are compressed once: favour size
        COMPRESS_BR_LEVEL=5,
        COMPRESS_STREAMS=False,
        COMPRESS_CACHE_BACKEND=StaticCache,
        COMPRESS_CACHE_KEY=cache_key,
        COMPRESS_REGISTER=False,
        COMPRESS_MIMETYPES=[
            "text/html", "text/css", "text/plain", "text/csv", "application/json",
            "application/javascript", "text/javascript",
        ],
    )
    compress = Compress(server)

    @server.after_request
    def _compress(response: flask.Response) -> flask.Response:
        if is_static(flask.request):
            return compress.after_request(response)
        if (response.content_length or 0) > LARGE_RESPONSE and response.status_code == 200:
            return compress_dynamic(response, flask.request.accept_encodings)
        return response
