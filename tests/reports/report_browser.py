"""Headless Chromium for the page tests, driven over the DevTools protocol on a pipe (no Python
package, no network port), and axe-core (from the npm registry, installed by ``npm ci`` into
``a11y/node_modules`` from ``a11y/package-lock.json``) injected into the page for the
accessibility audit.

What must be installed: Debian's ``chromium`` (``apt-get install chromium``; ``.ci/run`` does)
and node with npm (``apt-get install nodejs npm``). ``SHALLOW_CHROMIUM`` may name another
Chrome or Chromium binary.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

A11Y = Path(__file__).parent / "a11y"
AXE = A11Y / "node_modules" / "axe-core" / "axe.min.js"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--no-default-browser-check", "--disable-extensions",
         "--hide-scrollbars", "--mute-audio", "--remote-debugging-pipe")


class MissingTool(RuntimeError):
    """A tool the browser tests need is not installed (the message says what to install)."""


def chromium_path() -> str:
    for candidate in (os.environ.get("SHALLOW_CHROMIUM", ""), "chromium", "chromium-browser",
                      "google-chrome", "google-chrome-stable"):
        found = candidate and shutil.which(candidate)
        if found:
            return found
    raise MissingTool("the browser tests need Chromium: install Debian's `chromium` package "
                      "(apt-get install chromium; .ci/run does) or set SHALLOW_CHROMIUM to a "
                      "Chrome or Chromium binary")


def _installed_version():
    try:
        return json.loads((AXE.parent / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None


def _locked_version():
    lock = json.loads((A11Y / "package-lock.json").read_text())
    return lock["packages"]["node_modules/axe-core"]["version"]


def axe_source() -> str:
    """axe-core's script, installed with ``npm ci`` first when missing or not the locked one."""
    if _installed_version() != _locked_version() or not AXE.is_file():
        npm = shutil.which("npm")
        if npm is None:
            raise MissingTool("the accessibility audit needs npm to install axe-core: install "
                              "node and npm (apt-get install nodejs npm), then run "
                              f"`npm ci --prefix {A11Y}` (make test does)")
        run = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                             cwd=A11Y, capture_output=True, text=True, timeout=300)
        if run.returncode != 0 or _installed_version() != _locked_version():
            raise MissingTool(f"`npm ci` in {A11Y} failed (exit {run.returncode}): "
                              f"{(run.stderr or run.stdout).strip()[-800:]}")
    return AXE.read_text(encoding="utf-8")


class Browser:
    """One headless Chromium with a fresh profile. Chromium reads DevTools commands on fd 3
    and writes answers on fd 4, each a JSON message ended by NUL."""

    def __init__(self, executable):
        self.profile = Path(tempfile.mkdtemp(prefix="shallow-chromium-"))
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def on_fds_3_and_4():  # in the child, before exec
            # Copies above 9 first: a copy landing on 3 or 4 itself would keep close-on-exec.
            read_end = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10)
            write_end = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)
            os.dup2(read_end, 3)  # dup2 makes 3 and 4 inheritable
            os.dup2(write_end, 4)

        self._log = open(self.profile / "chromium.log", "w+b")  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={self.profile / 'profile'}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
            preexec_fn=on_fds_3_and_4, close_fds=False, start_new_session=True)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next_id = 0
        self.events = []

    def _read_message(self, deadline):
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._from_chrome], [], [], max(0.0, left))
            if not ready:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._from_chrome, 1 << 20)
            if not chunk:
                self._log.seek(0)
                tail = self._log.read().decode(errors="replace")[-1500:]
                raise RuntimeError(f"Chromium closed the DevTools pipe; its log ends:\n{tail}")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method, params=None, session=None, timeout=30.0):
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def _wait_for(self, method, session, timeout=30.0):
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events:
                if event["method"] == method and event.get("sessionId") == session:
                    return event
            self.events.append(self._read_message(deadline))

    def _drain(self, seconds):
        deadline = time.monotonic() + seconds
        try:
            while True:
                self.events.append(self._read_message(deadline))
        except TimeoutError:
            pass

    def open(self, path, *, width=1200, height=1600):
        """A Page for ``path`` or a ``file:`` URL (loaded: its load event fired)."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget",
                            {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable", session=session)
        self.call("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            session=session)
        url = path if str(path).startswith("file:") else Path(path).resolve().as_uri()
        self.call("Page.navigate", {"url": url}, session=session)
        self._wait_for("Page.loadEventFired", session)
        return Page(self, target, session)

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except (OSError, RuntimeError, TimeoutError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # the session this browser started
            self.process.wait()
        for fd in (self._to_chrome, self._from_chrome):
            os.close(fd)
        self._log.close()
        shutil.rmtree(self.profile, ignore_errors=True)


class Page:
    def __init__(self, browser, target, session):
        self.browser, self.target, self.session = browser, target, session

    def evaluate(self, expression, *, timeout=30.0):
        reply = self.browser.call("Runtime.evaluate", {
            "expression": expression, "awaitPromise": True, "returnByValue": True},
            session=self.session, timeout=timeout)
        if "exceptionDetails" in reply:
            raise RuntimeError(f"in the page: {reply['exceptionDetails'].get('text')} "
                               f"{reply['exceptionDetails'].get('exception', {})}")
        return reply["result"].get("value")

    def key(self, key, code=None, keycode=13):
        """Press and release a key in the focused element (a real keyboard event)."""
        for kind in ("keyDown", "keyUp"):
            self.browser.call("Input.dispatchKeyEvent", {
                "type": kind, "key": key, "code": code or key, "windowsVirtualKeyCode": keycode,
                "text": "\r" if key == "Enter" and kind == "keyDown" else ""},
                session=self.session)

    def checks(self):
        """Images (decoded or not), console and CSP errors, and the layout's width."""
        images = self.evaluate(
            "Promise.all(Array.from(document.images, img => img.decode()"
            ".then(() => true, () => false).then(decoded => ({decoded,"
            " complete: img.complete, width: img.naturalWidth,"
            " height: img.naturalHeight, alt: img.alt}))))")
        layout = self.evaluate("({scroll: document.documentElement.scrollWidth,"
                               " view: window.innerWidth, title: document.title})")
        self.browser._drain(0.3)
        return {"images": images, "errors": self.errors(), **layout}

    def errors(self):
        errors = []
        for event in self.browser.events:
            if event.get("sessionId") != self.session:
                continue
            params = event.get("params", {})
            if event["method"] == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                errors.append(details.get("exception", {}).get("description")
                              or details.get("text"))
            elif event["method"] == "Runtime.consoleAPICalled" and \
                    params.get("type") in ("error", "assert"):
                errors.append(" ".join(str(a.get("value", a.get("description")))
                                       for a in params.get("args", [])))
            elif event["method"] == "Log.entryAdded" and params["entry"]["level"] == "error":
                errors.append(params["entry"]["text"])
        return errors

    def audit(self, axe):
        """axe-core's violations on the page (every WCAG 2.x A/AA rule and best practices)."""
        self.evaluate(axe + "\n;true", timeout=60)
        return self.evaluate(
            "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa',"
            " 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}, resultTypes: ['violations']})"
            ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ': '"
            " + n.failureSummary)})))", timeout=120)

    def close(self):
        self.browser.call("Target.closeTarget", {"targetId": self.target})
