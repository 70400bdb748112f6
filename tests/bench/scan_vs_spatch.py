"""Issue 4 benchmark: `reviewbot scan` with every rule vs spatch with one rmap rule.

Both tools read the same files, v6.12 mm/*.c (125 files, 4.8 MB), as whole processes
on one core (`taskset -c 0` when available), side by side in one run, median of
--runs after a warm-up:

- reviewbot: `python -m reviewbot scan mm/*.c` (every rule of the built-in packs; the
  target kernel comes from the tree's Makefile), one process;
- spatch: `spatch --sp-file tests/bench/rmap_order.cocci --dir <mm/*.c> -j 1` (one rule:
  a dup call not preceded by a reference), a full parse of every file.

Target: reviewbot at least 3x faster. Also printed: each tool's peak RSS, reviewbot's
findings by severity, spatch's matches. The files come from Debian's
linux-source-6.12 tarball, or from --tree DIR (a kernel tree with mm/ and Makefile).
Skips (exit 0) when neither the tarball nor --tree is there, or spatch is not installed.

    .venv/bin/python tests/bench/scan_vs_spatch.py [--tree /work/kernel/6.12] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from common import TARBALL, extract, installed_env

COCCI = Path(__file__).resolve().parent / "rmap_order.cocci"
TARGET = 3.0


def one_core() -> list[str]:
    return ["taskset", "-c", "0"] if shutil.which("taskset") else []


def timed(cmd: Sequence[str], env: dict[str, str], cwd: Path) -> tuple[float, int, bytes]:
    """Wall time, peak RSS (KiB) and stdout of one whole process."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, _, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0  # reaped by wait4; keep Popen from waiting again
    return time.perf_counter() - start, usage.ru_maxrss, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", type=Path, help="a kernel tree (mm/, Makefile) to use")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each tool")
    args = parser.parse_args()
    spatch = shutil.which("spatch")
    if spatch is None:
        print("skipped: spatch is not installed (Debian package coccinelle)")
        return 0
    if args.tree is None and not TARBALL.is_file():
        print(f"skipped: {TARBALL} is not installed (Debian package linux-source-6.12)")
        return 0
    with tempfile.TemporaryDirectory(prefix="reviewbot-bench-") as tmp:
        work = Path(tmp)
        if args.tree is not None:
            tree = args.tree.resolve()
        else:
            print(f"extracting mm/ and Makefile from {TARBALL} ...", flush=True)
            tree = extract(["mm/", "Makefile"], work / "linux")
        files = sorted((tree / "mm").glob("*.c"))
        # spatch --dir recurses: give it a directory holding exactly the same files
        only = work / "spatch" / "mm"
        only.mkdir(parents=True)
        for f in files:
            shutil.copy(f, only / f.name)
        size = sum(f.stat().st_size for f in files)
        env = installed_env(work / "home")
        ours = [
            *one_core(),
            sys.executable,
            "-m",
            "reviewbot",
            "scan",
            *map(str, files),
            "--format",
            "json",
            "--fail-on",
            "never",
        ]
        peer = [
            *one_core(),
            spatch,
            "--sp-file",
            str(COCCI),
            "--dir",
            str(only),
            "-j",
            "1",
            "--no-show-diff",
        ]
        print(
            f"{len(files)} files of {tree / 'mm'}, {size / 1e6:.2f} MB; one core: "
            f"{'taskset -c 0' if one_core() else 'no taskset'}",
            flush=True,
        )
        timed(ours, env, work)  # warm-up: bytecode, page cache
        timed(peer, env, work)
        ours_t: list[float] = []
        peer_t: list[float] = []
        ours_rss = peer_rss = 0
        report: bytes = b""
        matches: bytes = b""
        for _ in range(args.runs):  # interleaved, so that both see the same machine load
            t, rss, report = timed(ours, env, work)
            ours_t.append(t)
            ours_rss = max(ours_rss, rss)
            t, rss, matches = timed(peer, env, work)
            peer_t.append(t)
            peer_rss = max(peer_rss, rss)
        ours_med, peer_med = statistics.median(ours_t), statistics.median(peer_t)
        summary = json.loads(report)["summary"] if report.strip() else {}
        hits = [ln for ln in matches.decode(errors="replace").splitlines() if "without" in ln]
        ratio = peer_med / ours_med
        print(
            f"reviewbot scan (all rules)  {ours_med:7.2f} s  peak RSS {ours_rss / 1024:6.1f} MiB"
            f"  findings {summary}"
        )
        print(
            f"spatch (rmap_order.cocci)   {peer_med:7.2f} s  peak RSS {peer_rss / 1024:6.1f} MiB"
            f"  matches {len(hits)}"
        )
        print(
            f"ratio spatch/reviewbot = {ratio:.2f}x (target: >= {TARGET:.0f}x: "
            f"{'met' if ratio >= TARGET else 'NOT met'}); runs: reviewbot "
            f"{', '.join(f'{t:.2f}' for t in ours_t)}; spatch "
            f"{', '.join(f'{t:.2f}' for t in peer_t)}"
        )
        for line in hits:
            print(f"  spatch: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
