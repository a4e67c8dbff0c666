"""Atomic, checksum-verified downloads and file verification."""

from __future__ import annotations

import gzip
import hashlib
import os
import socket
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from course_utils.data.errors import ChecksumError, DownloadError

CHUNK = 1 << 20


def sha256_of(path: Path, decompress: bool = False) -> str:
    """SHA-256 of a file's bytes, or of its gunzipped content when ``decompress`` is true."""
    digest = hashlib.sha256()
    opener = gzip.open if decompress else open
    with opener(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path, expected_sha256: str, decompress: bool = False) -> None:
    """Raise :class:`ChecksumError` (naming the file and the fix) if ``path`` is corrupt."""
    try:
        actual = sha256_of(path, decompress)
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise ChecksumError(
            f"{path} is truncated or unreadable ({error}). Delete it and load again to re-fetch it."
        ) from error
    if actual != expected_sha256:
        raise ChecksumError(
            f"{path} is corrupt or truncated: SHA-256 {actual[:12]}… does not match the published "
            f"{expected_sha256[:12]}…. Delete it and load again to re-fetch it."
        )


def network_available(url: str, timeout: float = 3.0) -> bool:
    """Quick check that the host of ``url`` resolves and accepts a connection."""
    parsed = urllib.parse.urlparse(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        with socket.create_connection((parsed.hostname, port), timeout=timeout):
            return True
    except OSError:
        return False


def download(url: str, destination: Path, expected_sha256: str | None = None,
             decompress_for_check: bool = False, timeout: float = 30.0, progress: bool = True) -> Path:
    """Download ``url`` to ``destination`` atomically (temp file + rename) and verify it.

    A failed or truncated transfer never leaves a partial file at ``destination``.
    """
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=destination.name + ".", suffix=".part",
                                         dir=destination.parent)
    temp_path = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            total = int(response.headers.get("Content-Length") or 0)
            received = 0
            for block in iter(lambda: response.read(CHUNK), b""):
                out.write(block)
                received += len(block)
                if progress and total:
                    print(f"\r  downloading {destination.name}: {received * 100 // total:3d}%", end="")
            if progress and total:
                print()
        if total and received != total:
            raise DownloadError(
                f"Download of {url} was truncated ({received} of {total} bytes). Try again."
            )
        if expected_sha256:
            try:
                verify(temp_path, expected_sha256, decompress_for_check)
            except ChecksumError as error:
                raise DownloadError(
                    f"What {url} sent does not match the published checksum of {destination.name}, "
                    f"so nothing was saved ({str(error).split(': ', 1)[-1].split('. Delete')[0]})."
                ) from error
        os.replace(temp_path, destination)
    except (urllib.error.URLError, OSError) as error:
        raise DownloadError(f"Could not download {url}: {error}") from error
    finally:
        temp_path.unlink(missing_ok=True)
    return destination
