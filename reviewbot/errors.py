"""The project's exception types. Only the CLI turns them into exit codes and messages."""


class ReviewbotError(Exception):
    """Base class. The message is one line naming what and where."""

    exit_status = 2


class UsageError(ReviewbotError):
    """Bad command line or configuration (exit 2)."""


class InputError(ReviewbotError):
    """Unreadable or unusable input: a missing file, no patch in an mbox (exit 2)."""


class FetchError(ReviewbotError):
    """A source could not be fetched: unknown message-id, unreachable lore (exit 3)."""

    exit_status = 3


class ConfigError(UsageError):
    """An invalid configuration file or key (exit 2)."""


class PublishError(ReviewbotError):
    """A publisher could not deliver (exit 3: the destination could not be reached)."""

    exit_status = 3
