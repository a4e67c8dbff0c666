"""Helpers for the browser test: Debian's Chromium, a private JupyterLab server, and UI actions.

Used by ``tests/test_browser_lab.py``. Nothing here downloads a browser: Playwright drives the
system Chromium (``/usr/bin/chromium``), installed with ``apt-get`` when missing and possible.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
#: Flags needed on the course's build machines (closed network, root, no GPU); harmless elsewhere.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STDERR_OUTPUT = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'

#: JupyterLab user settings for the test server: no autosave (the notebook must never be written),
#: no news or update checks (no internet), every cell kept in the DOM (no virtual windowing).
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


def ensure_chromium(timeout: float = 900) -> tuple[str | None, str]:
    """Return ``(path, note)``: the Chromium to drive, or ``(None, reason)`` when none can be had.

    Installs Debian's ``chromium`` package when it is missing and we are root with apt-get.
    """
    if CHROMIUM.exists():
        return str(CHROMIUM), "found"
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None, f"{CHROMIUM} is missing and the test is not running as root, so it cannot apt-get it"
    if shutil.which("apt-get") is None:
        return None, f"{CHROMIUM} is missing and apt-get is not available to install it"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
            if done.returncode != 0:
                tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
                return None, f"`{' '.join(command)}` failed: {' | '.join(tail)}"
    except subprocess.TimeoutExpired:
        return None, f"installing Debian's chromium took longer than {timeout:.0f} s"
    if not CHROMIUM.exists():
        return None, f"apt-get installed chromium but {CHROMIUM} is still missing"
    return str(CHROMIUM), "installed with apt-get"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LabServer:
    """``jupyter lab`` on 127.0.0.1 with a random token, its state kept in a temporary folder."""

    def __init__(self, notebook_dir: Path, state_dir: Path, env: dict[str, str] | None = None):
        self.notebook_dir = Path(notebook_dir)
        self.state_dir = Path(state_dir)
        self.token = secrets.token_hex(16)
        self.port = free_port()
        self.extra_env = env or {}
        self.process: subprocess.Popen | None = None
        self.log_path = self.state_dir / "jupyter-lab.log"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        """Address of a notebook (relative to the notebook folder) in the Lab UI, with the token.

        Each notebook gets a workspace of its own, so no tab of an earlier notebook is restored.
        """
        workspace = "".join(c if c.isalnum() else "-" for c in Path(path).stem)
        return f"{self.base_url}/lab/workspaces/{workspace}/tree/{path}?token={self.token}"

    def _write_settings(self) -> Path:
        settings = self.state_dir / "lab-settings"
        for relative, values in LAB_SETTINGS.items():
            target = settings / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(values), encoding="utf-8")
        return settings

    def start(self, timeout: float = 90) -> LabServer:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "JUPYTERLAB_SETTINGS_DIR": str(self._write_settings()),
            "JUPYTERLAB_WORKSPACES_DIR": str(self.state_dir / "workspaces"),
            "JUPYTER_RUNTIME_DIR": str(self.state_dir / "runtime"),
            **self.extra_env,
        }
        env.pop("MPLBACKEND", None)  # let the kernel use the inline backend, as a student's does
        command = [
            sys.executable, "-m", "jupyter", "lab", "--no-browser",
            f"--IdentityProvider.token={self.token}", f"--port={self.port}", "--ServerApp.ip=127.0.0.1",
            "--ServerApp.port_retries=0", f"--notebook-dir={self.notebook_dir}",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")  # CI and the build machines run as root
        log = self.log_path.open("w", encoding="utf-8")
        self.process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                                        cwd=self.notebook_dir, start_new_session=True)
        deadline = time.monotonic() + timeout
        status = f"{self.base_url}/api/status?token={self.token}"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(status, timeout=2) as answer:
                    if answer.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"jupyter lab did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(encoding="utf-8").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop the server (it shuts its kernels down); kill it if it does not stop in time."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def __enter__(self) -> LabServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# --------------------------------------------------------------------------- UI actions (Playwright)

def open_notebook(page, server: LabServer, name: str, timeout: float = 90) -> None:
    """Open ``name`` in JupyterLab and wait until its kernel is idle."""
    page.goto(server.url(name), wait_until="domcontentloaded", timeout=timeout * 1000)
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=timeout * 1000)
    wait_for_kernel_idle(page, timeout)


def kernel_status(page) -> str:
    """The kernel status of the active notebook, lower case ('idle', 'busy', 'connecting', …).

    Read from the status bar ("Python 3 (ipykernel) | Idle"); the toolbar's execution indicator
    says 'idle' before the kernel has even started, so it only counts when the status bar agrees.
    """
    return page.evaluate(
        """() => {
            const bar = document.querySelector('#jp-main-statusbar');
            const match = bar && /\\|\\s*([A-Za-z]+)/.exec(bar.innerText);
            if (!match || /No Kernel/.test(bar.innerText)) { return ''; }
            const status = match[1].toLowerCase();
            const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
            const indicator = panel && panel.querySelector('.jp-Notebook-ExecutionIndicator');
            const busy = indicator && indicator.getAttribute('data-status') !== 'idle';
            return status === 'idle' && busy ? indicator.getAttribute('data-status') : status;
        }"""
    )


def wait_for_kernel_idle(page, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if kernel_status(page) == "idle":
            return
        page.wait_for_timeout(250)
    raise TimeoutError(f"kernel not idle after {timeout:.0f} s (status {kernel_status(page)!r})")


def prompts(page) -> list[str]:
    """The input prompts of the visible notebook's code cells: '[3]:', '[*]:' or '[ ]:'."""
    return page.evaluate(
        """() => {
            const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
            return Array.from(panel.querySelectorAll('.jp-CodeCell .jp-InputPrompt'))
                .map(el => el.textContent.trim());
        }"""
    )


def run_all_cells(page, timeout: float) -> float:
    """Run → Run All Cells from the menu bar; wait until no cell is queued or running.

    Returns the seconds it took. Raises ``TimeoutError`` when cells are still running at ``timeout``.
    """
    started = time.monotonic()
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).first.click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).first.click()
    deadline = started + timeout
    settled = 0
    while time.monotonic() < deadline:
        page.wait_for_timeout(500)
        shown = prompts(page)
        ran = any(p[1:-2].strip().isdigit() for p in shown)
        busy = any("*" in p for p in shown) or kernel_status(page) != "idle"
        settled = settled + 1 if ran and not busy else 0
        if settled >= 3:  # 1.5 s with nothing queued, running or busy
            return time.monotonic() - started
    raise TimeoutError(f"cells still running after {timeout:.0f} s: prompts {prompts(page)}")


def error_outputs(page) -> list[str]:
    """Text of every error output (a traceback) or stderr output that holds a traceback."""
    return page.evaluate(
        """(selector) => {
            const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
            return Array.from(panel.querySelectorAll(selector))
                .map(el => el.innerText)
                .filter(text => /Traceback|Error:|Exception:/.test(text));
        }""",
        STDERR_OUTPUT,
    )


def output_texts(page) -> list[str]:
    """innerText of every output of the visible notebook."""
    return page.evaluate(
        """() => {
            const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
            return Array.from(panel.querySelectorAll('.jp-OutputArea-output')).map(el => el.innerText);
        }"""
    )


def widget_output_state(page) -> str:
    """What the widgets' Output areas show: their text plus a short digest of each image.

    The controls themselves (a slider's read-out, say) are left out, so a change here means the
    explorer redrew its result.
    """
    return page.evaluate(
        """() => {
            const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
            const parts = [];
            for (const out of panel.querySelectorAll('.widget-output, .jupyter-widgets-output-area')) {
                parts.push(out.innerText);
                for (const img of out.querySelectorAll('img')) {
                    const src = img.getAttribute('src') || '';
                    let h = 0;
                    for (let i = 0; i < src.length; i += 7) { h = (h * 31 + src.charCodeAt(i)) | 0; }
                    parts.push(`img:${src.length}:${h}`);
                }
                for (const svg of out.querySelectorAll('svg')) { parts.push(`svg:${svg.outerHTML.length}`); }
                for (const canvas of out.querySelectorAll('canvas')) {
                    parts.push(`canvas:${canvas.toDataURL().length}`);
                }
            }
            return parts.join('\\n');
        }"""
    )


def move_a_control(page) -> str:
    """Change the first interactive control of the explorer the way a student would.

    Tries, in order: a slider (keyboard on its handle), a drop-down (pick another option),
    toggle buttons (click one that is not selected). Returns what it did.
    """
    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    handle = panel.locator(".widget-slider .noUi-handle, .widget-slider .ui-slider-handle").first
    if handle.count():
        handle.scroll_into_view_if_needed()
        handle.focus()
        for _ in range(3):
            handle.press("ArrowRight")
            page.wait_for_timeout(100)
        handle.blur()
        return "pressed → three times on the first slider"
    select = panel.locator(".widget-dropdown select").first
    if select.count():
        options = select.locator("option").all_inner_texts()
        current = select.evaluate("el => el.options[el.selectedIndex].text")
        other = next(text for text in options if text != current)
        select.select_option(label=other)
        return f"chose {other!r} instead of {current!r} in the first drop-down"
    toggle = panel.locator(".widget-toggle-buttons button:not(.mod-active)").first
    if toggle.count():
        label = toggle.inner_text()
        toggle.click()
        return f"clicked toggle button {label!r}"
    raise AssertionError("no slider, drop-down or toggle button found in the notebook's widgets")
