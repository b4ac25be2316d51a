#!/usr/bin/env python3
"""End-to-end test of the dashboard and the metrics endpoint of `troupe supervisor`.

    python3 Tests/Dashboard/run.py [--bin .build/debug] [--screenshot PATH] [-v]

A real deployment on loopback, with CURVE keys: `troupe supervisor --dashboard 127.0.0.1:0
--metrics 127.0.0.1:0`, a node agent (`troupe worker --processes 2 -- distributed-pool`), the
`distributed-pool` client, and a Python peer (Tests/Conformance/troupe_peer.py) for shared
state, a malformed message and a refused key. The page is loaded once in headless Chromium,
driven over the DevTools protocol (Tests/Dashboard/chromium.py), and never reloaded.

Checks (one PASS/FAIL line each):
  (page)     the page loads, shows the 2 workers and 0 tasks from its first server-sent event;
             after the client's work, the same page shows the tasks done in total and per
             worker, the shared containers and their sizes, the refused connection and the
             rejected message: more events arrived, and the page did not reload
  (json)     /api/status has the fields of `troupe status --json`, with the same values
  (metrics)  /metrics parses as Prometheus text (a strict parser), with task counts equal to
             the work done, state operations, rejected messages and refused handshakes
  (restart)  a worker killed with SIGKILL mid-run: the page shows its replacement with 1
             restart and the lost worker's exit; the metrics count the client's successes and
             its workerLost failures exactly as the client saw them
  (stop)     `troupe stop` ends the supervisor and the agent with 0 while the page is open

Needs Chromium (Debian's `chromium`; `make deps` installs it) and pyzmq with msgpack. With
--screenshot, writes a PNG of the page as it was at the end.
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "Conformance"))

import prometheus_text  # noqa: E402
from chromium import Chromium, ChromiumError, find_chromium  # noqa: E402

HEARTBEAT_MS = 250
LIVENESS = 4
FIRST_TASKS = 300
SECOND_TASKS = 6000
# Fields that change between two readings taken a moment apart.
VOLATILE = {"lastHeardMilliseconds", "residentBytes", "tasksPerSecond", "activity", "clients"}


class CheckFailed(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise CheckFailed(message)


def eventually(condition, timeout, what):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = condition()
        if last:
            return last
        time.sleep(0.1)
    raise CheckFailed("timed out after %.0f s waiting for %s (last: %r)" % (timeout, what, last))


def http_get(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.headers, response.read().decode()


class Deployment:
    """Keys, a supervisor with a dashboard and metrics, a node agent of 2 workers."""

    def __init__(self, bin_dir, verbose):
        self.bin_dir = bin_dir
        self.verbose = verbose
        self.directory = tempfile.mkdtemp(prefix="troupe-dashboard-")
        self.keys = os.path.join(self.directory, "keys")
        os.makedirs(os.path.join(self.keys, "allow"))
        self.environment = dict(os.environ, TROUPE_HEARTBEAT_MS=str(HEARTBEAT_MS), TROUPE_LIVENESS=str(LIVENESS))
        self.processes = {}
        for name in ("supervisor", "worker", "client", "stranger"):
            self.run(["troupe", "keygen", "--out", os.path.join(self.keys, name)])
        for name in ("worker", "client"):
            shutil.copy(os.path.join(self.keys, name + ".pub"), os.path.join(self.keys, "allow"))

    def binary(self, name):
        return os.path.join(self.bin_dir, name)

    def run(self, arguments, timeout=120):
        result = subprocess.run([self.binary(arguments[0])] + arguments[1:], capture_output=True, text=True,
                                timeout=timeout, env=self.environment, cwd=self.directory)
        expect(result.returncode == 0, "%s failed (%d): %s%s" % (" ".join(arguments), result.returncode, result.stdout, result.stderr))
        return result.stdout

    def start(self, name, arguments, capture=True):
        """Starts a program; its standard output is read by the test when `capture`, else logged."""
        log = open(os.path.join(self.directory, name + ".log"), "w")
        process = subprocess.Popen([self.binary(arguments[0])] + arguments[1:], stdout=subprocess.PIPE if capture else log, stderr=log,
                                   text=True, env=self.environment, cwd=self.directory, start_new_session=True)
        self.processes[name] = process
        return process

    def key(self, name):
        with open(os.path.join(self.keys, name), encoding="ascii") as f:
            return f.read().strip()

    def client_keys(self, name):
        return ["--server-key", os.path.join(self.keys, "supervisor.pub"), "--key", os.path.join(self.keys, name + ".key")]

    def start_supervisor(self):
        process = self.start("supervisor", [
            "troupe", "supervisor", "--bind", "tcp://127.0.0.1:*", "--key", os.path.join(self.keys, "supervisor.key"),
            "--allow", os.path.join(self.keys, "allow"), "--dashboard", "127.0.0.1:0", "--metrics", "127.0.0.1:0"])
        lines = []
        found = {}
        patterns = {"endpoint": r"listening on (tcp://\S+)", "dashboard": r"dashboard on (http://\S+)",
                    "metrics": r"metrics on (http://\S+)"}
        reader = threading.Thread(target=lambda: lines.extend(iter(process.stdout.readline, "")), daemon=True)
        reader.start()
        eventually(lambda: process.poll() is not None or len(lines) >= 3, 30, "the supervisor's three 'listening' lines")
        for line in lines:
            for key, pattern in patterns.items():
                match = re.search(pattern, line)
                if match:
                    found[key] = match.group(1)
        expect(len(found) == 3, "the supervisor printed %r (exit %r)" % (lines, process.poll()))
        self.endpoint, self.dashboard, self.metrics = found["endpoint"], found["dashboard"], found["metrics"]
        self.supervisor_output = lines
        self.supervisor_reader = reader

    def start_agent(self):
        self.start("agent", ["troupe", "worker", "--connect", self.endpoint] + self.client_keys("worker")
                   + ["--processes", "2", "--", self.binary("distributed-pool")], capture=False)

    def status(self):
        return json.loads(self.run(["troupe", "status", "--connect", self.endpoint, "--json"] + self.client_keys("client")))

    def client(self, tasks):
        return self.start("client-%d" % tasks, ["distributed-pool", "--connect", self.endpoint] + self.client_keys("client")
                          + ["--tasks", str(tasks)])

    def stop_everything(self):
        for process in self.processes.values():
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait()


def client_outcome(process, tasks):
    """What the client saw: successes (the per-host lines) and failures by code."""
    output, _ = process.communicate(timeout=300)
    expect(process.returncode == 0 and "have done." in output, "the client failed (%r): %s" % (process.returncode, output))
    done = sum(int(n) for n in re.findall(r"^\S+: (\d+) tasks$", output, re.M))
    failed = {code: int(n) for code, n in re.findall(r"^failed \((\w+)\): (\d+) tasks$", output, re.M)}
    expect(done + sum(failed.values()) == tasks, "the client accounts for %d of %d tasks: %s" % (done + sum(failed.values()), tasks, output))
    return done, failed


def page_state(browser):
    return browser.evaluate("""(() => {
        const text = (id) => document.getElementById(id).textContent;
        const rows = (id) => [...document.querySelectorAll('#' + id + ' tr')].map((tr) => [...tr.cells].map((td) => td.textContent));
        return {updates: Number(document.body.dataset.updates), workers: text('summary-workers'),
                completed: text('summary-completed'), failed: text('summary-failed'), lost: text('summary-lost'),
                refused: text('summary-refused'), rejected: text('summary-rejected'), queued: text('summary-queued'),
                workerRows: rows('worker-rows'), containerRows: rows('container-rows'),
                marker: window.troupeTestMarker || null};
    })()""")


def strip(value):
    if isinstance(value, dict):
        return {k: strip(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [strip(v) for v in value]
    return value


def keys(value, path=""):
    """Every key path in a JSON value (list elements share their path)."""
    found = set()
    if isinstance(value, dict):
        for k, v in value.items():
            found.add(path + "." + k)
            found |= keys(v, path + "." + k)
    elif isinstance(value, list):
        for v in value:
            found |= keys(v, path + "[]")
    return found


def metrics(deployment):
    status, headers, text = http_get(deployment.metrics)
    expect(status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4"),
           "/metrics answered %d %s" % (status, headers["Content-Type"]))
    try:
        families = prometheus_text.parse(text)
    except prometheus_text.ParseError as error:
        raise CheckFailed("/metrics is not valid Prometheus text: %s\n%s" % (error, text))
    strangers = [name for name in families if not name.startswith("troupe_")]
    expect(not strangers, "metrics without the troupe_ prefix: %r" % strangers)
    return families


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", default=".build/debug")
    parser.add_argument("--screenshot")
    parser.add_argument("-v", "--verbose", action="store_true")
    options = parser.parse_args()
    prometheus_text.self_test()
    import zmq  # noqa: E402 (after the path set-up)
    from troupe_peer import P2_SIGNATURE, RETURN, STATE, Peer, pack

    chromium = find_chromium()
    if chromium is None:
        print("FAIL dashboard: no chromium on PATH (make deps installs Debian's chromium)")
        return 1
    deployment = Deployment(os.path.abspath(options.bin), options.verbose)
    context = zmq.Context()
    browser = None
    failures = 0
    results = []

    def check(name, body):
        nonlocal failures
        try:
            detail = body()
            results.append(("PASS", name, detail))
            print("PASS %s: %s" % (name, detail), flush=True)
        except (CheckFailed, ChromiumError, AssertionError, subprocess.TimeoutExpired) as error:
            failures += 1
            print("FAIL %s: %s" % (name, error), flush=True)
            raise

    try:
        deployment.start_supervisor()
        deployment.start_agent()
        eventually(lambda: len(deployment.status()["workers"]) == 2, 60, "2 workers in troupe status")
        browser = Chromium(chromium, width=1280, height=900, log_path=os.path.join(deployment.directory, "chromium.log"))
        supervisor_public = deployment.key("supervisor.pub")
        client = Peer(context, deployment.endpoint, identity="dashboard-test-client",
                      curve=(supervisor_public, deployment.key("client.pub"), deployment.key("client.key")))
        stranger = Peer(context, deployment.endpoint, identity="dashboard-test-stranger",
                        curve=(supervisor_public, deployment.key("stranger.pub"), deployment.key("stranger.key")))

        def state(call_id, container, operation, *arguments):
            client.send_envelopes([STATE, call_id, container, operation, list(arguments)])
            answer = client.receive_where(lambda m: m.protocol == 1, 5.0)
            expect(answer is not None and answer.envelopes[0][:2] == [RETURN, call_id], "%s %s: %r" % (operation, container, answer))

        def first_render():
            browser.open(deployment.dashboard)
            status, headers, _ = http_get(deployment.dashboard)
            policy = headers.get("Content-Security-Policy", "")
            expect("default-src 'none'" in policy and "script-src 'self'" in policy, "no strict Content-Security-Policy: %r" % policy)
            first = browser.wait_until(lambda: (lambda s: s if s["updates"] >= 1 else None)(page_state(browser)), 20,
                                       "the first server-sent event")
            expect(first["workers"] == "2" and first["completed"] == "0",
                   "the first event shows %s workers, %s completed" % (first["workers"], first["completed"]))
            browser.evaluate("window.troupeTestMarker = 'loaded once'")
            return first

        def live_update(first):
            state(1, "scores", "create", "dict", {"a": 1, "b": 2, "c": 3})
            state(2, "log", "create", "list")
            state(3, "log", "append", "started")
            state(4, "log", "append", "working")
            client.send_frames([P2_SIGNATURE, pack([127]), b""])      # an unknown command: rejected
            try:
                stranger.send_command(71, 1)                           # an unknown key: refused
            except zmq.Again:
                pass
            done, failed = client_outcome(deployment.client(FIRST_TASKS), FIRST_TASKS)
            expect(done == FIRST_TASKS and not failed, "the first run: %d done, failed %r" % (done, failed))

            def shows_everything():
                s = page_state(browser)
                per_worker = sum(int(row[3]) for row in s["workerRows"] if len(row) > 3)
                containers = sorted((row[0], row[1], row[2]) for row in s["containerRows"] if len(row) == 3)
                ok = (s["completed"] == str(FIRST_TASKS) and per_worker == FIRST_TASKS and s["workers"] == "2"
                      and containers == [("log", "list", "2"), ("scores", "dict", "3")]
                      and int(s["refused"]) >= 1 and s["rejected"] == "1")
                return s if ok else None
            final = browser.wait_until(shows_everything, 20, "the page to show %d tasks, the containers, 1 rejected, a refusal: %r"
                                       % (FIRST_TASKS, page_state(browser)))
            expect(final["updates"] > first["updates"], "no server-sent event after the first")
            expect(final["marker"] == "loaded once" and browser.navigations() == 1,
                   "the page reloaded (%d navigations)" % browser.navigations())
            expect(not browser.console_errors(), "script errors: %r" % browser.console_errors())
            return "first event: 2 workers, 0 tasks; %d events later, without a reload: %s tasks (%s), 2 containers, %s refused, 1 rejected" % (
                final["updates"] - first["updates"], final["completed"],
                " + ".join(row[3] for row in final["workerRows"]), final["refused"])

        def json_matches():
            def compare():
                cli = deployment.status()
                _, headers, body = http_get(deployment.dashboard + "api/status")
                api = json.loads(body)
                expect(headers["Content-Type"] == "application/json", "api/status is %s" % headers["Content-Type"])
                expect(keys(api) == keys(cli), "fields differ: only in api/status %r, only in troupe status %r"
                       % (sorted(keys(api) - keys(cli)), sorted(keys(cli) - keys(api))))
                return (strip(api), strip(cli)) if strip(api) == strip(cli) else None
            api, _ = eventually(compare, 15, "api/status and troupe status --json to agree")
            expect(api["completed"] == FIRST_TASKS and len(api["workers"]) == 2, "api/status: %r" % api)
            return "%d fields, equal values (but %s)" % (len(keys(api)), ", ".join(sorted(VOLATILE)))

        def metrics_match():
            families = eventually(lambda: (lambda f: f if prometheus_text.value(f, "troupe_workers_alive") == 2 else None)(metrics(deployment)),
                                  10, "troupe_workers_alive 2")
            status = deployment.status()
            v = lambda name, **labels: prometheus_text.value(families, name, **labels)
            expect(v("troupe_tasks_submitted_total") == FIRST_TASKS, "submitted %r" % v("troupe_tasks_submitted_total"))
            expect(v("troupe_tasks_completed_total") == FIRST_TASKS, "completed %r" % v("troupe_tasks_completed_total"))
            expect(prometheus_text.total(families, "troupe_tasks_failed_total") == 0, "failures counted")
            expect(v("troupe_task_duration_seconds_count") == FIRST_TASKS and v("troupe_task_duration_seconds_sum") > 0,
                   "latency histogram: count %r" % v("troupe_task_duration_seconds_count"))
            expect(v("troupe_tasks_queued") == 0 and v("troupe_tasks_running") == 0, "queue levels after the run")
            expect(families["troupe_task_duration_seconds"]["type"] == "histogram", "the latency is not a histogram")
            operations = {"create": 2, "append": 2}
            for operation, count in operations.items():
                expect(v("troupe_state_operations_total", operation=operation) == count,
                       "state operation %s: %r" % (operation, v("troupe_state_operations_total", operation=operation)))
            expect(v("troupe_messages_rejected_total", code="unknownKind") == status["rejected"].get("unknownKind") == 1,
                   "rejected: metrics %r, status %r" % (v("troupe_messages_rejected_total", code="unknownKind"), status["rejected"]))
            refused = prometheus_text.total(families, "troupe_handshakes_refused_total")
            expect(refused == status["unauthorized"] and v("troupe_handshakes_refused_total", reason="keyNotAllowed") >= 1,
                   "refused: metrics %r, status %r" % (refused, status["unauthorized"]))
            return "%d families; submitted = completed = latency count = %d; %d state operations; 1 rejected; %d refused" % (
                len(families), FIRST_TASKS, prometheus_text.total(families, "troupe_state_operations_total"), refused)

        def restart():
            before = deployment.status()
            victim = before["workers"][0]
            running = deployment.client(SECOND_TASKS)
            eventually(lambda: deployment.status()["completed"] >= FIRST_TASKS + 200, 60, "the second run to be under way")
            os.kill(victim["pid"], signal.SIGKILL)
            done, failed = client_outcome(running, SECOND_TASKS)
            expect(running.returncode == 0, "the client of the second run failed")

            def replaced():
                s = page_state(browser)
                rows = [row for row in s["workerRows"] if len(row) > 5 and row[4] == "1" and "pid %d lost" % victim["pid"] in row[5]]
                return s if rows and s["workers"] == "2" and s["lost"] == "1" else None
            shown = browser.wait_until(replaced, 30, "a replacement with 1 restart and pid %d's exit: %r" % (victim["pid"], page_state(browser)))
            expect(shown["failed"] == str(sum(failed.values())), "page failures %s, client %r" % (shown["failed"], failed))
            families = eventually(lambda: (lambda f: f if prometheus_text.value(f, "troupe_tasks_completed_total") == FIRST_TASKS + done else None)(metrics(deployment)),
                                  10, "troupe_tasks_completed_total %d" % (FIRST_TASKS + done))
            v = lambda name, **labels: prometheus_text.value(families, name, **labels)
            expect(v("troupe_tasks_submitted_total") == FIRST_TASKS + SECOND_TASKS, "submitted %r" % v("troupe_tasks_submitted_total"))
            counted = {labels[0][1]: n for (name, labels), n in families.get("troupe_tasks_failed_total", {"samples": {}})["samples"].items()}
            expect(counted == {code: float(n) for code, n in failed.items()}, "failures: metrics %r, client %r" % (counted, failed))
            expect(v("troupe_task_duration_seconds_count") == FIRST_TASKS + SECOND_TASKS, "latency count %r" % v("troupe_task_duration_seconds_count"))
            expect(v("troupe_workers_lost_total") == 1 and v("troupe_worker_restarts_total") == 1,
                   "lost %r, restarts %r" % (v("troupe_workers_lost_total"), v("troupe_worker_restarts_total")))
            status = deployment.status()
            expect(status["failed"] == failed and status["completed"] == FIRST_TASKS + done, "troupe status: %r" % status)
            return "pid %d killed: the page shows its replacement with 1 restart; %d done, failures %r, as the client saw" % (
                victim["pid"], done, failed)

        first = None

        def first_check():
            nonlocal first
            first = first_render()
            return "loaded; its first event shows 2 workers and 0 tasks"

        check("page loads", first_check)
        check("page live", lambda: live_update(first))
        check("json", json_matches)
        check("metrics", metrics_match)
        check("restart", restart)
        if options.screenshot:
            browser.screenshot(options.screenshot)
            print("screenshot: %s" % options.screenshot)

        def stop():
            deployment.run(["troupe", "stop", "--connect", deployment.endpoint] + deployment.client_keys("client"))
            supervisor, agent = deployment.processes["supervisor"], deployment.processes["agent"]
            supervisor.wait(timeout=30)
            agent.wait(timeout=30)
            expect(supervisor.returncode == 0 and agent.returncode == 0,
                   "exit codes: supervisor %r, agent %r" % (supervisor.returncode, agent.returncode))
            return "supervisor and agent exited with 0 while the page was open"
        check("stop", stop)
        client.close()
        stranger.close()
    except (CheckFailed, ChromiumError, AssertionError, subprocess.TimeoutExpired) as error:
        if failures == 0:
            print("FAIL setup: %s" % error)
            failures += 1
        for name in ("supervisor", "agent"):
            path = os.path.join(deployment.directory, name + ".log")
            if os.path.exists(path):
                print("--- %s.log (tail)\n%s" % (name, open(path).read()[-3000:]))
    finally:
        if browser is not None:
            browser.close()
        deployment.stop_everything()
        context.destroy(linger=0)
        if failures == 0 and not options.verbose:
            shutil.rmtree(deployment.directory, ignore_errors=True)
        else:
            print("logs: %s" % deployment.directory)
    print("%s: %d passed, %d failed" % ("ok" if failures == 0 else "FAILED", len(results), failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
