"""The rules engine (pure): load rules, run them, isolate crashes, fingerprint findings."""

from reviewbot.engine.rule import Hit, PatchContext, Rule, Scope, SeriesContext

__all__ = ["Hit", "PatchContext", "Rule", "Scope", "SeriesContext"]
