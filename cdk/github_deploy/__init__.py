"""The GitHub Actions OIDC deploy role for one stage."""
