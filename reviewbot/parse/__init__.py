"""Parsing (pure, no I/O): messages into a series, patches, diffs and line maps."""
