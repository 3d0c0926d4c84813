"""The one way a subcommand declares its parser: a plain-text description and examples.

Each subcommand module's docstring is its documentation; its first paragraph,
without the reST markup, is the ``--help`` description, and ``examples`` (a
text starting ``examples:``, one command a line) is shown after the options.
A user error (:data:`USER_ERRORS`) is reported as one line (:func:`one_line`).
"""
from __future__ import annotations

import argparse
import re


def plain(doc: str) -> str:
    """The first paragraph of ``doc`` without reST markup (````x```` and ``:mod:`x``` become ``x``)."""
    first = doc.strip().split("\n\n")[0]
    return re.sub(r":\w+:`~?\.?([^`]+)`", r"\1", first).replace("``", "")


def add_command(sub, name: str, doc: str, examples: str, help: str) -> argparse.ArgumentParser:
    """Add subcommand ``name`` to ``sub`` (the ``add_subparsers`` action) and return its parser."""
    return sub.add_parser(name, help=help, description=plain(doc), epilog=examples,
                          formatter_class=argparse.RawDescriptionHelpFormatter)


#: what a command reports as one line on stderr (bad argument, unreadable file, diverged run);
#: anything else is a bug and keeps its traceback
USER_ERRORS = (ValueError, RuntimeError, OSError, FloatingPointError)


def one_line(error: BaseException) -> str:
    """The message of ``error`` on one line (its newlines become spaces)."""
    return " ".join(str(error).split("\n"))
