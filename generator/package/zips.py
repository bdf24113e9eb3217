"""Deterministic zip archives: the same files give the same bytes on every machine."""

from __future__ import annotations

import io
import zipfile

# The earliest time a zip can record; any fixed value would do.
FIXED_DATE = (1980, 1, 1, 0, 0, 0)
# Every entry is a plain readable file: Lambda imports Python, it executes nothing from the zip,
# and an executable bit would otherwise depend on the machine that checked the code out.
FILE_MODE = 0o644
COMPRESSION_LEVEL = 9


def deterministic_zip(files: dict[str, bytes]) -> bytes:
    """Zip {archive path: content} with sorted entries, a fixed timestamp, one permission
    mode, Unix origin and a fixed deflate level."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.create_system = 3  # Unix, so that the mode bits below are honoured
            info.external_attr = (0o100000 | FILE_MODE) << 16  # regular file + permissions
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name], compresslevel=COMPRESSION_LEVEL)
    return buffer.getvalue()
