"""Drift, prediction drift and model quality from captured traffic; the HTML report; the Slack notifier.

Plain functions over pandas/numpy shared by the drift Lambda (lambdas/drift) and `slipstream monitor`.
"""
