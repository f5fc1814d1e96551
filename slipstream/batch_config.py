"""`[batch]` in slipstream.toml: scoring whole files with a registered model (`slipstream predict`, and on AWS
the batch state machine, cdk/batch/).
docs/batch.md explains it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from slipstream.layout import EVENT_PREFIX_PATTERN

OnBadRow = Literal["skip", "fail"]
# The trigger rule matches the prefix against the encoded key (slipstream/batch_keys.py).
PREFIX_PATTERN = EVENT_PREFIX_PATTERN


class BatchConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    on_bad_row: OnBadRow = Field(
        default="skip",
        description="A row the prediction API would refuse: `skip` writes it to the rejects file (row, field, "
        "reason) and scores the rest; `fail` stops the run at the first chunk that has one, writing nothing.",
    )
    id_columns: list[str] = Field(
        default_factory=list,
        description="Columns of the input copied to each prediction (e.g. a customer id), after `row`.",
    )
    chunk_rows: int = Field(
        default=100_000,
        ge=1_000,
        le=5_000_000,
        description="Rows scored at a time (Parquet; CSV reads blocks of 8 MiB): memory stays bounded by it.",
    )

    volume_gb: int = Field(
        default=30,
        ge=1,
        le=16_384,
        description="On AWS: the processing job's ML volume (GB); it holds the input file and the results.",
    )
    input_prefix: str = Field(
        default="batch/in/",
        pattern=PREFIX_PATTERN,
        description="On AWS: a file put under this prefix of the data bucket is scored with the champion "
        "(docs/batch.md#on-aws). Must end with `/`, and lie outside every stage's `data_prefix`.",
    )
    output_prefix: str = Field(
        default="batch/out/",
        pattern=PREFIX_PATTERN,
        description="On AWS: where the results go, `<output_prefix><file name>/` (predictions, rejects.csv, "
        "summary.json), in the data bucket. Must end with `/`, and lie outside `input_prefix`.",
    )

    @model_validator(mode="after")
    def _apart(self) -> BatchConfig:
        inside = self.output_prefix.startswith(self.input_prefix) or self.input_prefix.startswith(self.output_prefix)
        if inside:
            raise ValueError(
                f"output_prefix {self.output_prefix!r} and input_prefix {self.input_prefix!r} overlap: "
                "every result written would start another batch run"
            )
        return self

    @field_validator("id_columns")
    @classmethod
    def _distinct(cls, names: list[str]) -> list[str]:
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"id_columns lists {', '.join(duplicates)} more than once")
        reserved = sorted(set(names) & {"row", "prediction", "model_version"})
        if reserved:
            raise ValueError(f"id_columns may not be named {', '.join(reserved)}: the output has its own")
        return names

    def data_prefix_problems(self, data_prefixes: dict[str, str]) -> list[str]:
        """Both prefixes are in the data bucket, where new data under `data_prefix` starts a training run: a file
        to score must not start one, and a training file must not be scored."""
        problems = []
        for stage, data_prefix in data_prefixes.items():
            for name, prefix in (("input_prefix", self.input_prefix), ("output_prefix", self.output_prefix)):
                if prefix.startswith(data_prefix) or data_prefix.startswith(prefix):
                    problems.append(f"batch.{name} {prefix!r} overlaps stages.{stage}.data_prefix {data_prefix!r}")
        return problems
