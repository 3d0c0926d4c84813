"""The one way a subcommand declares its parser: a plain-text description and examples.

Each subcommand module's docstring is its documentation; its first paragraph,
without the reST markup, is the ``--help`` description, and ``examples`` (a
text starting ``examples:``, one command a line) is shown after the options.
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
