"""reviewbot: a review and static-analysis bot for Linux mm patch series."""

__version__ = "0.1.0"
