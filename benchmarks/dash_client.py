"""A small HTTP client that talks to a running Optiscape the way the browser does.

It loads the page like Chromium (the HTML, every script and stylesheet the HTML references,
`/_dash-layout`, `/_dash-dependencies`, the chunks the renderer loads lazily) and then sends
`POST /_dash-update-component` requests with the JSON bodies the Dash renderer sends. The
bodies are built the way the renderer builds them, from the callback specs of
`/_dash-dependencies` and the current component tree (the layout with every callback
response applied): ids with `ALL` wildcards are matched against the tree in document order,
a property the tree doesn't hold is sent without `value`, a single output is an object,
several are a list. These rules were read off bodies captured from Chromium (performance
log) on this app; `tests/test_benchmarks.py` checks the result against the server.

The page's callbacks (components/page.py) and what triggers them:

    page load          load(url.search) → update   (+ change_surface, edit_runs: 204)
    preset chosen      load(preset) → update
    surface chosen     change_surface → update
    optimizer/schedule edit_runs → update
    a typed value      update (it computes only when the canonical query changed)

Only the standard library, `requests` and orjson (a runtime dependency) are used.
"""

from __future__ import annotations

import gzip
import json
import re
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import orjson
import requests

UPDATE_PATH = "/_dash-update-component"
# Requested by the renderer after the layout (webpack chunks of dcc and plotly.js); the
# HTML doesn't name them. Read off Chromium's network log for this page; `python -m
# benchmarks.app` lists any difference from what Chromium loads (client_not_browser,
# browser_not_client).
LAZY_RESOURCES = (
    "/_dash-component-suites/dash/dcc/async-graph.js",
    "/_dash-component-suites/plotly/package_data/plotly.min.js",
)
# The first output ("id.property") of each of the page's server callbacks.
CALLBACKS = {
    "load": "surface-section.children",
    "change_surface": "surface-params.children",
    "edit_runs": "runs.children",
    "update": "trajectories.data",
}
_SRC = re.compile(r"""<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]+)"[^>]*>""", re.IGNORECASE)
_CONFIG = re.compile(r'<script id="_dash-config" type="application/json">(.*?)</script>', re.DOTALL)


def id_key(component_id: str | dict) -> str:
    """An id as the renderer writes it in a body's "id.prop" strings (sorted, compact JSON)."""
    if isinstance(component_id, dict):
        return json.dumps(component_id, sort_keys=True, separators=(",", ":"))
    return component_id


def _parse_id(text: str) -> str | dict:
    return json.loads(text) if text.startswith("{") else text


def _matches(pattern: dict, component_id: Any) -> bool:
    """Whether a wildcard id (values ["ALL"]) matches a component's dict id."""
    if not isinstance(component_id, dict) or component_id.keys() != pattern.keys():
        return False
    return all(v == ["ALL"] or component_id[k] == v for k, v in pattern.items())


def callback_name(output: str) -> str | None:
    """Which of the page's callbacks (CALLBACKS) a dependency's or body's "output" names."""
    head = output.strip(".").split("...")[0].split("@")[0]
    return next((name for name, first in CALLBACKS.items() if first == head), None)


def gzip_size(body: bytes) -> int:
    """The size of `body` gzipped at level 6 (what flask-compress sends by default)."""
    return len(gzip.compress(body, compresslevel=6))


@dataclass
class Transfer:
    """One HTTP exchange: what was asked, how long it took, how many body bytes crossed."""

    method: str
    path: str
    status: int
    seconds: float
    wire_bytes: int  # response body as sent (compressed if the server compressed it)
    body_bytes: int  # response body decoded
    gzip_bytes: int | None  # response body if it had been gzipped (level 6), if estimated
    server_ms: float | None = None  # from a Server-Timing header, when the server sends one
    payload: Any = None  # the decoded JSON of a JSON response
    text: str = ""  # the decoded text of an HTML response


@dataclass
class Page:
    """One browser tab: the component tree and the callback specs it runs on."""

    layout: dict
    dependencies: list[dict]
    end_id: str | None = None
    dash_version: str = ""
    _index: dict[str, dict] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.reindex()

    # ---------------------------------------------------------------- the tree

    def components(self) -> Iterator[dict]:
        """Every component of the tree, depth first in document order.

        Only lists and components are entered, never other dicts (a figure, a store's data):
        a contour's grid alone holds 14,400 numbers, and a class of clients walking them
        after every response would take the server's CPU.
        """
        stack: list[Any] = [self.layout]
        while stack:
            node = stack.pop()
            if isinstance(node, list):
                stack.extend(reversed([v for v in node if isinstance(v, (dict, list))]))
            elif isinstance(node, dict) and "props" in node and "type" in node:
                yield node
                stack.extend(reversed([v for v in node["props"].values() if isinstance(v, (dict, list))]))

    def reindex(self) -> None:
        """Rebuild the id → component map (after a subtree was replaced)."""
        self._index = {
            id_key(c["props"]["id"]): c for c in self.components() if "id" in c["props"]
        }

    def get(self, component_id: str | dict, prop: str, default: Any = None) -> Any:
        """The current value of a component's property."""
        component = self._index.get(id_key(component_id))
        return default if component is None else component["props"].get(prop, default)

    def set(self, component_id: str | dict, prop: str, value: Any) -> None:
        """Set a property (as a user, or a callback response, would)."""
        component = self._index.get(id_key(component_id))
        if component is None:
            raise KeyError(f"no component {id_key(component_id)!r} on the page")
        component["props"][prop] = value
        if isinstance(value, (dict, list)):
            self.reindex()

    def ids(self, pattern: dict) -> list[dict]:
        """The ids on the page matching a wildcard id, in document order (the index's)."""
        return [c["props"]["id"] for c in self._index.values() if _matches(pattern, c["props"]["id"])]

    # ---------------------------------------------------------------- callbacks

    def callback(self, name: str) -> dict:
        """The dependency spec of one of the page's server callbacks (see CALLBACKS)."""
        for spec in self.dependencies:
            if not spec.get("clientside_function") and callback_name(spec["output"]) == name:
                return spec
        raise KeyError(f"no server callback whose first output is {CALLBACKS[name]}")

    def _item(self, component_id: str | dict, prop: str) -> dict:
        item: dict[str, Any] = {"id": component_id, "property": prop}
        component = self._index.get(id_key(component_id))
        if component is not None and prop in component["props"]:
            item["value"] = component["props"][prop]
        return item

    def _items(self, specs: list[dict]) -> list:
        items: list = []
        for spec in specs:
            component_id = _parse_id(spec["id"])
            if isinstance(component_id, dict) and any(v == ["ALL"] for v in component_id.values()):
                items.append([self._item(i, spec["property"]) for i in self.ids(component_id)])
            else:
                items.append(self._item(component_id, spec["property"]))
        return items

    def body(self, name: str, changed: list[tuple[str | dict, str]]) -> dict:
        """The JSON body the renderer posts for callback `name` after `changed` props."""
        spec = self.callback(name)
        outputs = []
        for part in spec["output"].strip(".").split("..."):
            component_id, prop = part.rsplit(".", 1)
            outputs.append({"id": _parse_id(component_id), "property": prop})
        body: dict[str, Any] = {
            "output": spec["output"],
            "outputs": outputs if len(outputs) > 1 else outputs[0],
            "inputs": self._items(spec["inputs"]),
            "changedPropIds": [f"{id_key(i)}.{p}" for i, p in changed],
            "parsedChangedPropsIds": [i if isinstance(i, dict) else f"{i}.{p}" for i, p in changed],
        }
        if spec["state"]:
            body["state"] = self._items(spec["state"])
        return body

    def apply(self, response: dict) -> None:
        """Put a callback response's new property values into the tree."""
        for key, props in response.get("response", {}).items():
            component = self._index.get(key)
            if component is None:
                continue
            component["props"].update({p.split("@")[0]: v for p, v in props.items()})
        self.reindex()


class DashClient:
    """HTTP to one Optiscape server, as a browser tab would (one keep-alive session)."""

    def __init__(
        self, base_url: str, timeout: float = 30.0, gzip_accepted: bool = True,
        estimate_gzip: bool = False,
    ) -> None:
        self.base = base_url.rstrip("/")
        self.timeout = timeout
        self.estimate_gzip = estimate_gzip
        self.session = requests.Session()
        self.session.trust_env = False  # loopback: no proxy or .netrc lookups per request
        self.session.headers["Accept-Encoding"] = "gzip, deflate" if gzip_accepted else "identity"

    def close(self) -> None:
        """Close the session's connections."""
        self.session.close()

    def request(self, method: str, path: str, body: dict | None = None) -> Transfer:
        """One request; the response body is read whole and decoded (JSON when it is JSON)."""
        url = urljoin(self.base + "/", path.lstrip("/"))
        headers = {"Accept": "application/json", "Content-Type": "application/json"} if body is not None else {}
        data = json.dumps(body).encode() if body is not None else None
        started = time.perf_counter()
        response = self.session.request(
            method, url, data=data, headers=headers, timeout=self.timeout, stream=True
        )
        raw = response.raw.read(decode_content=False)
        seconds = time.perf_counter() - started
        response.close()
        encoding = response.headers.get("Content-Encoding", "").lower()
        decoded = zlib.decompress(raw, 47) if encoding in ("gzip", "deflate") and raw else raw
        kind = response.headers.get("Content-Type", "")
        payload = orjson.loads(decoded) if "json" in kind and decoded else None
        return Transfer(
            method, path, response.status_code, seconds, len(raw), len(decoded),
            gzip_size(decoded) if self.estimate_gzip else None, _server_ms(response.headers.get("Server-Timing")), payload,
            decoded.decode("utf-8", "replace") if "html" in kind else "",
        )

    def get(self, path: str) -> Transfer:
        """GET a path (its body is read and counted)."""
        return self.request("GET", path)

    # ---------------------------------------------------------------- page load

    def open(self, search: str = "") -> tuple[Page, list[Transfer]]:
        """Load the page for `search` (e.g. "?v=1&..."): HTML, assets, layout, dependencies.

        The page's first callbacks are not run; see `first_callbacks`.
        """
        transfers = [self.get("/" + search)]
        html = transfers[0].text
        found = _CONFIG.search(html)
        config = json.loads(found.group(1)) if found else {}
        for src in dict.fromkeys(_SRC.findall(html)):
            if src.startswith("/"):
                transfers.append(self.get(src))
        layout, deps = self.get("/_dash-layout"), self.get("/_dash-dependencies")
        transfers += [layout, deps]
        version = str(config.get("dash_version", ""))
        transfers += [self.get(p) for p in LAZY_RESOURCES]
        page = Page(layout.payload, deps.payload, config.get("end_id"), version)
        page.set("url", "search", search)  # what dcc.Location reads from the address bar
        return page, transfers

    def first_callbacks(self, page: Page) -> list[tuple[str, Transfer]]:
        """The callbacks the renderer sends once the layout is in: load, then update."""
        surface = ({"name": "surface", "type": "field"}, "value")
        done = [("load", self.call(page, "load", [("url", "search")]))]
        done.append(("change_surface", self.call(page, "change_surface", [surface])))
        done.append(("update", self.call(page, "update", [surface])))
        return done

    # ---------------------------------------------------------------- callbacks

    def call(self, page: Page, name: str, changed: list[tuple[str | dict, str]]) -> Transfer:
        """POST one callback with the renderer's body; apply its response to the page."""
        path = UPDATE_PATH + (f"?endId={page.end_id}" if page.end_id else "")
        transfer = self.request("POST", path, page.body(name, changed))
        if transfer.status == 200 and isinstance(transfer.payload, dict):
            page.apply(transfer.payload)
        return transfer

    def change(self, page: Page, component_id: str | dict, prop: str, value: Any) -> list[tuple[str, Transfer]]:
        """A user sets one control; every callback that the change triggers, in order."""
        page.set(component_id, prop, value)
        changed = [(component_id, prop)]
        done: list[tuple[str, Transfer]] = []
        kind = component_id.get("type") if isinstance(component_id, dict) else component_id
        if component_id == "url" or kind == "preset":
            done.append(("load", self.call(page, "load", changed)))
        elif component_id == {"name": "surface", "type": "field"}:
            done.append(("change_surface", self.call(page, "change_surface", changed)))
        elif kind == "run-choice":
            done.append(("edit_runs", self.call(page, "edit_runs", changed)))
        if done and done[0][1].status not in (200, 204):
            return done
        return done + [("update", self.call(page, "update", changed))]


def _server_ms(header: str | None) -> float | None:
    """The `__dash_server` (or first) duration of a Server-Timing header, in ms."""
    if not header:
        return None
    durations = re.findall(r"([\w-]+)[^,]*?dur=([\d.]+)", header)
    named = dict(durations)
    value = named.get("__dash_server", durations[0][1] if durations else None)
    return float(value) if value is not None else None


def runs_in(transfer: Transfer) -> list[str]:
    """The run labels in an `update` response's trajectories (empty if it computed nothing)."""
    response = (transfer.payload or {}).get("response", {})
    data = response.get("trajectories", {}).get("data") or {}
    return [run["label"] for run in data.get("runs", [])]
