"""Deployable stacks: each wires constructs together and owns the grants between them."""
