"""How much of v6.12 mm/ tree-sitter-c parses cleanly, raw and normalised, and how fast.

Benchmark, not a test (pytest does not collect tests/bench). Counts the function
definitions (at any depth) of mm/*.c and mm/**/*.c and how many hold an ERROR or
MISSING node, with the raw source and with reviewbot.analyze.normalize; times parsing
raw against normalising + parsing (best of --repeat, runs interleaved so machine noise
hits both alike); and checks that normalising kept every length and newline offset.

    .venv/bin/python tests/bench/parse_rate.py                 # Debian linux-source-6.12
    .venv/bin/python tests/bench/parse_rate.py --tree ~/linux  # a kernel tree (or its mm/)

Without --tree it extracts mm/ from /usr/src/linux-source-6.12.tar.xz into a temporary
directory (about 10 s), and exits 0 with a message when that tarball is not installed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import tree_sitter
import tree_sitter_c

from reviewbot.analyze.normalize import normalize

TARBALL = Path("/usr/src/linux-source-6.12.tar.xz")
TOP = "linux-source-6.12"


@dataclass
class Quality:
    functions: int = 0
    bad: int = 0
    nested: int = 0  # definitions inside a definition: loop macros misread as K&R functions

    @property
    def good_percent(self) -> float:
        return 100.0 * (self.functions - self.bad) / self.functions if self.functions else 0.0


def quality(trees: list[tree_sitter.Tree], language: tree_sitter.Language) -> Quality:
    query = tree_sitter.Query(language, "(function_definition) @f (MISSING) @m")
    result = Quality()
    for tree in trees:
        caps = tree_sitter.QueryCursor(query).captures(tree.root_node)
        missing = sorted(n.start_byte for n in caps.get("m", []))
        for fn in caps.get("f", []):
            result.functions += 1
            parent = fn.parent
            while parent is not None and parent.type != "function_definition":
                parent = parent.parent
            result.nested += parent is not None
            first = bisect_left(missing, fn.start_byte)
            if fn.has_error or (first < len(missing) and missing[first] < fn.end_byte):
                result.bad += 1
    return result


def best_of(repeat: int, *runs: Callable[[], object]) -> list[float]:
    """Best wall time of each run, the runs interleaved ``repeat`` times."""
    best = [float("inf")] * len(runs)
    for _ in range(repeat):
        for k, run in enumerate(runs):
            start = time.perf_counter()
            run()
            best[k] = min(best[k], time.perf_counter() - start)
    return best


def offsets_kept(source: bytes, normalised: bytes) -> bool:
    if len(source) != len(normalised):
        return False
    return all((a == 0x0A) == (b == 0x0A) for a, b in zip(source, normalised, strict=True))


def measure(label: str, files: list[Path], repeat: int) -> None:
    language = tree_sitter.Language(tree_sitter_c.language())
    parser = tree_sitter.Parser(language)
    sources = [f.read_bytes() for f in files]
    normalised = [normalize(s) for s in sources]
    broken = [
        str(f) for f, s, n in zip(files, sources, normalised, strict=True) if not offsets_kept(s, n)
    ]
    raw = quality([parser.parse(s) for s in sources], language)
    norm = quality([parser.parse(n) for n in normalised], language)

    def parse_raw() -> None:
        for s in sources:
            parser.parse(s)

    def normalise_only() -> None:
        for s in sources:
            normalize(s)

    def normalise_and_parse() -> None:
        for s in sources:
            parser.parse(normalize(s))

    t_raw, t_norm, t_both = best_of(repeat, parse_raw, normalise_only, normalise_and_parse)
    size = sum(len(s) for s in sources)
    print(f"{label}: {len(files)} files, {size / 1e6:.2f} MB")
    print(
        f"  function definitions: raw {raw.functions}, normalised {norm.functions}"
        f" (nested in another: raw {raw.nested}, normalised {norm.nested})"
    )
    print(
        f"  with ERROR/MISSING:   raw {raw.bad} ({100 - raw.good_percent:.2f}%), "
        f"normalised {norm.bad} ({100 - norm.good_percent:.2f}%)"
    )
    print(
        f"  parse cleanly:        raw {raw.good_percent:.2f}%, normalised {norm.good_percent:.2f}%"
    )
    print(
        f"  time (best of {repeat}):   parse raw {t_raw:.3f} s, normalise {t_norm:.3f} s, "
        f"normalise+parse {t_both:.3f} s ({t_both / t_raw:.2f}x raw)"
    )
    print(f"  offsets and newlines kept: {'yes' if not broken else 'NO: ' + ', '.join(broken)}")


def extract(into: Path) -> Path:
    subprocess.run(
        ["tar", "-xJf", str(TARBALL), "-C", str(into), "--wildcards", f"{TOP}/mm/"],
        check=True,
    )
    return into / TOP


def run(tree: Path, repeat: int) -> int:
    mm = tree / "mm" if (tree / "mm").is_dir() else tree
    top = sorted(mm.glob("*.c"))
    every = sorted(mm.glob("**/*.c"))
    if not every:
        print(f"no C files under {mm}")
        return 1
    measure(f"{mm.name}/*.c", top, repeat)
    measure(f"{mm.name}/**/*.c", every, repeat)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tree", type=Path, help="a kernel tree, or its mm/ directory")
    parser.add_argument("--repeat", type=int, default=5, help="timing runs (best is kept)")
    args = parser.parse_args(argv)
    if args.tree is not None:
        return run(args.tree, args.repeat)
    if not TARBALL.is_file():
        print(f"skipped: {TARBALL} is not installed (apt-get install linux-source-6.12)")
        return 0
    with tempfile.TemporaryDirectory(prefix="parse-rate-") as tmp:
        print(f"extracting mm/ from {TARBALL} ...", flush=True)
        return run(extract(Path(tmp)), args.repeat)


if __name__ == "__main__":
    sys.exit(main())
