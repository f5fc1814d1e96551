"""The strict checks in force while a mock_aws account is active: parameters (strict/params.py) and IAM/KMS.

Its own module because every part of the extensions reads it and the parts import each other one way only.
"""

STRICT = {"params": True, "iam": True}
