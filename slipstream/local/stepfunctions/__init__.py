"""The synthesized Step Functions pipeline, run on a laptop: moto plus the extensions in `moto_extensions`.

`slipstream run --engine stepfunctions` and tests/statemachine both use this package, so the extensions live
here rather than in tests/. See `emulation.emulated_pipeline` for the entry point.
"""

import sys

from slipstream.sourcedir import PROJECT_ROOT as REPO_ROOT

# The emulation runs the repository's cdk/ and lambdas/ (not packaged with slipstream): import them
# from the checkout, as pytest does (pythonpath = ["."]).
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
