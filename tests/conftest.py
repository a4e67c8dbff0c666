"""Shared fixtures: an isolated data cache and a local HTTP server standing in for dataset hosts."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import pytest

from course_utils.data import loaders


@pytest.fixture
def data_cache(tmp_path, monkeypatch) -> Path:
    """An empty dataset cache (COURSE_DATA_DIR) and a cleared in-memory cache."""
    folder = tmp_path / "data"
    monkeypatch.setenv("COURSE_DATA_DIR", str(folder))
    monkeypatch.setattr(loaders, "_MEMORY", {})
    return folder


class _Handler(http.server.SimpleHTTPRequestHandler):
    truncate: set[str] = set()

    def log_message(self, *args):
        pass

    def do_GET(self):
        name = self.path.lstrip("/")
        if name in self.truncate:
            payload = (Path(self.directory) / name).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload[: len(payload) // 2])  # the connection drops half-way
            return
        super().do_GET()


@pytest.fixture
def file_server(tmp_path):
    """Serve ``tmp_path/served`` on 127.0.0.1; yields (base_url, folder, truncate_set)."""
    folder = tmp_path / "served"
    folder.mkdir()
    truncate: set[str] = set()
    handler = type("Handler", (_Handler,), {"truncate": truncate})

    def factory(*args, **kwargs):
        return handler(*args, directory=str(folder), **kwargs)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), factory)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", folder, truncate
    server.shutdown()
