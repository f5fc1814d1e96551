"""The synthesized Step Functions pipeline, run on a laptop: moto plus the extensions in `moto_extensions`.

`slipstream run --engine stepfunctions` and tests/statemachine both use this package, so the extensions live
here rather than in tests/. See `emulation.emulated_pipeline` for the entry point.
"""
