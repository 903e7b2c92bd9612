"""The dependency sets (issue 18): requirements.txt is what the app needs to run, closed
under its packages' own requirements and free of the tests' tools; requirements-dev.txt adds
the tools. Both are pinned exactly. Read from the installed packages' own metadata."""
from __future__ import annotations

import ast
import re
import sys
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
TOOLS = {"pytest", "ruff", "aiosmtpd", "playwright", "schemathesis", "hypothesis",
         "pytest-xdist", "pypdfium2", "zxing-cpp"}


def pins(name: str) -> dict[str, str]:
    found = {}
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-r "):
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)==([A-Za-z0-9_.+-]+)", line)
        assert match, f"{name}: not pinned exactly: {line!r}"
        found[canonicalize_name(match.group(1))] = match.group(2)
    return found


RUNTIME, DEVELOPMENT = pins("requirements.txt"), pins("requirements-dev.txt")


def test_the_development_set_includes_the_runtime_one_and_adds_only_tools():
    assert (ROOT / "requirements-dev.txt").read_text().count("-r requirements.txt") == 1
    assert not set(RUNTIME) & set(DEVELOPMENT)
    assert not TOOLS & set(RUNTIME), TOOLS & set(RUNTIME)
    assert {"pytest", "ruff", "aiosmtpd"} <= set(DEVELOPMENT)


def test_the_runtime_set_holds_everything_its_packages_require():
    environment = default_environment()
    missing = set()
    for name in RUNTIME:
        for text in metadata.requires(name) or []:
            requirement = Requirement(text)
            if requirement.marker and not requirement.marker.evaluate({**environment, "extra": ""}):
                continue
            if canonicalize_name(requirement.name) not in RUNTIME:
                missing.add(f"{name} needs {requirement.name}")
    assert not missing, sorted(missing)


def test_what_the_app_imports_comes_from_the_runtime_set():
    distributions = metadata.packages_distributions()
    sources = [*ROOT.joinpath("app").rglob("*.py"), ROOT / "config.py", ROOT / "gunicorn.conf.py"]
    outside = set()
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
            for top in {n.split(".")[0] for n in names if n}:
                if top in sys.stdlib_module_names or top in ("app", "config"):
                    continue
                for dist in distributions.get(top, [top]):
                    if canonicalize_name(dist) not in RUNTIME:
                        outside.add(f"{path.relative_to(ROOT)} imports {top} ({dist})")
    assert not outside, sorted(outside)


def test_the_installed_versions_are_the_pinned_ones():
    wrong = {name: (version, metadata.version(name)) for name, version in
             {**RUNTIME, **DEVELOPMENT}.items() if metadata.version(name) != version}
    assert not wrong, wrong
