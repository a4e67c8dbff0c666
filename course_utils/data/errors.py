"""Errors raised by the data loaders; every message names the problem and the fix."""


class DataError(Exception):
    """A dataset could not be loaded; the message says why and what to do."""


class ChecksumError(DataError):
    """A file's content does not match its published checksum."""


class DownloadError(DataError):
    """A download failed (no network, server error, or truncated transfer)."""
