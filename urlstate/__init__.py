"""The page state and its URL form (a link is a reproducible figure)."""

from urlstate.codec import Notice, normalize, parse_query, parse_query_strict, to_query
from urlstate.model import PALETTE, VERSION, VIEWS, AppState, default_state
from urlstate.presets import (
    DEFAULT_PRESET,
    PRESET_STATES,
    PRESETS,
    Claim,
    Preset,
    Verdict,
    check_claim,
    evaluate,
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
    "Verdict",
    "check_claim",
    "default_state",
    "evaluate",
    "get_preset",
    "normalize",
    "parse_query",
    "parse_query_strict",
    "to_query",
]
