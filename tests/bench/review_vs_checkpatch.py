"""Issue 2 benchmark: `reviewbot review` of a 15-patch series vs checkpatch.pl --no-tree.

Both as whole processes, side by side in one run, median of 5 after a warm-up.
Skips (exit 0) when Debian's linux-source-6.12 is not installed.
"""

from __future__ import annotations

import mailbox
import re
import sys
import tempfile
from pathlib import Path

from common import REVIEWBOT, ROOT, TARBALL, extract, installed_env, side_by_side, wall

SERIES = ROOT / "fixtures" / "bench" / "series-15.mbox"


def main() -> int:
    if not TARBALL.is_file():
        print(f"skipped: {TARBALL} not installed (apt-get install linux-source-6.12)")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        tree = extract(["scripts/"], Path(tmp) / "linux")
        patches = []
        for i, msg in enumerate(mailbox.mbox(SERIES)):
            counter = re.search(r"(\d+)/\d+\]", str(msg["subject"]))
            if counter and int(counter.group(1)) == 0:
                continue  # the cover letter: checkpatch has nothing to say on it
            path = Path(tmp) / f"{i:04d}.patch"
            path.write_bytes(msg.as_bytes())
            patches.append(str(path))
        checkpatch = [
            "perl",
            str(tree / "scripts" / "checkpatch.pl"),
            "--no-tree",
            "-q",
            "--terse",
            *patches,
        ]
        peer = wall(checkpatch, cwd=tree)
        env = installed_env(Path(tmp))
        ours = wall([str(REVIEWBOT), "review", str(SERIES), "--fail-on", "never"], env=env)
    side_by_side(
        f"review of a {len(patches)}-patch series ({SERIES.name})",
        ours,
        "checkpatch",
        peer,
        "reviewbot at most checkpatch's wall time",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
