"""`python -m crossrec ...`: data commands and run commands (README, "Command line").
Errors: exit status 2 and one line on stderr.

Heavy modules (torch) are imported inside the commands that train, so `datasets`, `inspect`,
`runs` and `show` start fast.
"""

from __future__ import annotations

import os
import sys
import traceback

from crossrec.cli import data_commands, run_commands
from crossrec.cli.common import Parser
from crossrec.errors import DataError, SettingError, StoreError, UsageError, mask_secrets

EXIT_USAGE = 2


def build_parser() -> Parser:
    parser = Parser(prog="python -m crossrec", description="CrossRec: cross-domain recommendation")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    data_commands.add_commands(sub)
    run_commands.add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return int(args.func(args) or 0)
    except (UsageError, DataError, SettingError, StoreError) as err:
        print(mask_secrets(f"error: {err}"), file=sys.stderr, flush=True)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `... | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception:  # a bug: the traceback is for the developer, with any password masked
        print(mask_secrets(traceback.format_exc()), file=sys.stderr, end="", flush=True)
        return 1
