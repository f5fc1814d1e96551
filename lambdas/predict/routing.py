"""Champion/challenger routing for serverless endpoints, which have no production variants of their own."""

from __future__ import annotations

import random
import zlib

from slipstream.documents.deployment import CHALLENGER, CHAMPION


def caller_share(caller_id: str) -> float:
    """A stable number in [0, 1) per caller: the same caller always lands on the same side of the weight."""
    return zlib.crc32(caller_id.encode("utf-8")) / 2**32


def choose_variant(weight: float, eligible: bool, caller_id: str | None, rng: random.Random | None = None) -> str:
    if not eligible or weight <= 0:
        return CHAMPION
    share = caller_share(caller_id) if caller_id else (rng or random).random()
    return CHALLENGER if share < weight else CHAMPION
