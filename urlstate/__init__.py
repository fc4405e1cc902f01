"""The page state and its URL form (a link is a reproducible figure)."""

from urlstate.codec import Notice, normalize, parse_query, parse_query_strict, to_query
from urlstate.model import PALETTE, VERSION, VIEWS, AppState, default_state
from urlstate.presets import (
    DEFAULT_PRESET,
    PRESET_STATES,
    PRESETS,
    Claim,
    Preset,
    check_claim,
    get_preset,
)

__all__ = [
    "DEFAULT_PRESET",
    "PALETTE",
    "PRESETS",
    "PRESET_STATES",
    "VERSION",
    "VIEWS",
    "AppState",
    "Claim",
    "Notice",
    "Preset",
    "check_claim",
    "default_state",
    "get_preset",
    "normalize",
    "parse_query",
    "parse_query_strict",
    "to_query",
]
