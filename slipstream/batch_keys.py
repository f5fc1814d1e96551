"""Which S3 object a batch "Object Created" event names, and where its results go (docs/batch.md#on-aws).

S3 writes the key into its events form-encoded ("my file+1.csv" arrives as "my+file%2B1.csv"; `/` is kept), as
in its other notifications, so the key is decoded before anything reads it. The results of
`<input_prefix><relative key>` go to `<output_prefix><relative key>/`: two files of the same name in different
folders do not share one. Runs in the batch Lambda (standard library and pydantic only).
"""

from __future__ import annotations

import json
from typing import Literal
from urllib.parse import unquote_plus

from pydantic import BaseModel, ConfigDict

SCORED_SUFFIXES = (".csv", ".parquet", ".pq")  # what training/batch_rows.py file_format reads
# The processing job's input is a manifest naming the one object: an S3Prefix input of `x.csv` would also take
# `x.csv.bak`. Manifests go to the artifact bucket (not beside the results), one per scored key.
MANIFEST_PREFIX = "batch/manifests/"


class BatchTarget(BaseModel):
    """The state machine's view of one event: `score` it; `refuse` it (a file of a type the scorer cannot read:
    announced as a failure, without starting a job); or `ignore` it (a folder marker, a key outside the input
    prefix or inside the output prefix: nothing a user meant to score), with the reason."""

    model_config = ConfigDict(frozen=True)

    action: Literal["score", "refuse", "ignore"]
    reason: str
    bucket: str
    key: str  # decoded: the object's real key
    input: str = ""  # s3://bucket/key
    name: str = ""  # the file's name, for messages
    output_folder: str = ""  # s3://bucket/<output_prefix><relative key>/
    summary_key: str = ""  # <output_prefix><relative key>/summary.json
    manifest: str = ""  # the ManifestFile naming exactly this object (SageMaker's manifest format)
    manifest_key: str = ""  # where it is written, in the manifest bucket
    manifest_uri: str = ""  # s3://<manifest bucket>/<manifest key>


def locate(
    bucket: str,
    event_key: str,
    *,
    input_prefix: str,
    output_prefix: str,
    summary_file: str,
    manifest_bucket: str,
) -> BatchTarget:
    """Decode the event's key and decide; a key that is no file to score is ignored, with the reason."""
    key = unquote_plus(event_key)
    ignore = _why_not(key, input_prefix, output_prefix)
    if ignore:
        return BatchTarget(action="ignore", reason=ignore, bucket=bucket, key=key)
    if not key.lower().endswith(SCORED_SUFFIXES):
        reason = f"{key!r} is not a file to score: its name must end with {', '.join(SCORED_SUFFIXES)}"
        return BatchTarget(action="refuse", reason=reason, bucket=bucket, key=key)
    relative = key.removeprefix(input_prefix)
    folder = f"{output_prefix}{relative}/"
    directory, _, name = key.rpartition("/")
    # [{"prefix": ...}, relative keys...]: SageMaker downloads prefix + each key to LocalPath/<key>.
    manifest = json.dumps([{"prefix": f"s3://{bucket}/{directory}/" if directory else f"s3://{bucket}/"}, name])
    manifest_key = f"{MANIFEST_PREFIX}{relative}.manifest.json"
    return BatchTarget(
        action="score",
        reason=f"scoring s3://{bucket}/{key}",
        bucket=bucket,
        key=key,
        input=f"s3://{bucket}/{key}",
        name=key.rsplit("/", 1)[-1],
        output_folder=f"s3://{bucket}/{folder}",
        summary_key=f"{folder}{summary_file}",
        manifest=manifest,
        manifest_key=manifest_key,
        manifest_uri=f"s3://{manifest_bucket}/{manifest_key}",
    )


def _why_not(key: str, input_prefix: str, output_prefix: str) -> str | None:
    # The rule matches the encoded key: a prefix such as `batch/in/` reads the same both ways (batch_config's
    # pattern keeps prefixes to characters S3 does not encode), but only the decoded key is checked here.
    if not key.startswith(input_prefix):
        return f"{key!r} is not under the input prefix {input_prefix!r}"
    if key.startswith(output_prefix):
        return f"{key!r} is under the output prefix {output_prefix!r}: a result, not a file to score"
    if key.endswith("/"):
        return f"{key!r} is a folder marker, not a file"
    return None
