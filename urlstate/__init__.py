"""The page state and its URL form (a link is a reproducible figure)."""

from urlstate.codec import Notice, normalize, parse_query, parse_query_strict, to_query
from urlstate.model import PALETTE, VERSION, VIEWS, AppState, default_state

__all__ = [
    "AppState",
    "Notice",
    "PALETTE",
    "VERSION",
    "VIEWS",
    "default_state",
    "normalize",
    "parse_query",
    "parse_query_strict",
    "to_query",
]
