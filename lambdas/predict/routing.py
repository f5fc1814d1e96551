"""Champion/challenger routing for serverless endpoints, which have no production variants of their own."""

from __future__ import annotations

import random
import zlib
from typing import Any

CHAMPION, CHALLENGER = "champion", "challenger"


def challenger_eligible(deployment: dict[str, Any] | None) -> bool:
    """Only a challenger that passed the gate and differs from the champion may get traffic."""
    if not deployment:
        return False
    champion, challenger = deployment.get(CHAMPION) or {}, deployment.get(CHALLENGER) or {}
    return (
        challenger.get("gate") == "passed"
        and challenger.get("version") is not None
        and str(challenger.get("version")) != str(champion.get("version"))
    )


def caller_share(caller_id: str) -> float:
    """A stable number in [0, 1) per caller: the same caller always lands on the same side of the weight."""
    return zlib.crc32(caller_id.encode("utf-8")) / 2**32


def choose_variant(weight: float, eligible: bool, caller_id: str | None, rng: random.Random | None = None) -> str:
    if not eligible or weight <= 0:
        return CHAMPION
    share = caller_share(caller_id) if caller_id else (rng or random).random()
    return CHALLENGER if share < weight else CHAMPION
