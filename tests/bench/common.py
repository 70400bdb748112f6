"""Shared by the benchmark scripts: the kernel tarball, timing, side-by-side printing."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tarfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARBALL = Path("/usr/src/linux-source-6.12.tar.xz")
REVIEWBOT = Path(sys.executable).parent / "reviewbot"


def extract(members: Sequence[str], into: Path, tarball: Path = TARBALL) -> Path:
    """Extract the named top-level paths (``scripts/``, ``mm/``) of the kernel tarball."""
    with tarfile.open(tarball) as tar:
        top = tar.next()
        assert top is not None
        prefix = top.name.split("/", 1)[0] + "/"
        wanted = [
            m for m in tar.getmembers() if any(m.name.startswith(prefix + p) for p in members)
        ]
        for member in wanted:
            member.name = member.name[len(prefix) :]
        tar.extractall(into, members=wanted, filter="data")
    return into


def installed_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment for timing reviewbot as an installed copy runs.

    Bytecode as pip leaves it on install, kept out of the source tree: without it every
    run compiles every module again (about +40 ms). PYTHONPATH picks this checkout.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(PYTHONPATH=str(ROOT), PYTHONPYCACHEPREFIX=str(home / "pycache"), HOME=str(home))
    env.update(extra)
    return env


def wall(cmd: Sequence[str], runs: int = 5, **kwargs: object) -> float:
    """Median wall time of ``runs`` runs of a whole process (after one warm-up)."""
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, **kwargs)  # type: ignore[call-overload]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, **kwargs
        )  # type: ignore[call-overload]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def side_by_side(what: str, ours: float, peer_name: str, peer: float, target: str) -> None:
    print(f"{what}")
    print(f"  reviewbot   {ours * 1000:8.1f} ms")
    print(f"  {peer_name:<11} {peer * 1000:8.1f} ms")
    print(f"  ratio peer/reviewbot = {peer / ours:.2f}x  (target: {target})")
