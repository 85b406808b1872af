"""Every third-party package the code imports is named in the .in files and locked, with hashes,
in the lock files that `make run` and `make test` install from."""

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OURS = {"app", "geo", "bench", "tests", "migrations", "wsgi", "conftest"}
# What the running code imports comes from requirements.txt; tests and tools may use the dev lock.
RUNTIME = ("app", "geo", "migrations", "wsgi.py")
TOOLING = ("tests", "bench")


def _name(requirement):
    return re.sub(r"[-_.]+", "-", requirement.split("[")[0]).lower()


def _pins(path):
    """{name: version} of the `name==version` lines of a requirements file."""
    pins = {}
    for line in (ROOT / path).read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._\-\[\]]*)==([^\s;\\]+)", line)
        if match:
            pins[_name(match[1])] = match[2]
    return pins


def _imports(*places):
    """Top-level module names imported anywhere under these files and folders."""
    found = set()
    for place in places:
        path = ROOT / place
        for file in [path] if path.is_file() else path.rglob("*.py"):
            for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    found.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    found.add(node.module.split(".")[0])
    return {m for m in found if m not in sys.stdlib_module_names and m not in OURS}


def _distributions(modules):
    """The distributions that provide these modules, as installed here."""
    providers = packages_distributions()
    missing = sorted(m for m in modules if m not in providers)
    assert not missing, f"imported but not installed from any distribution: {missing}"
    return {m: {_name(d) for d in providers[m]} for m in modules}


def _unlisted(modules, pins):
    return sorted(m for m, dists in _distributions(modules).items() if not dists & set(pins))


def test_what_the_app_imports_is_named_and_locked():
    modules = _imports(*RUNTIME)
    assert _unlisted(modules, _pins("requirements.in")) == []
    assert _unlisted(modules, _pins("requirements.txt")) == []


def test_what_the_tests_and_tools_import_is_named_and_locked():
    modules = _imports(*TOOLING)
    named = _pins("requirements.in") | _pins("requirements-dev.in")
    assert _unlisted(modules, named) == []
    assert _unlisted(modules, _pins("requirements-dev.txt")) == []


def test_every_pin_of_the_in_files_is_the_locked_version():
    """A pin changed in an .in file without `make lock` would install something else."""
    for source, lock in (
        ("requirements.in", "requirements.txt"),
        ("requirements-dev.in", "requirements-dev.txt"),
    ):
        locked = _pins(lock)
        for name, version in _pins(source).items():
            assert locked.get(name) == version, f"{source} {name}=={version}: run make lock"


def test_the_lock_files_pin_every_package_with_hashes():
    for lock in ("requirements.txt", "requirements-dev.txt"):
        text = (ROOT / lock).read_text(encoding="utf-8")
        entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 1)[1])
        for entry in entries:
            if entry.strip() and not entry.lstrip().startswith("#"):
                assert re.match(r"^[A-Za-z0-9][^\s]*==", entry), entry.splitlines()[0]
                assert "--hash=sha256:" in entry, entry.splitlines()[0]


def test_the_runtime_lock_agrees_with_the_dev_lock():
    """The dev lock is constrained by the runtime lock: tests run what production runs."""
    runtime, dev = _pins("requirements.txt"), _pins("requirements-dev.txt")
    assert {name: dev.get(name) for name in runtime} == runtime
