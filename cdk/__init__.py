"""Reusable CDK pieces for Slipstream: constructs, asset builders, nag setup and config -> stack props."""
