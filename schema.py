"""The description of one adjustable number, shared by surfaces, optimizers and schedules."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Param:
    """A named number with its default and slider range.

    `kind` is "float", "int" or "bool". Booleans change the structure of the computation
    (they are compiled in); every other kind is passed to compiled code as data.
    """

    name: str
    default: float
    low: float = 0.0
    high: float = 1.0
    label: str = ""
    log: bool = False
    kind: Literal["float", "int", "bool"] = "float"

    @property
    def is_static(self) -> bool:
        """True when a change of this value changes what is compiled."""
        return self.kind == "bool"

    def check(self, value: float) -> float | bool:
        """`value` coerced to this parameter's kind and range, or ValueError saying why."""
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            if value in (0, 1):
                return bool(value)
            raise ValueError(f"{self.name} must be true or false")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{self.name} must be a number") from None
        except OverflowError:  # an integer beyond float range
            raise ValueError(f"{self.name} must be between {self.low:g} and {self.high:g}") from None
        if not math.isfinite(number):
            raise ValueError(f"{self.name} must be finite")
        if not self.low <= number <= self.high:
            raise ValueError(f"{self.name} must be between {self.low:g} and {self.high:g}")
        if self.kind == "int":
            if number != int(number):
                raise ValueError(f"{self.name} must be a whole number")
            return int(number)
        return number
