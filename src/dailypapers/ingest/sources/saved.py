"""Saved upstream responses on disk, as every source reads them: folders expanded into a source's
files, the guard before a file is read whole, and the date a file's name carries.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from dailypapers.ingest.records import PaperRecord, Skipped

DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")


def iter_files(paths: Iterable[Path], endings: tuple[str, ...]) -> list[Path]:
    """Folders expanded into their files whose names end with one of ``endings``, sorted by name
    (so dated names come in date order); a file named directly is kept whatever its name (its
    reader reports it if it is not what it should be)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.name.endswith(endings)))
        else:
            files.append(path)
    return files


def date_in_name(path: Path) -> dt.date | None:
    """The first ``YYYY-MM-DD`` in the file's name, when it is a real date."""
    match = DATE_IN_NAME.search(path.name)
    if not match:
        return None
    try:
        return dt.date.fromisoformat(match.group(1))
    except ValueError:
        return None


def records_from_whole_file(
    path: Path,
    max_bytes: int,
    parse: Callable[[Path, bytes], Iterable[PaperRecord | Skipped]],
    errors: type[Exception],
) -> Iterator[PaperRecord | Skipped]:
    """The records of a saved response read whole: ``parse(path, body)``'s, or one ``Skipped``
    for the file when it is missing, too large, or ``parse`` raises ``errors``."""
    problem = unreadable(path, max_bytes)
    if problem:
        yield problem
        return
    try:
        items = parse(path, path.read_bytes())
    except errors as exc:
        yield Skipped(str(path), str(exc))
        return
    yield from items


def unreadable(path: Path, max_bytes: int | None = None) -> Skipped | None:
    """Why ``path`` cannot be read (missing, or over ``max_bytes`` for a file read whole), or
    ``None`` when it can."""
    if not path.is_file():
        return Skipped(str(path), "no such file")
    if max_bytes is not None and path.stat().st_size > max_bytes:
        return Skipped(str(path), f"larger than {max_bytes // 2**20} MiB")
    return None
