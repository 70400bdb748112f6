"""A base install (no ``[serve]`` extra): the CLI works, serve and worker say what is missing.

huey, starlette, uvicorn and redis are installed here, so a finder first on sys.meta_path
refuses them, as an install without the extra would; the service modules (and the
dependencies themselves) are taken out of sys.modules for the test and put back after.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType

import pytest

from reviewbot.cli import main

BLOCKED = ("huey", "starlette", "uvicorn", "redis")
FRESH = ("reviewbot.service", "reviewbot.cli.serve")  # imported anew under the block
MESSAGE = "reviewbot: serve needs the service dependencies: pip install 'reviewbot[serve]'\n"


class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        return None


def _taken_out(name: str) -> bool:
    return name.partition(".")[0] in BLOCKED or any(
        name == p or name.startswith(p + ".") for p in FRESH
    )


@pytest.fixture
def base_install() -> Iterator[None]:
    saved = dict(sys.modules)
    missing = object()
    # importing a submodule sets it on its package: remember what the packages had
    attributes = []
    for name in FRESH:
        parent, _, child = name.rpartition(".")
        attributes.append(
            (sys.modules[parent], child, getattr(sys.modules[parent], child, missing))
        )
    for name in [n for n in sys.modules if _taken_out(n)]:
        del sys.modules[name]
    finder = Refuse()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        for name in [n for n in sys.modules if n not in saved]:
            del sys.modules[name]
        sys.modules.update(saved)
        for package, child, value in attributes:
            if value is missing:
                if hasattr(package, child):
                    delattr(package, child)
            else:
                setattr(package, child, value)


def test_help_and_an_unknown_command_work_without_the_extra(
    base_install: None, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "serve" in out and "worker" in out and "review" in out
    with pytest.raises(SystemExit) as done:
        main(["serve", "--help"])
    assert done.value.code == 0
    assert "--bind" in capsys.readouterr().out
    with pytest.raises(SystemExit) as done:
        main(["frobnicate"])
    assert done.value.code == 2
    assert "invalid choice: 'frobnicate'" in capsys.readouterr().err
    # the parser was built from every command without importing the service
    assert not [n for n in sys.modules if n.partition(".")[0] in BLOCKED]
    assert "reviewbot.service.runtime" not in sys.modules


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_serve_and_worker_say_which_extra_to_install(
    command: str, tmp_path: Path, base_install: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([command, "--state-dir", str(tmp_path / "state")]) == 2
    captured = capsys.readouterr()
    assert captured.err == MESSAGE
    assert "Traceback" not in captured.out + captured.err
    assert not (tmp_path / "state").exists()  # it stopped before doing anything


def test_the_finder_refuses_the_extra(base_install: None) -> None:
    with pytest.raises(ImportError):
        importlib.import_module("huey")
    with pytest.raises(ImportError):
        importlib.import_module("reviewbot.service.app")


def test_after_the_block_the_service_imports_again() -> None:
    # (after the tests above, in file order: the fixture put everything back)
    from reviewbot.cli import serve
    from reviewbot.service.queue import TaskQueue

    assert sys.modules["reviewbot.cli.serve"] is serve
    assert TaskQueue.__module__ == "reviewbot.service.queue"
    assert importlib.import_module("huey") is sys.modules["huey"]
