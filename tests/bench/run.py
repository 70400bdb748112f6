"""`make bench`: every benchmark script in this folder, one after the other."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    status = 0
    for script in sorted(HERE.glob("*.py")):
        if script.name == "run.py" or "def main(" not in script.read_text(encoding="utf-8"):
            continue  # helpers and data modules (common.py, the mutation specs)
        print(f"== {script.name}", flush=True)
        status |= subprocess.run([sys.executable, str(script)], cwd=HERE, check=False).returncode
    return status


if __name__ == "__main__":
    sys.exit(main())
