"""Headless Chromium driven over the DevTools protocol, with the standard library only.

Chromium is started with --remote-debugging-pipe: it reads protocol commands from file
descriptor 3 and writes answers and events to descriptor 4, each message a JSON text ended
by a NUL byte. Nothing listens on a port.
"""

import base64
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time


class ChromiumError(Exception):
    pass


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Chromium:
    """One headless browser, and one page in it (see `open`)."""

    def __init__(self, binary, width=1280, height=1000, log_path=None):
        self.profile = tempfile.mkdtemp(prefix="troupe-chromium-")
        self.log = open(log_path or os.path.join(self.profile, "chromium.log"), "wb")
        commands_read, self._commands = os.pipe()
        self._answers, answers_write = os.pipe()
        arguments = [binary, "--headless", "--remote-debugging-pipe", "--disable-gpu", "--no-first-run",
                     "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
                     "--disable-sync", "--mute-audio", "--hide-scrollbars", "--window-size=%d,%d" % (width, height),
                     "--user-data-dir=" + self.profile, "about:blank"]
        if os.geteuid() == 0:
            arguments.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
        # The shell puts the pipe ends at the descriptors Chromium expects.
        self.process = subprocess.Popen(
            ["sh", "-c", 'exec "$@" 3<&%d 4>&%d' % (commands_read, answers_write), "sh"] + arguments,
            pass_fds=(commands_read, answers_write), stdout=self.log, stderr=self.log, start_new_session=True)
        os.close(commands_read)
        os.close(answers_write)
        self.width, self.height = width, height
        self._next_id = 0
        self._results = {}
        self.events = []
        self._condition = threading.Condition()
        self._closed = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.session = None

    # The protocol

    def _read(self):
        buffer = b""
        while True:
            try:
                chunk = os.read(self._answers, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                with self._condition:
                    self._closed = True
                    self._condition.notify_all()
                return
            buffer += chunk
            while b"\0" in buffer:
                raw, buffer = buffer.split(b"\0", 1)
                message = json.loads(raw)
                with self._condition:
                    if "id" in message:
                        self._results[message["id"]] = message
                    else:
                        self.events.append(message)
                    self._condition.notify_all()

    def send(self, method, params=None, session=True, timeout=30.0):
        """Sends a command (to the page's session unless `session` is False); returns its result."""
        with self._condition:
            self._next_id += 1
            identifier = self._next_id
        message = {"id": identifier, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        with self._condition:
            while identifier not in self._results:
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    raise ChromiumError("%s: no answer from Chromium%s" % (method, " (it exited)" if self._closed else ""))
                self._condition.wait(left)
            answer = self._results.pop(identifier)
        if "error" in answer:
            raise ChromiumError("%s: %s" % (method, answer["error"]))
        return answer.get("result", {})

    # The page

    def open(self, url):
        """Opens `url` in a new page of the given size, and waits for its load event."""
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True}, session=False)["sessionId"]
        self.send("Page.enable")
        self.send("Runtime.enable")
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": self.width, "height": self.height, "deviceScaleFactor": 1, "mobile": False})
        loads = self.count_events("Page.loadEventFired")
        self.send("Page.navigate", {"url": url})
        self.wait_until(lambda: self.count_events("Page.loadEventFired") > loads, 30, "the page's load event")

    def count_events(self, method):
        with self._condition:
            return sum(1 for event in self.events if event.get("method") == method and event.get("sessionId") == self.session)

    def navigations(self):
        """How many times the page's main frame navigated (a reload counts once more)."""
        with self._condition:
            return sum(1 for event in self.events
                       if event.get("method") == "Page.frameNavigated" and event.get("sessionId") == self.session
                       and "parentId" not in event["params"]["frame"])

    def evaluate(self, expression):
        """The value of a JavaScript expression in the page (JSON-serialisable)."""
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise ChromiumError("%s: %s" % (expression, result["exceptionDetails"].get("text")))
        return result["result"].get("value")

    def wait_until(self, condition, timeout, what):
        """Waits until `condition()` is true; raises ChromiumError naming `what` otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() > deadline:
                raise ChromiumError("timed out after %.0f s waiting for %s" % (timeout, what))
            time.sleep(0.1)

    def console_errors(self):
        with self._condition:
            return [event["params"] for event in self.events
                    if event.get("method") == "Runtime.exceptionThrown" and event.get("sessionId") == self.session]

    def screenshot(self, path):
        """Writes a PNG of the whole page."""
        height = int(self.evaluate("Math.ceil(document.documentElement.scrollHeight)"))
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": self.width, "height": max(self.height, height), "deviceScaleFactor": 1, "mobile": False})
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.send("Browser.close", session=False, timeout=5)
        except ChromiumError:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        for descriptor in (self._commands, self._answers):
            try:
                os.close(descriptor)
            except OSError:
                pass
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)
