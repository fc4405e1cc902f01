"""The page state and its URL form (a link is a reproducible figure)."""

from urlstate.model import PALETTE, VERSION, VIEWS, AppState, default_state

__all__ = ["AppState", "PALETTE", "VERSION", "VIEWS", "default_state"]
