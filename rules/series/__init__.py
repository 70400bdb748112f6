"""Series-level rules: what only the whole series shows (bisectability)."""
