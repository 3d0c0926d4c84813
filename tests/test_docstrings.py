"""Every public function and class is documented, and every example in the docstrings runs.

The public surface is the ``__all__`` of the modules in ``PUBLIC_MODULES``, plus the
public methods and properties of each public class that are defined in xpnet (an
inherited method is checked once, under the class that defines it, e.g.
``xpnet.nn.Module.parameters``).  Each must have a docstring whose first line is a
one-line summary followed by a blank line (or nothing), and a ``>>>`` example, unless
``NO_EXAMPLE`` says why not.

The doctests of every xpnet module then run on the NumPy backend with
``ELLIPSIS | NORMALIZE_WHITESPACE``, so each example is proven to print what it says.
As with ``doctest.testmod``, an example sees its module's globals; the ones written for users
start with ``import xpnet`` and seed with ``xpnet.manual_seed`` where they draw random numbers.
"""
from __future__ import annotations

import doctest
import fnmatch
import importlib
import importlib.util
import inspect
import pkgutil

import pytest

import xpnet

PUBLIC_MODULES = ["xpnet", "xpnet.nn", "xpnet.nn.functional", "xpnet.nn.init", "xpnet.nn.utils",
                  "xpnet.optim", "xpnet.optim.lr_scheduler", "xpnet.data", "xpnet.backend",
                  "xpnet.train", "xpnet.distributed"]

# Public names that need a docstring but no example of their own (fnmatch patterns).
NO_EXAMPLE = {
    f"xpnet.backend.Backend.{op}": "an abstract Backend op: it states formula and shapes; the "
                                   "Backend class example calls the ops on the numpy backend"
    for op in sorted(xpnet.backend.Backend.__abstractmethods__)
}

# Modules whose doctests cannot run here (fnmatch pattern: reason).
DOCTEST_SKIP = {}
if importlib.util.find_spec("matplotlib") is None:  # the optional 'plot' extra
    DOCTEST_SKIP["xpnet.train.plot"] = "its examples draw a figure: matplotlib is not installed"


def _matches(name, patterns):
    return next((p for p in patterns if fnmatch.fnmatchcase(name, p)), None)


def _members(cls, qualname):
    """(public name, object) for each public method/property of ``cls`` defined in xpnet,
    named after the (xpnet) class that defines it."""
    for attr in sorted(dir(cls)):
        if attr.startswith("_"):
            continue
        owner = next(c for c in cls.__mro__ if attr in vars(c))
        if not owner.__module__.startswith("xpnet"):
            continue
        obj = vars(owner)[attr]
        if isinstance(obj, (classmethod, staticmethod)):
            obj = obj.__func__
        if not (inspect.isfunction(obj) or isinstance(obj, property)):
            continue  # class attributes (``name``, ``xp``), nested classes
        prefix = qualname if owner is cls else f"{owner.__module__}.{owner.__qualname__}"
        yield f"{prefix}.{attr}", obj


def public_objects():
    """{public name: object} over ``PUBLIC_MODULES`` and the public classes' members."""
    found, seen_members = {}, set()
    for modname in PUBLIC_MODULES:
        module = importlib.import_module(modname)
        for name in module.__all__:
            qualname, obj = f"{modname}.{name}", getattr(module, name)
            if inspect.ismodule(obj) or not (callable(obj) or inspect.isclass(obj)):
                continue  # subpackages are checked as modules; dtypes are NumPy's
            found.setdefault(qualname, obj)
            if inspect.isclass(obj):
                for member, mobj in _members(obj, qualname):
                    if id(mobj) not in seen_members:  # an alias (view = reshape) once
                        seen_members.add(id(mobj))
                        found.setdefault(member, mobj)
    return found


PUBLIC = public_objects()


def _doc(obj):
    """A class's own docstring; for a method what ``help()`` shows: an override without a
    docstring inherits its base's (``inspect.getdoc``), so ``Module.forward`` covers
    ``Linear.forward``, whose shapes and example are in the ``Linear`` docstring."""
    if inspect.isclass(obj):
        return inspect.cleandoc(vars(obj).get("__doc__") or "")
    return inspect.cleandoc(obj.__doc__ or "") if isinstance(obj, property) else inspect.getdoc(obj)


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_name_is_documented(name):
    obj = PUBLIC[name]
    doc = _doc(obj)
    assert doc, f"{name} has no docstring of its own"
    lines = doc.splitlines()
    assert lines[0].strip() and not lines[0].startswith(">>>"), \
        f"{name}: the docstring must start with a one-line summary; it starts {lines[0]!r}"
    assert len(lines) == 1 or not lines[1].strip(), \
        f"{name}: the summary must be one line followed by a blank line; got {lines[:2]!r}"
    if not _matches(name, NO_EXAMPLE):
        assert ">>>" in doc, f"{name} has no runnable example (>>>) in its docstring"


def test_allow_list_has_reasons_and_is_not_stale():
    for pattern, reason in NO_EXAMPLE.items():
        assert len(reason) > 20, f"allow-list entry {pattern!r} needs a reason"
        assert any(fnmatch.fnmatchcase(n, pattern) or n == pattern for n in PUBLIC), \
            f"allow-list entry {pattern!r} matches no public name any more: remove it"


def _doctest_modules():
    def onerror(name):  # a package that fails to import is an error unless it is skipped
        if not _matches(name, DOCTEST_SKIP):
            raise ImportError(f"cannot import {name} to collect its doctests")
    walk = pkgutil.walk_packages(xpnet.__path__, "xpnet.", onerror=onerror)
    return ["xpnet"] + [m.name for m in walk]


def _doctests():
    """{module name: [DocTest]}, each docstring once (``Tensor.sum`` shares ``ops.reduce.sum``'s)."""
    finder, seen, out = doctest.DocTestFinder(exclude_empty=True), set(), {}
    for modname in _doctest_modules():
        if _matches(modname, DOCTEST_SKIP):  # reported as a skip by the test below
            out[modname] = []
            continue
        module = importlib.import_module(modname)
        tests = [t for t in finder.find(module, modname) if t.examples]
        fresh = [t for t in tests if t.docstring not in seen]
        seen.update(t.docstring for t in fresh)
        if fresh:
            out[modname] = sorted(fresh, key=lambda t: t.name)
    return out


DOCTESTS = _doctests()


@pytest.mark.parametrize("modname", sorted(DOCTESTS))
def test_docstring_examples_run(modname):
    if _matches(modname, DOCTEST_SKIP):
        pytest.skip(DOCTEST_SKIP[_matches(modname, DOCTEST_SKIP)])
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report = []
    state = xpnet.get_rng_state()
    try:
        with xpnet.use_backend("numpy"):
            for test in DOCTESTS[modname]:
                runner.run(test, out=report.append)
    finally:
        xpnet.set_rng_state(state)
    assert runner.failures == 0, "".join(report)
