"""Moat Book: rate a brand's customer loyalty as an economic moat from sourced evidence."""

__version__ = "0.1.0"
