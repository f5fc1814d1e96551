"""Sample ratio mismatch: are the assignment counts what the configured weight makes likely?

A mismatch means the routing, the capture or the feedback loses one variant's rows more than the other's,
and then no comparison of outcomes can be trusted (Fabijan et al., "Diagnosing sample ratio mismatch in
online controlled experiments", KDD 2019). The check is Pearson's chi-square goodness-of-fit test with one
degree of freedom, whose survival function is erfc(sqrt(x / 2)): written with the standard library because
the experiment Lambda has numpy but no scipy; tests/unit/experiment checks it against scipy.stats.chisquare.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field


class SampleRatio(BaseModel):
    model_config = ConfigDict(frozen=True)

    champion: int = Field(ge=0, description="Assignments (requests) the champion answered.")
    challenger: int = Field(ge=0, description="Assignments the challenger answered.")
    expected_share: float = Field(description="The challenger's configured share.")
    observed_share: float | None = Field(description="The challenger's share of the assignments so far.")
    p_value: float = Field(description="Chance of counts at least this far from the weight if routing is right.")
    mismatch: bool = Field(description="p_value below the configured SRM alpha.")


def sample_ratio(champion: int, challenger: int, *, weight: float, alpha: float) -> SampleRatio:
    """Chi-square test of the two counts against shares (1 - weight, weight)."""
    total = champion + challenger
    if total == 0 or not 0 < weight < 1:
        # Nothing routed yet, or an all-or-nothing weight: every count is either certain or impossible.
        impossible = total > 0 and ((weight == 0 and challenger > 0) or (weight == 1 and champion > 0))
        observed = challenger / total if total else None
        return SampleRatio(
            champion=champion,
            challenger=challenger,
            expected_share=weight,
            observed_share=observed,
            p_value=0.0 if impossible else 1.0,
            mismatch=impossible,
        )
    expected = (total * (1 - weight), total * weight)
    counts = (champion, challenger)
    statistic = sum((seen - wanted) ** 2 / wanted for seen, wanted in zip(counts, expected, strict=True))
    p_value = math.erfc(math.sqrt(statistic / 2))
    return SampleRatio(
        champion=champion,
        challenger=challenger,
        expected_share=weight,
        observed_share=challenger / total,
        p_value=p_value,
        mismatch=p_value < alpha,
    )
