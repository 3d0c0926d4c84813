"""The ``xpnet`` command (also ``python -m xpnet``): train, benchmark and check xpnet.

Subcommands, one module each:
  train     train a classifier on the embedded digits, save/resume it (:mod:`.train`)
  bench     time the hot ops and a training step, side by side with PyTorch (:mod:`.bench`)
  selftest  parity checks of a backend against NumPy, e.g. on your GPU (:mod:`.selftest`)
  info      versions of xpnet, NumPy, CuPy, CUDA; which backends are usable and why not (:mod:`.info`)
"""
from __future__ import annotations

import argparse
import importlib
import sys
from typing import List, Optional

from ._parser import USER_ERRORS, one_line, plain

SUBCOMMANDS = ("train", "bench", "selftest", "info")
EXAMPLES = """examples:
  xpnet train                        # train a CNN on the embedded digits
  xpnet train --help                 # every option of a command, with examples
  xpnet info                         # versions, and which backends are usable here
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xpnet", description=plain(__doc__),
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=EXAMPLES)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SUBCOMMANDS:
        module = importlib.import_module(f".{name}", __name__)
        module.add_parser(sub)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point; returns the process exit code.

    A bad argument, a missing or unreadable file, a corrupt checkpoint or a
    training run that diverged (NaN/inf) is one line on stderr and exit code
    2 (argparse's usage errors too); anything else is a bug and keeps its
    traceback.
    """
    args = build_parser().parse_args(argv)
    try:
        return args.run(args) or 0
    except USER_ERRORS as e:
        print(f"xpnet {args.command}: error: {one_line(e)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"xpnet {args.command}: interrupted", file=sys.stderr)
        return 130
