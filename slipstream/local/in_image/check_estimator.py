"""Run by the image's interpreter: check `[model]` and `[tuning.space]` with the image's scikit-learn (the one that
fits the model), by slipstream/estimator_rules.py.

usage: python check_estimator.py <repository root>   (the request as JSON on stdin: estimator, params, task, space)
prints {"problem": null} or {"problem": {"message": ..., "details": [...], "sklearn": version}} as JSON on stdout.
"""

from __future__ import annotations

import json
import sys


def main(root: str) -> None:
    sys.path.insert(0, root)  # estimator_rules.py and errors.py need only the standard library and scikit-learn
    import sklearn

    from slipstream.errors import ConfigError
    from slipstream.estimator_rules import check_model

    request = json.load(sys.stdin)
    try:
        check_model(request["estimator"], request["params"], request["task"], request["space"])
    except ConfigError as error:
        problem = {"message": error.message, "details": error.details, "sklearn": sklearn.__version__}
        print(json.dumps({"problem": problem}))
        return
    print(json.dumps({"problem": None}))


if __name__ == "__main__":
    main(sys.argv[1])
