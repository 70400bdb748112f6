import pytest

from reviewbot.errors import UsageError
from reviewbot.kernel import KernelVersion, VersionRange


def test_parse_accepts_tags_and_full_versions() -> None:
    assert KernelVersion.parse("v6.12") == KernelVersion(6, 12)
    assert KernelVersion.parse("6.1.117") == KernelVersion(6, 1)
    assert KernelVersion(5, 19) < KernelVersion(6, 0) < KernelVersion(6, 10)


def test_parse_rejects_garbage_with_the_text() -> None:
    with pytest.raises(UsageError, match="'six'"):
        KernelVersion.parse("six")


@pytest.mark.parametrize(
    ("spec", "inside", "outside"),
    [
        (">=5.19,<6.8", ["5.19", "6.1", "6.7"], ["5.18", "6.8", "6.12"]),
        (">=6.8", ["6.8", "6.15"], ["6.7", "5.19"]),
        ("", ["4.19", "6.18"], []),
    ],
)
def test_ranges(spec: str, inside: list[str], outside: list[str]) -> None:
    rng = VersionRange(spec)
    assert all(KernelVersion.parse(v) in rng for v in inside)
    assert not any(KernelVersion.parse(v) in rng for v in outside)


def test_bad_range_is_refused() -> None:
    with pytest.raises(ValueError, match="bad clause"):
        VersionRange("~6.1")
