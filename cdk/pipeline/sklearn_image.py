"""AWS's prebuilt SageMaker scikit-learn image, for training, processing and serving alike.

The ECR account differs per region, so the image URI is a CfnMapping looked up by `AWS::Region` at deploy
time (the stacks stay environment-agnostic). Accounts copied from aws/sagemaker-python-sdk,
sagemaker-core/src/sagemaker/core/image_uri_config/sklearn.json. Framework version 1.4-2 is the newest
there for training; a "1.4-2-py312" variant also exists, but "1.4-2" is the one listed for training,
processing and inference alike, so one image trains, evaluates and serves the model.
"""

from __future__ import annotations

from aws_cdk import Aws, CfnMapping, Fn, Stack
from constructs import Construct

from slipstream.image import SKLEARN_IMAGE

REGISTRIES = {
    "af-south-1": "510948584623",
    "ap-east-1": "651117190479",
    "ap-northeast-1": "354813040037",
    "ap-northeast-2": "366743142698",
    "ap-northeast-3": "867004704886",
    "ap-south-1": "720646828776",
    "ap-south-2": "628508329040",
    "ap-southeast-1": "121021644041",
    "ap-southeast-2": "783357654285",
    "ap-southeast-3": "951798379941",
    "ap-southeast-4": "106583098589",
    "ca-central-1": "341280168497",
    "ca-west-1": "190319476487",
    "cn-north-1": "450853457545",
    "cn-northwest-1": "451049120500",
    "eu-central-1": "492215442770",
    "eu-central-2": "680994064768",
    "eu-north-1": "662702820516",
    "eu-south-1": "978288397137",
    "eu-south-2": "104374241257",
    "eu-west-1": "141502667606",
    "eu-west-2": "764974769150",
    "eu-west-3": "659782779980",
    "il-central-1": "898809789911",
    "me-central-1": "272398656194",
    "me-south-1": "801668240914",
    "sa-east-1": "737474898029",
    "us-east-1": "683313688378",
    "us-east-2": "257758044811",
    "us-gov-east-1": "237065988967",
    "us-gov-west-1": "414596584902",
    "us-west-1": "746614075791",
    "us-west-2": "246618743249",
}


def sklearn_image_uri(scope: Construct) -> str:
    """`<account>.dkr.ecr.<region>.<url suffix>/sagemaker-scikit-learn:1.4-2-cpu-py3` for the deploy region;
    the image itself is named once, in slipstream/image.py, which the local emulation mirrors."""
    stack = Stack.of(scope)
    mapping = stack.node.try_find_child("SklearnImageAccounts")
    if mapping is None:
        mapping = CfnMapping(
            stack, "SklearnImageAccounts", mapping={region: {"account": acct} for region, acct in REGISTRIES.items()}
        )
    account = mapping.find_in_map(Aws.REGION, "account")  # type: ignore[attr-defined]
    return Fn.join("", [account, ".dkr.ecr.", Aws.REGION, ".", Aws.URL_SUFFIX, f"/{SKLEARN_IMAGE.name}"])
