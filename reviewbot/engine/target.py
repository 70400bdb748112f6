"""Which kernel the rules target: ``--kernel``, else what the patch shows, else the newest."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from reviewbot.analyze.cmodel import file_view, is_c_file
from reviewbot.kernel import NEWEST_KNOWN, KernelVersion, VersionRange
from reviewbot.parse.patch import Series

# Every release the era markers can point at, oldest first.
KNOWN_VERSIONS: tuple[KernelVersion, ...] = tuple(
    [KernelVersion(5, m) for m in range(10, 20)] + [KernelVersion(6, m) for m in range(0, 19)]
)


@dataclass(frozen=True)
class Target:
    version: KernelVersion
    source: str  # "option", "tree", "patch (page_dup_rmap)", "default"


def pre_image_calls(series: Series) -> Iterable[str]:
    """Names called in removed and context lines: what the tree before the series has."""
    for patch in series.patches:
        for diff in patch.files:
            if not is_c_file(diff.path) or diff.binary or diff.status == "added":
                continue
            for call in file_view(diff).removed_calls():
                yield call.callee


def _newest_with(
    names: Iterable[str], markers: Mapping[str, VersionRange]
) -> tuple[list[str], KernelVersion | None]:
    seen = sorted({name for name in names if name in markers})
    candidates = [v for v in KNOWN_VERSIONS if all(v in markers[n] for n in seen)]
    return seen, (candidates[-1] if seen and candidates else None)


def infer(series: Series, markers: Mapping[str, VersionRange]) -> Target:
    """The newest known version that has every era marker the pre-image calls.

    Added lines say what the author believes, not what the tree has: with no marker in
    removed or context lines the target is the newest known ("default"), and rules that
    depend on the era say so rather than guess.
    """
    seen, version = _newest_with(pre_image_calls(series), markers)
    if version is not None:
        return Target(version, "patch (" + ", ".join(seen) + ")")
    if seen:
        return Target(NEWEST_KNOWN, "default (the patch mixes eras: " + ", ".join(seen) + ")")
    return Target(NEWEST_KNOWN, "default")


def choose(
    option: str | None, series: Series, markers: Mapping[str, VersionRange], tree: str | None = None
) -> Target:
    if option:
        return Target(KernelVersion.parse(option), "option")
    if tree:
        return Target(KernelVersion.parse(tree), "tree")
    return infer(series, markers)
