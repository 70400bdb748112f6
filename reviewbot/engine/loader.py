"""Finding rules: the built-in packs, ``--rules DIR`` packs and entry points."""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import pkgutil
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType

from reviewbot.engine.rule import Rule
from reviewbot.errors import UsageError
from reviewbot.kernel import VersionRange

BUILTIN_PACKAGE = "reviewbot_rules"
ENTRY_POINT_GROUP = "reviewbot.rules"


@dataclass
class RuleSet:
    """The loaded rules by code, and the era markers their packs declare."""

    rules: dict[str, Rule] = field(default_factory=dict)
    # function name -> kernels that have it; packs declare ERA_MARKERS for inference
    era_markers: dict[str, VersionRange] = field(default_factory=dict)

    def add(self, rule: Rule, origin: str) -> None:
        other = self.rules.get(rule.code)
        if other is not None and other is not rule:
            raise UsageError(f"{origin}: rule code {rule.code} is already used by {other.name}")
        self.rules[rule.code] = rule

    def select(self, select: Sequence[str] = (), ignore: Sequence[str] = ()) -> list[Rule]:
        """Rules matching any of ``select`` (code, code prefix or name) and none of ``ignore``."""
        for word in (*select, *ignore):
            if not any(_matches(r, word) for r in self.rules.values()):
                raise UsageError(f"--select/--ignore {word}: no rule has that code or name")
        chosen = [
            r
            for r in self.rules.values()
            if (not select or any(_matches(r, w) for w in select))
            and not any(_matches(r, w) for w in ignore)
        ]
        return sorted(chosen, key=lambda r: r.code)

    def get(self, code_or_name: str) -> Rule:
        for rule in self.rules.values():
            if code_or_name in (rule.code, rule.name):
                return rule
        raise UsageError(f"rule {code_or_name}: no rule has that code or name")


def _matches(rule: Rule, word: str) -> bool:
    word = word.strip()
    return rule.code == word or rule.name == word or (word.isalpha() and rule.code.startswith(word))


def _rules_in(module: ModuleType, pack: str) -> Iterator[Rule]:
    rule = getattr(module, "RULE", None)
    if isinstance(rule, Rule):
        doc = (module.__doc__ or "").strip()
        query = None
        if module.__file__:
            scm = Path(module.__file__).with_suffix(".scm")
            if scm.is_file():
                query = scm.read_text(encoding="utf-8")
        yield replace(rule, doc=rule.doc or doc, query=rule.query or query, pack=rule.pack or pack)


def _markers_in(module: ModuleType, into: RuleSet) -> None:
    markers = getattr(module, "ERA_MARKERS", None)
    if isinstance(markers, dict):
        for name, rng in markers.items():
            if isinstance(name, str) and isinstance(rng, VersionRange):
                into.era_markers.setdefault(name, rng)


def _walk_package(package: ModuleType, into: RuleSet) -> None:
    _markers_in(package, into)
    prefix = package.__name__ + "."
    for info in pkgutil.walk_packages(package.__path__, prefix):
        leaf = info.name.rsplit(".", 1)[-1]
        if leaf.startswith("_"):
            continue
        module = importlib.import_module(info.name)
        _markers_in(module, into)
        pack = info.name[len(prefix) :].split(".", 1)[0]
        for rule in _rules_in(module, pack):
            into.add(rule, info.name)


def _import_dir(path: Path) -> ModuleType:
    """Import a rule pack directory as a package under a private name (relative imports work)."""
    if not path.is_dir():
        raise UsageError(f"--rules {path}: not a directory")
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]
    name = f"reviewbot_pack_{digest}"
    if name in sys.modules:
        return sys.modules[name]
    init = path / "__init__.py"
    if not init.is_file():
        # A plain directory of rule modules: a namespace package of our own naming.
        module = ModuleType(name)
        module.__path__ = [str(path)]
        sys.modules[name] = module
        return module
    spec = importlib.util.spec_from_file_location(
        name, init, submodule_search_locations=[str(path)]
    )
    if spec is None or spec.loader is None:
        raise UsageError(f"--rules {path}: cannot load as a rule pack")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load_rules(dirs: Iterable[str | Path] = (), entry_points: bool = True) -> RuleSet:
    """The built-in packs, then each ``--rules DIR``, then installed entry points."""
    rules = RuleSet()
    _walk_package(importlib.import_module(BUILTIN_PACKAGE), rules)
    for d in dirs:
        path = Path(d)
        try:
            _walk_package(_import_dir(path), rules)
        except UsageError:
            raise
        except Exception as exc:  # a broken third-party pack is a usage problem, named
            raise UsageError(f"--rules {path}: cannot load: {exc}") from exc
    if entry_points:
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            module = ep.load()
            if isinstance(module, ModuleType):
                _walk_package(module, rules)
    return rules
