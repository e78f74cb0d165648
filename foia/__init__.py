"""foia: FOIA and Privacy Act requests about immigration-enforcement surveillance."""

__version__ = "0.1.0"
