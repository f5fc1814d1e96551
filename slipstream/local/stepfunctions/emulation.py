"""One emulated AWS account holding the deployed pipeline: moto with our extensions, the synthesized stacks
stood up in it, and helpers to feed it data. Both the CLI engine and tests/statemachine start here."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from slipstream.config import Config
from slipstream.local.stepfunctions import handlers, moto_extensions, rest_apis, saved_account
from slipstream.local.stepfunctions.synth import synthesize
from slipstream.local.stepfunctions.world import ACCOUNT, REGION, World, build_world

FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"}


@contextmanager
def emulated_pipeline(
    config: Config,
    stage: str = "dev",
    time_scale: float = 0.01,
    saved: Path | None = None,
    triggers: bool = False,
) -> Iterator[World]:
    """Inside: a moto account with the pipeline deployed. Without `saved`, a fresh account that is gone after the
    block. With `saved` (a folder, see saved_account.py), the account's data from the last run is restored
    before the deploy, and saved again when the block ends normally (not when it raises: an interrupted run
    leaves the account as the last complete run left it). `triggers`: new data starts executions, as on AWS.
    The serving stack is always there: the SmokeTest goes through its API (rest_apis.py)."""
    state = saved_account.load(saved) if saved else None  # before the synthesis: a bad file fails fast
    synth = synthesize(config, stage)  # before mock_aws: synthesis needs no AWS, and is cached per process
    with _account(time_scale, fresh=state is None):
        if state:
            moto_extensions.restore_data_backends(ACCOUNT, state)
        world = build_world(synth, triggers=triggers)
        world.account_notes = moto_extensions.restart_endpoints(ACCOUNT) if state else []
        yield world
        if saved:
            saved_account.save(saved, moto_extensions.data_backends(ACCOUNT))


@contextmanager
def emulated_stages(
    config: Config, stages: tuple[str, ...], time_scale: float = 0.01, triggers: tuple[str, ...] = ()
) -> Iterator[dict[str, World]]:
    """Several stages deployed in ONE moto account (as `[stages.X] account` left unset deploys them), in the
    order given (a promotion's source first): stage -> World. Their prefixes differ, so the names the stacks
    give their resources do not collide; the names CloudFormation would generate get the stage as a prefix
    (all stages but the first). `triggers`: the stages whose triggers and stack outputs are stood up."""
    synths = [synthesize(config, stage) for stage in stages]
    with _account(time_scale, fresh=True):
        yield {
            synth.stage: build_world(
                synth, triggers=synth.stage in triggers, qualifier=f"{synth.stage}-" if index else ""
            )
            for index, synth in enumerate(synths)
        }


# moto draws every generated id (KMS key ids, ...) from one seedable generator. A new account starts it from the
# same seed, so two accounts deployed from the same synthesis hold the same state machine definition text, and
# moto parses it once per process (moto_extensions/costs.py caches syntax trees by text). A restored account is
# seeded from the OS instead: the ids it draws must not repeat the ones its saved resources already hold.
FRESH_ACCOUNT_SEED = 0


@contextmanager
def _account(time_scale: float, fresh: bool) -> Iterator[None]:
    """A moto account with our extensions, the emulated APIs (rest_apis.py) and the scaled clock."""
    from moto import mock_aws
    from moto.moto_api._internal import mock_random

    moto_extensions.install()
    moto_extensions.CLOCK["scale"] = time_scale
    moto_extensions.FAULTS.clear()
    moto_extensions.reset_strict()
    handlers.cold_start_all()
    for key, value in {**FAKE_CREDENTIALS, "AWS_DEFAULT_REGION": REGION}.items():
        os.environ.setdefault(key, value)  # never real credentials: every call goes to moto anyway
    try:
        with mock_aws(config=moto_extensions.MOTO_CONFIG):  # type: ignore[call-overload]  # a partial DefaultConfig
            moto_extensions.close_account()  # a new account serves nothing an earlier one in this process hosted
            mock_random.seed(FRESH_ACCOUNT_SEED if fresh else None)
            rest_apis.install_interception()
            yield
    finally:  # the patches stay installed in this process: leave other moto users real time and no faults
        rest_apis.remove_interception()
        moto_extensions.close_account()  # no endpoint container outlives its account
        moto_extensions.CLOCK["scale"] = 1.0
        moto_extensions.FAULTS.clear()
        mock_random.seed(None)


def upload_dataset(world: World, config: Config, key: str | None = None) -> str:
    """Put the config's training data where new data lands (the stage's data prefix); returns the key."""
    from slipstream.dataset import load_dataset

    prefix = config.stage(world.synth.stage).data_prefix
    source = config.data.source
    name = f"{source.split(':', 1)[1]}.csv" if source.startswith("sklearn:") else PurePosixPath(source).name
    key = key or f"{prefix}{name}"
    if source.startswith("sklearn:") or not name.endswith(".csv"):
        with tempfile.TemporaryDirectory() as tmp:  # bundled or Parquet data: upload what the loader reads
            path = Path(tmp) / "data.csv"
            load_dataset(config).to_csv(path, index=False)
            world.client("s3").upload_file(str(path), world.data_bucket, key)
    else:
        world.client("s3").upload_file(str(config.base_dir / source), world.data_bucket, key)
    return key
