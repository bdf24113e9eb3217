"""`python -m generator.local up|down|status`: the same as `whimsy local ...`, with the CLI's
exit codes (0 ok, 1 a problem you can fix) and no traceback for those."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from generator.errors import UserError
from generator.local import commands


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="whimsy local",
        description=commands.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands.add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return commands.run(args)
    except UserError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
