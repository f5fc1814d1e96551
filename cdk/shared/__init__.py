"""Parts every capability uses: stage settings, physical names, the Lambda construct and its asset,
cdk-nag, and the storage and notifications stacks."""
