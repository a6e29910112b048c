"""The ``dailypapers`` command: ``demo``, ``serve``, ``ingest``, and every Django management command.

dailypapers demo             import the demo corpus (once) and serve it
dailypapers serve            serve with gunicorn on $PORT (default 8000)
dailypapers ingest --help    import papers
dailypapers migrate          any Django management command
"""

from __future__ import annotations

import os
import sys

USAGE = __doc__ or ""


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
    if len(argv) < 2 or argv[1] in {"-h", "--help"}:
        print(USAGE.strip())
        print("\nAll commands: dailypapers help")
        return
    argv[0] = "dailypapers"
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
