"""The emulated AWS account made as strict as AWS: what a real account refuses, the emulation refuses too.

Each module covers one way moto alone is more lenient than AWS (IAM and KMS, API parameter constraints,
service limits). None of them touches moto internals; the hooks that install them live in
`slipstream/local/stepfunctions/moto_extensions/`.
"""
