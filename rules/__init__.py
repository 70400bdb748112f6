"""The built-in rule packs (installed as ``reviewbot_rules``): one module per rule."""
