#!/usr/bin/env python3
"""Protocol conformance checks: a peer written in Python from Protocols/*.md alone takes part
with the real Troupe binaries (`troupe` and the `distributed-pool` example).

    python3 Tests/Conformance/run_all.py [--bin .build/debug] [--only NAME] [--verbose]

Prints one line per check and exits non-zero when any fails. Every process it starts is
stopped before it exits, even on failure.
"""

import argparse
import atexit
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

import zmq

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PROTOCOLS = os.path.join(ROOT, "Protocols")
sys.path.insert(0, HERE)

from troupe_peer import (  # noqa: E402
    BATCH, CREDIT, STARTED, CALL, CANCEL, DISCONNECT, DONE, ERROR, HEARTBEAT, P1_SIGNATURE, P2_SIGNATURE, READY, REJECT, REPLY, REQUEST,
    RETURN, STATE, STATUS, STATUS_QUERY, STOP, THROW, Peer, array_header, pack, strict_equal, unpack, unpack_body,
)

SERVICE = "distributed_pool.Collatz"
CHECK_TIMEOUT = 90  # seconds: a check that takes longer fails instead of hanging the run


class CheckFailed(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise CheckFailed(message)


# ---------------------------------------------------------------------------------------------
# Processes

class Processes:
    """Every process this run starts, each in its own process group, with its output in a file."""

    def __init__(self, directory):
        self.directory = directory
        self.running = []
        self.count = 0

    def start(self, name, argv, env=None):
        self.count += 1
        path = os.path.join(self.directory, "%02d-%s.log" % (self.count, name))
        log = open(path, "wb")
        environment = {k: v for k, v in os.environ.items() if not k.startswith("TROUPE_")}
        environment.update(env or {})
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   env=environment, start_new_session=True)
        process.log_path = path
        process.label = name
        log.close()
        self.running.append(process)
        return process

    @staticmethod
    def output(process):
        with open(process.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self, process, grace=3.0):
        """SIGTERM to the process's group, then SIGKILL after `grace` seconds."""
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        # The group may outlive its leader (a node agent's workers).
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        if process in self.running:
            self.running.remove(process)

    def stop_all(self):
        for process in list(self.running):
            self.stop(process, grace=1.0)


class Run:
    def __init__(self, bin_dir, verbose):
        self.bin_dir = bin_dir
        self.verbose = verbose
        self.directory = tempfile.mkdtemp(prefix="troupe-conformance-")
        self.processes = Processes(self.directory)
        self.context = zmq.Context()
        self.random = random.Random()

    def binary(self, name):
        return os.path.join(self.bin_dir, name)

    def close(self):
        self.processes.stop_all()
        self.context.destroy(linger=0)

    def free_port(self):
        for _ in range(50):
            port = self.random.randint(20000, 60000)
            probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                probe.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
            finally:
                probe.close()
        raise CheckFailed("found no free TCP port")

    def start_supervisor(self, extra=(), env=None, curve=None):
        """Starts `troupe supervisor` on a free port; returns (process, endpoint) once it answers
        a STATUS-QUERY. Retries on another port when the first cannot be bound."""
        for attempt in range(5):
            endpoint = "tcp://127.0.0.1:%d" % self.free_port()
            process = self.processes.start("supervisor", [self.binary("troupe"), "supervisor", "--bind", endpoint] + list(extra), env)
            peer = Peer(self.context, endpoint, identity="conformance-probe-%d" % self.random.randint(0, 10**9), curve=curve)
            try:
                deadline = time.monotonic() + 15
                query = 0
                while time.monotonic() < deadline and process.poll() is None:
                    query += 1
                    if peer.status(query, timeout=0.5) is not None:
                        peer.send_command(DISCONNECT, "probe done")
                        return process, endpoint
            finally:
                peer.close()
            output = Processes.output(process)
            self.processes.stop(process)
            if "cannot listen" not in output and "Address already in use" not in output:
                raise CheckFailed("the supervisor did not answer a STATUS-QUERY: %s" % output[-800:])
        raise CheckFailed("could not start a supervisor on a free port")


# ---------------------------------------------------------------------------------------------
# Check 1: STATUS lists a worker started by `troupe worker`

STATUS_KEYS = {"endpoint": str, "phase": str, "secure": bool, "workers": list, "queued": dict, "running": int,
               "completed": int, "clients": int, "workersLost": int, "rejected": dict, "unauthorized": int, "refusedKeys": int}
WORKER_KEYS = {"node": str, "pid": int, "host": str, "address": str, "services": list, "state": str,
               "tasksDone": int, "lastHeardMilliseconds": int}


def check_status_shape(status):
    for key, kind in STATUS_KEYS.items():
        expect(key in status, "STATUS lacks %r: %r" % (key, status))
        expect(isinstance(status[key], kind) and not (kind is int and isinstance(status[key], bool)),
               "STATUS %r is %r, not %s" % (key, status[key], kind.__name__))
    for worker in status["workers"]:
        for key, kind in WORKER_KEYS.items():
            expect(key in worker, "a STATUS worker lacks %r: %r" % (key, worker))
            expect(isinstance(worker[key], kind), "STATUS worker %r is %r" % (key, worker[key]))
        expect(worker["state"] in ("idle", "busy"), "worker state %r" % worker["state"])
    expect(status["phase"] in ("running", "closing"), "phase %r" % status["phase"])


def check_status(run):
    supervisor, endpoint = run.start_supervisor(["--insecure"])
    agent = run.processes.start("troupe-worker", [run.binary("troupe"), "worker", "--connect", endpoint, "--insecure",
                                                  "--", run.binary("distributed-pool")])
    peer = Peer(run.context, endpoint, identity="conformance-status")
    try:
        deadline = time.monotonic() + 30
        status, query, listed = None, 0, []
        while time.monotonic() < deadline:
            query += 1
            status = peer.status(query, timeout=2)
            expect(status is not None, "no STATUS for STATUS-QUERY %d" % query)
            listed = [w for w in status["workers"] if SERVICE in w["services"]]
            if listed:
                break
            expect(agent.poll() is None, "troupe worker exited: %s" % Processes.output(agent)[-800:])
            time.sleep(0.2)
        expect(listed, "no worker serving %s in STATUS after 30 s: %r" % (SERVICE, status))
        check_status_shape(status)
        worker = listed[0]
        expect(status["endpoint"] == endpoint, "STATUS endpoint %r, not %r" % (status["endpoint"], endpoint))
        expect(status["secure"] is False, "an --insecure supervisor says secure")
        # The spec allows `unknown` when the supervisor cannot tell the address.
        expect(worker["address"] in ("127.0.0.1", "unknown"), "worker address %r" % worker["address"])
        expect(worker["host"] == socket.gethostname(), "worker host %r, not %r" % (worker["host"], socket.gethostname()))
        agent_log = Processes.output(agent)
        expect("(pid %d)" % worker["pid"] in agent_log, "the agent did not start pid %d: %s" % (worker["pid"], agent_log[-400:]))
        # A peer that only asks for the status is not a client (2/SUPERVISION, STATUS `clients`).
        expect(status["clients"] == 0, "a peer that only asked for the status is counted as a client: %r" % status["clients"])
        peer.send_command(DISCONNECT, "done")
        return "worker %s (pid %d, address %s) serving %s listed" % (worker["node"], worker["pid"], worker["address"], SERVICE)
    finally:
        peer.close()
        run.processes.stop(agent)
        run.processes.stop(supervisor)


# ---------------------------------------------------------------------------------------------
# Check 2: a Python worker serves a real Swift client

def collatz_steps(number):
    steps = 0
    while number > 1:
        number = number // 2 if number % 2 == 0 else 3 * number + 1
        steps += 1
    return steps


def check_python_worker(run):
    interval = 0.3           # TROUPE_HEARTBEAT_MS for every process of this deployment
    liveness = 3
    env = {"TROUPE_HEARTBEAT_MS": str(int(interval * 1000)), "TROUPE_LIVENESS": str(liveness)}
    supervisor, endpoint = run.start_supervisor(["--insecure"], env=env)
    host = "py-conformance-%06d" % run.random.randint(0, 999999)
    node = "%s-%d-py" % (host, os.getpid())
    worker = Peer(run.context, endpoint, identity=node)
    silent = Peer(run.context, endpoint, identity=node + "-silent")
    observer = Peer(run.context, endpoint, identity="conformance-observer")
    client = None
    try:
        worker.send_command(READY, node, os.getpid(), [SERVICE], host)
        # A second worker that never sends a heartbeat: the supervisor must drop it.
        silent.send_command(READY, node + "-silent", os.getpid(), ["conformance.Unused"], host)
        time.sleep(0.1)
        status = observer.status(1)
        expect(status is not None and any(w["node"] == node for w in status["workers"]),
               "the Python worker is not listed after READY: %r" % status)

        # Idle for twice the liveness limit: only HEARTBEATs keep the worker registered.
        idle_until = time.monotonic() + 2 * interval * liveness
        while time.monotonic() < idle_until:
            worker.heartbeat_if_due(interval)
            message = worker.receive(interval / 3)
            expect(message is None, "an idle worker received %r" % message)
        status = observer.status(2)
        expect(status is not None and any(w["node"] == node for w in status["workers"]),
               "the Python worker was dropped while idle and heartbeating: %r" % status)

        client = run.processes.start("distributed-pool-client", [run.binary("distributed-pool"), "--connect", endpoint,
                                                                 "--insecure", "--tasks", "20"], env)
        served, cancels, numbers = 0, 0, set()
        deadline = time.monotonic() + 40
        while client.poll() is None and time.monotonic() < deadline:
            worker.heartbeat_if_due(interval)
            expect(time.monotonic() - worker.last_heard < interval * liveness + 1,
                   "the supervisor went silent for more than %.1f s" % (interval * liveness))
            message = worker.receive(interval / 3)
            if message is None:
                continue
            expect(message.protocol == 2, "the worker received %r" % message)
            command = message.command
            if command[0] == REQUEST:
                request_id, service, flags = command[1], command[2], command[3]
                expect(service == SERVICE, "REQUEST for %r" % service)
                envelopes = unpack_body(message.payload)
                # Six elements, or seven with the caller's trace context (1/ENVELOPE, "CALL").
                expect(len(envelopes) == 1 and envelopes[0][0] == CALL and len(envelopes[0]) in (6, 7),
                       "a REQUEST payload is one CALL: %r" % envelopes)
                _, call_id, _actor, target, generics, args = envelopes[0][:6]
                expect(generics == [] and len(args) == 1 and isinstance(args[0], int), "CALL %r" % envelopes[0])
                number = args[0]
                numbers.add(number)
                # Hold the first request longer than the liveness limit, heartbeating meanwhile:
                # a worker that stops heartbeating while it works loses its request.
                hold_until = time.monotonic() + (1.5 * interval * liveness if served == 0 else 0.02)
                while time.monotonic() < hold_until:
                    worker.heartbeat_if_due(interval)
                    time.sleep(min(0.05, max(0.0, hold_until - time.monotonic())))
                report = {"number": number, "steps": collatz_steps(number), "host": host, "pid": os.getpid()}
                worker.send_command(REPLY, request_id, True, payload=pack([RETURN, call_id, report]))
                served += 1
            elif command[0] == CANCEL:
                cancels += 1
            elif command[0] == DISCONNECT:
                raise CheckFailed("the supervisor told the Python worker to leave: %r" % command)
            else:
                raise CheckFailed("unexpected command for a worker: %r" % message)
        expect(client.poll() is not None, "the Swift client did not finish within 40 s: %s" % Processes.output(client)[-800:])
        output = Processes.output(client)
        expect(client.returncode == 0, "the Swift client exited with %s: %s" % (client.returncode, output[-800:]))
        expect("%s: 20 tasks" % host in output, "the client's output does not show %s for 20 tasks:\n%s" % (host, output))
        expect("failed" not in output, "the client reports failures:\n%s" % output)
        expect(served == 20 and numbers == set(range(1, 21)) and cancels == 0,
               "served %d requests (numbers %r, %d cancels)" % (served, sorted(numbers), cancels))
        expect(worker.heartbeats_received >= 2, "the supervisor sent the worker %d heartbeats" % worker.heartbeats_received)

        status = observer.status(3)
        expect(status is not None, "no STATUS after the run")
        check_status_shape(status)
        mine = [w for w in status["workers"] if w["node"] == node]
        expect(len(mine) == 1 and mine[0]["tasksDone"] == 20 and mine[0]["state"] == "idle",
               "STATUS of the Python worker: %r" % mine)
        expect(mine[0]["services"] == [SERVICE] and mine[0]["host"] == host and mine[0]["pid"] == os.getpid(),
               "STATUS keeps the READY fields: %r" % mine[0])
        expect(status["completed"] >= 20, "completed %r" % status["completed"])
        expect(not any(w["node"] == node + "-silent" for w in status["workers"]) and status["workersLost"] >= 1,
               "a worker that sent no heartbeat is still listed: %r" % status)

        worker.send_command(DISCONNECT, "conformance check done")
        time.sleep(0.1)
        status = observer.status(4)
        expect(status is not None and not any(w["node"] == node for w in status["workers"]),
               "the worker is still listed after DISCONNECT: %r" % status)
        return "served 20 REQUESTs from the Swift client (output shows %s), %d heartbeats in" % (host, worker.heartbeats_received)
    finally:
        for peer in (worker, silent, observer):
            peer.close()
        if client is not None:
            run.processes.stop(client)
        run.processes.stop(supervisor)


# ---------------------------------------------------------------------------------------------
# Check 3: shared state (Protocol 3) through the supervisor, replaying 3-state-vectors.json

def answer_for(peer, call_id, answers, timeout):
    """Waits for the RETURN or THROW of `call_id`, keeping other answers in `answers`."""
    deadline = time.monotonic() + timeout
    while call_id not in answers:
        message = peer.receive(max(0.0, deadline - time.monotonic()))
        if message is None:
            return None
        if message.protocol == 1:
            for envelope in message.envelopes:
                expect(envelope[0] in (RETURN, THROW), "the owner sent %r" % (envelope,))
                answers[envelope[1]] = (envelope, time.monotonic())
    return answers.pop(call_id)


def check_answer(envelope, expected, where):
    if "throw" in expected:
        expect(envelope[0] == THROW and len(envelope) == 7, "%s: expected THROW %s, got %r" % (where, expected["throw"], envelope))
        expect(envelope[2] == expected["throw"], "%s: expected THROW %s, got %s (%s)" % (where, expected["throw"], envelope[2], envelope[4]))
    else:
        want = unpack(bytes.fromhex(expected["return"]))
        expect(envelope[0] == RETURN and len(envelope) == 3, "%s: expected RETURN %r, got %r" % (where, want, envelope))
        expect(strict_equal(envelope[2], want), "%s: expected %r, got %r" % (where, want, envelope[2]))


def check_state(run):
    with open(os.path.join(PROTOCOLS, "3-state-vectors.json"), encoding="utf-8") as f:
        vectors = json.load(f)
    supervisor, endpoint = run.start_supervisor(["--insecure"])
    peers = {name: Peer(run.context, endpoint, identity=identity) for name, identity in vectors["clients"].items()}
    answers = {name: {} for name in peers}
    sent_at = {}
    steps = 0
    try:
        for scenario in vectors["scenarios"]:
            for index, step in enumerate(scenario["steps"]):
                where = "%s step %d" % (scenario["name"], index + 1)
                name = step["client"]
                peer = peers[name]
                if "receive" in step:
                    answer = answer_for(peer, step["receive"], answers[name], 5)
                    expect(answer is not None, "%s: no answer to pending call %d" % (where, step["receive"]))
                    check_answer(answer[0], step["expect"], where)
                elif "send_batch" in step:
                    peer.send_body(bytes.fromhex(step["hex"]))
                    for operation, expected in zip(step["send_batch"], step["expect_batch"]):
                        answer = answer_for(peer, operation["call_id"], answers[name], 5)
                        expect(answer is not None, "%s: no answer to call %d" % (where, operation["call_id"]))
                        check_answer(answer[0], expected, where)
                else:
                    operation = step["send"]
                    call_id = operation["call_id"]
                    # This peer writes the STATE envelope from its decoded form; the vector's
                    # hex is what a conforming writer produces.
                    args = [bytes.fromhex(a) for a in operation["args"]]
                    body = (array_header(5) + pack(STATE) + pack(call_id) + pack(operation["container"]) + pack(operation["op"])
                            + array_header(len(args)) + b"".join(args))
                    expect(body.hex() == step["hex"], "%s: this peer writes %s, the vector says %s" % (where, body.hex(), step["hex"]))
                    started = time.monotonic()
                    peer.send_body(body)
                    sent_at[(name, call_id)] = started
                    expected = step["expect"]
                    if expected.get("pending"):
                        early = answer_for(peer, call_id, answers[name], 0.15)
                        expect(early is None, "%s: a blocking operation was answered at once: %r" % (where, early))
                        steps += 1
                        continue
                    wait = expected.get("after_seconds", 0) + 5
                    answer = answer_for(peer, call_id, answers[name], wait)
                    expect(answer is not None, "%s: no answer to %s %s" % (where, step["send"]["op"], step["send"]["container"]))
                    check_answer(answer[0], expected, where)
                    if "after_seconds" in expected:
                        elapsed = answer[1] - started
                        expect(elapsed >= expected["after_seconds"] - 0.02,
                               "%s: answered after %.3f s, before the %.1f s timeout" % (where, elapsed, expected["after_seconds"]))
                steps += 1
        # The owner keeps serving, and its status counts these clients.
        status = peers["A"].status(10**6)
        expect(status is not None and status["clients"] >= 2, "STATUS after the state checks: %r" % status)
        return "%d scenarios, %d steps of 3-state-vectors.json: dict, array (indexOutOfRange), list, value, queue, lock" % (
            len(vectors["scenarios"]), steps)
    finally:
        for peer in peers.values():
            peer.close()
        run.processes.stop(supervisor)


# ---------------------------------------------------------------------------------------------
# Check 4: CURVE: an allowed key gets a STATUS, an unknown key gets nothing

def read_key(path):
    with open(path, encoding="ascii") as f:
        return f.read().strip()


def check_curve(run):
    keys = os.path.join(run.directory, "keys")
    os.makedirs(keys)
    for name in ("supervisor", "client", "stranger", "worker"):
        result = subprocess.run([run.binary("troupe"), "keygen", "--out", os.path.join(keys, name)],
                                capture_output=True, timeout=30)
        expect(result.returncode == 0, "troupe keygen failed: %r" % result)
    supervisor_public = read_key(os.path.join(keys, "supervisor.pub"))
    client = (supervisor_public, read_key(os.path.join(keys, "client.pub")), read_key(os.path.join(keys, "client.key")))
    stranger = (supervisor_public, read_key(os.path.join(keys, "stranger.pub")), read_key(os.path.join(keys, "stranger.key")))
    expect(all(len(k) == 40 for k in client + stranger), "keys are 40 Z85 characters")
    expect(zmq.curve_public(client[2].encode()).decode() == client[1], "a .pub file holds the public half of its .key")
    worker_keys = (supervisor_public, read_key(os.path.join(keys, "worker.pub")), read_key(os.path.join(keys, "worker.key")))
    supervisor, endpoint = run.start_supervisor(
        ["--key", os.path.join(keys, "supervisor.key"), "--allow-clients", os.path.join(keys, "client.pub"),
         "--allow-workers", os.path.join(keys, "worker.pub")], curve=client)
    allowed = Peer(run.context, endpoint, identity="conformance-allowed", curve=client)
    refused = Peer(run.context, endpoint, identity="conformance-refused", curve=stranger)
    plain = Peer(run.context, endpoint, identity="conformance-plain")
    serving = Peer(run.context, endpoint, identity="conformance-worker", curve=worker_keys)
    try:
        status = allowed.status(1)
        expect(status is not None, "a client with an allowed key got no STATUS")
        check_status_shape(status)
        expect(status["secure"] is True, "a CURVE supervisor says secure=%r" % status["secure"])
        for peer in (refused, plain):
            try:
                peer.send_command(HEARTBEAT)
                peer.send_command(STATUS_QUERY, 1)
            except zmq.Again:
                pass  # no connection to queue it on: the handshake was refused
        got = refused.receive(2.0, keep_heartbeats=True)
        expect(got is None, "a client with an unknown key received %r" % got)
        got = plain.receive(0.5, keep_heartbeats=True)
        expect(got is None, "a client without CURVE received %r" % got)
        status = allowed.status(2)
        expect(status is not None and status["unauthorized"] >= 1 and status["refusedKeys"] == 1,
               "the refused key is not counted (attempts, keys): %r" % status)
        # Roles: a client key may not serve, a worker key may not submit, neither may stop.
        allowed.send_command(READY, "conformance-client-as-worker", os.getpid(), [SERVICE], "h")
        message = allowed.receive_where(lambda m: m.protocol == 2, 3.0)
        expect(message is not None and message.command[0] == DISCONNECT and message.command[1].startswith("unauthorized:"),
               "READY from a client key: expected DISCONNECT unauthorized, got %r" % message)
        serving.send_command(REQUEST, 4, SERVICE, 0, payload=pack([CALL, 4, 0, "t", [], []]))
        message = serving.receive_where(lambda m: m.protocol == 2, 3.0)
        expect(message is not None and message.command[:3] == [ERROR, 4, "unauthorized"],
               "REQUEST from a worker key: expected ERROR unauthorized, got %r" % message)
        allowed.send_command(STOP, 5, False)
        message = allowed.receive_where(lambda m: m.protocol == 2, 3.0)
        expect(message is not None and message.command[:3] == [ERROR, 5, "unauthorized"],
               "STOP from a client key: expected ERROR unauthorized, got %r" % message)
        expect(serving.status(6) is not None, "a worker key may ask for the status")
        return "allowed key: STATUS (secure, %d refused attempts, 1 key); unknown key: nothing in 2 s; roles enforced" % status["unauthorized"]
    finally:
        for peer in (allowed, refused, plain, serving):
            peer.close()
        run.processes.stop(supervisor)


# ---------------------------------------------------------------------------------------------
# Check 5: bad input is rejected where the spec says, and the supervisor keeps serving

def expect_reject(peer, frames, code, where):
    # A supervisor answers at most 8 rejected messages in each 50 ms (2/SUPERVISION, "Answers
    # to bad input"): one message every 7 ms stays within that.
    time.sleep(0.007)
    peer.send_frames(frames)
    message = peer.receive(3.0)
    expect(message is not None, "%s: no REJECT %s" % (where, code))
    expect(message.protocol == 1 and len(message.envelopes) == 1 and message.envelopes[0][0] == REJECT,
           "%s: expected a REJECT, got %r" % (where, message))
    _, got, text = message.envelopes[0]
    expect(got == code, "%s: REJECT %s (%s), expected %s" % (where, got, text, code))


def check_bad_input(run):
    with open(os.path.join(PROTOCOLS, "2-supervision-vectors.json"), encoding="utf-8") as f:
        p2 = json.load(f)
    with open(os.path.join(PROTOCOLS, "1-envelope-vectors.json"), encoding="utf-8") as f:
        p1 = json.load(f)
    supervisor, endpoint = run.start_supervisor(["--insecure"])
    bad = Peer(run.context, endpoint, identity="conformance-bad")
    good = Peer(run.context, endpoint, identity="conformance-good")
    try:
        rejects = 0
        # Protocol 2 headers the vectors reject: each answered with a REJECT of that code.
        for case in p2["cases"]:
            if case["frame"] == "header" and not case["valid"]:
                expect_reject(bad, [P2_SIGNATURE, bytes.fromhex(case["hex"]), b""], case["error"], "P2 header " + case["name"])
                rejects += 1
        # Other versions of either protocol.
        expect_reject(bad, [b"TRS\x02", pack([HEARTBEAT]), b""], "unsupportedVersion", "Protocol 2 version 2")
        expect_reject(bad, [b"TRS\xff", pack([71, 1]), b""], "unsupportedVersion", "Protocol 2 version 255")
        expect_reject(bad, [b"TRP\x02", pack([17])], "unsupportedVersion", "Protocol 1 version 2")
        # A Protocol 2 message with a wrong number of frames.
        expect_reject(bad, [P2_SIGNATURE, pack([HEARTBEAT])], "malformed", "Protocol 2, two frames")
        expect_reject(bad, [P2_SIGNATURE, pack([HEARTBEAT]), b"", b""], "malformed", "Protocol 2, four frames")
        # Commands the supervisor never takes.
        for header in ([ERROR, 1, "c", "m"], [STATUS, 1], [DONE, 1]):
            expect_reject(bad, [P2_SIGNATURE, pack(header), b""], "unknownKind", "command %d" % header[0])
        rejects += 8
        # Protocol 1 bodies the vectors reject (signature 1): REJECT with that code.
        for case in p1["cases"]:
            if case["frame"] == "body" and not case["valid"] and case["error"] != "tooLarge":
                expect_reject(bad, [P1_SIGNATURE, bytes.fromhex(case["hex"])], case["error"], "P1 body " + case["name"])
                rejects += 1
        status = good.status(1)
        expect(status is not None, "no STATUS after %d rejected messages" % rejects)
        expect(sum(status["rejected"].values()) >= rejects, "STATUS counts %r rejected, sent %d" % (status["rejected"], rejects))

        # A REPLY from a peer that never said READY is answered with DISCONNECT.
        bad.send_command(REPLY, 1, True, payload=pack([RETURN, 1, None]))
        message = bad.receive(3.0)
        expect(message is not None and message.protocol == 2 and message.command[0] == DISCONNECT,
               "a REPLY from a non-worker: expected DISCONNECT, got %r" % message)
        # A Protocol 1 CALL to the supervisor: THROW unknownActor.
        bad.send_envelopes([CALL, 5, 1, "$s4main7GreeterC5greetyS2SYaKFTE", [], ["hello"]])
        message = bad.receive(3.0)
        expect(message is not None and message.protocol == 1 and message.envelopes[0][:3] == [THROW, 5, "unknownActor"],
               "a CALL to the supervisor: expected THROW unknownActor, got %r" % message)
        # The CALLs of the vectors that carry a trace context (well-formed, or with a traceparent
        # the receiver must ignore) are taken as CALLs, not rejected: THROW unknownActor each.
        traced = 0
        for case in p1["cases"]:
            decoded = case.get("decoded") or []
            if case["frame"] != "body" or not case["valid"] or not any("trace" in e for e in decoded):
                continue
            time.sleep(0.007)
            bad.send_frames([P1_SIGNATURE, bytes.fromhex(case["hex"])])
            wanted = [[THROW, e["call_id"], "unknownActor"] for e in decoded]
            answered = []
            while len(answered) < len(wanted):
                message = bad.receive(3.0)
                expect(message is not None and message.protocol == 1,
                       "P1 body %s: %d answers of %d, then %r" % (case["name"], len(answered), len(wanted), message))
                answered += [e[:3] for e in message.envelopes]
            expect(answered == wanted, "P1 body %s: expected %r, got %r" % (case["name"], wanted, answered))
            traced += 1
        expect(traced >= 5, "only %d vectors carry a trace context" % traced)

        # Garbage of any shape: the spec lets the supervisor answer or not; it must keep serving.
        rng = random.Random(2)
        for _ in range(200):
            frames = [bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 40))) for _ in range(rng.randint(1, 4))]
            if rng.random() < 0.3:
                frames[0] = rng.choice([P1_SIGNATURE, P2_SIGNATURE, b"TRP", b"XXX\x01"])
            bad.send_frames(frames)
        time.sleep(0.3)
        while bad.receive(0.05, keep_heartbeats=True) is not None:
            pass
        status = good.status(2)
        expect(status is not None, "the supervisor stopped answering after garbage")
        # It still serves shared state, to the peer that sent the garbage too.
        bad.send_envelopes([STATE, 7, "after-garbage", "create", ["dict"]])
        message = bad.receive_where(lambda m: m.protocol == 1, 3.0)
        expect(message is not None and message.envelopes == [[RETURN, 7, "dict"]],
               "shared state after garbage: %r" % message)
        expect(supervisor.poll() is None, "the supervisor exited")
        # And it stops when asked (STOP → DONE).
        good.send_command(STOP, 9, False)
        message = good.receive_where(lambda m: m.protocol == 2 and m.command[0] == DONE, 5.0)
        expect(message is not None and message.command == [DONE, 9], "STOP: expected DONE 9, got %r" % message)
        supervisor.wait(timeout=10)
        expect(supervisor.returncode == 0, "the supervisor exited with %s after STOP" % supervisor.returncode)
        return ("%d malformed messages each answered with the REJECT the vectors name; %d CALL bodies with a trace context "
                "taken as CALLs; 200 garbage messages; still serving; STOP → DONE" % (rejects, traced))
    finally:
        bad.close()
        good.close()
        run.processes.stop(supervisor)


# ---------------------------------------------------------------------------------------------
# Check 6: the rules the specs state and a peer written from them relies on

def answer_of(peer, call_id, timeout=5.0):
    """The RETURN or THROW answering STATE `call_id`, as (kind, value or code), or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = peer.receive(max(0.0, deadline - time.monotonic()))
        if message is None:
            return None
        for envelope in message.envelopes:
            if envelope[0] in (RETURN, THROW) and envelope[1] == call_id:
                return (envelope[0], envelope[2])
    return None


def check_spec_items(run):
    """Each item is checked even when an earlier one failed; the failures are reported together."""
    interval = 0.3
    env = {"TROUPE_HEARTBEAT_MS": str(int(interval * 1000)), "TROUPE_LIVENESS": "3"}
    supervisor, endpoint = run.start_supervisor(["--insecure"], env=env)
    worker = Peer(run.context, endpoint, identity="spec-worker")
    client = Peer(run.context, endpoint, identity="spec-client")
    other = Peer(run.context, endpoint, identity="spec-other")
    holder = Peer(run.context, endpoint, identity="spec-holder")
    service = "conformance.Spec"
    call = pack([CALL, 11, 0, "t", [], []])
    done, failed = [], []

    def item(name, check):
        try:
            done.append(check() or name)
        except CheckFailed as error:
            failed.append("%s: %s" % (name, error))
        # Whatever an item left unread is not the next one's answer.
        for peer in (worker, client, other):
            while peer.receive(0.05) is not None:
                pass

    def version_first():
        # A future version may change the frame count: the version is judged first.
        expect_reject(other, [b"TRS\x02", pack([HEARTBEAT])], "unsupportedVersion", "Protocol 2 version 2 in two frames")

    def reject_offset():
        other.send_frames([P1_SIGNATURE, bytes.fromhex("9663")])
        message = other.receive(3.0)
        expect(message is not None and message.protocol == 1 and message.envelopes[0][0] == REJECT,
               "no REJECT for a truncated body: %r" % message)
        expect(message.envelopes[0][1] == "truncated" and " at byte " in message.envelopes[0][2],
               "the REJECT does not give the offset: %r" % message.envelopes[0])

    def flags_and_duplicates():
        client.send_command(REQUEST, 1, service, 0xFF, payload=call)
        request = worker.receive_where(lambda m: m.protocol == 2 and m.command[0] == REQUEST, 3.0)
        expect(request is not None, "the worker got no REQUEST")
        problems = []
        if request.command[3] != 1:
            problems.append("REQUEST flags 0xff reached the worker as %r, not 1 (retryable only)" % request.command[3])
        # A second REQUEST with an id that is still outstanding is refused; the first stands.
        client.send_command(REQUEST, 1, service, 0, payload=call)
        message = client.receive(3.0)
        if message is None or message.protocol != 1 or message.envelopes[0][:2] != [REJECT, "malformed"]:
            problems.append("a duplicate request id: expected REJECT malformed, got %r" % message)
        again = worker.receive(0.3)
        if again is not None:
            problems.append("the duplicate REQUEST reached the worker: %r" % again)
            worker.send_command(REPLY, again.command[1], True, payload=pack([RETURN, 11, "two"]))
        worker.send_command(REPLY, request.command[1], True, payload=pack([RETURN, 11, "one"]))
        reply = client.receive_where(lambda m: m.protocol == 2 and m.command[0] == REPLY, 3.0)
        if reply is None or reply.command != [REPLY, 1, True]:
            problems.append("the first request's REPLY: %r" % reply)
        expect(not problems, "; ".join(problems))
        return "reserved flags cleared; duplicate id refused"

    def silent_holder():
        holder.send_envelopes([STATE, 1, "spec-lock", "create", ["lock"]], [STATE, 2, "spec-lock", "acquire", [1]])
        expect(answer_of(holder, 2) == (RETURN, True), "the holder did not get the lock")
        holder.close()
        started = time.monotonic()
        other.send_envelopes([STATE, 3, "spec-lock", "acquire", [2, 6]])
        got = None
        while got is None and time.monotonic() - started < 8:
            other.send_command(HEARTBEAT)
            got = answer_of(other, 3, timeout=interval)
        expect(got == (RETURN, True), "the lock of a silent holder was not released within its 6 s wait (10 x I x L is 9 s): %r" % (got,))
        return "lock of a silent holder released after %.1f s" % (time.monotonic() - started)

    def rate_limit():
        for _ in range(60):
            other.send_frames([P2_SIGNATURE, b"\xc1", b""])
        rejects = 0
        while True:
            message = other.receive(0.3)
            if message is None:
                break
            if message.protocol == 1 and message.envelopes and message.envelopes[0][0] == REJECT:
                rejects += 1
        status = client.status(2)
        expect(1 <= rejects < 60, "%d REJECTs for 60 bad messages at once" % rejects)
        expect(status is not None and status["rejected"].get("typeMismatch", 0) >= 60, "STATUS rejected: %r" % status)
        return "%d REJECTs for 60 bad messages" % rejects

    def stop_unserved():
        client.send_command(REQUEST, 2, "nobody.Serves", 0, payload=call)
        client.send_command(STOP, 3, False)
        answers = {}
        deadline = time.monotonic() + 5
        while len(answers) < 2 and time.monotonic() < deadline:
            message = client.receive(0.5)
            if message is not None and message.protocol == 2:
                answers[message.command[0]] = message.command
        expect(answers.get(ERROR, [None] * 3)[:3] == [ERROR, 2, "terminated"], "the unserved request: %r" % answers)
        expect(answers.get(DONE) == [DONE, 3], "STOP with an unserved request queued: %r" % answers)
        supervisor.wait(timeout=10)
        return "STOP ends unserved work"

    try:
        worker.send_command(READY, "spec-worker", os.getpid(), [service], "h")
        expect(client.status(1) is not None, "no STATUS")
        for name, check in (("version first", version_first), ("REJECT offset", reject_offset),
                            ("flags and ids", flags_and_duplicates), ("silent holder", silent_holder),
                            ("rate limit", rate_limit), ("STOP", stop_unserved)):
            # Keep the worker registered between items.
            worker.send_command(HEARTBEAT)
            item(name, check)
        expect(not failed, " | ".join(failed))
        return "; ".join(done)
    finally:
        for peer in (worker, client, other, holder):
            peer.close()
        run.processes.stop(supervisor)


# ---------------------------------------------------------------------------------------------
# Check: the batch extension (BATCH, several commands in one message)

def check_batch(run):
    supervisor, endpoint = run.start_supervisor(["--insecure"])
    worker = Peer(run.context, endpoint, identity="conformance-batch-worker")
    client = Peer(run.context, endpoint, identity="conformance-batch-client")
    plain = Peer(run.context, endpoint, identity="conformance-batch-plain")
    service = "conformance.Batched"
    try:
        worker.send_command(READY, "conformance-batch-worker", os.getpid(), [service], "py")
        worker.send_command(CREDIT, 8)
        worker.send_command(BATCH)
        answers = []
        while len(answers) < 2:
            message = worker.receive(5)
            expect(message is not None and message.protocol == 2, "the worker got %r after READY, CREDIT, BATCH" % message)
            answers += [command for command, _ in message.commands]
        expect(answers == [[CREDIT, 8], [BATCH]], "answers to CREDIT and BATCH: %r" % answers)
        client.send_command(HEARTBEAT)
        client.send_command(BATCH)
        message = client.receive(5)
        expect(message is not None and [c for c, _ in message.commands] == [[BATCH]], "the answer to a client's BATCH: %r" % message)

        # Five REQUESTs in one message; the supervisor hands them to the worker in one turn, in one message.
        bodies = {n: pack([CALL, n, 0, "square", [], [pack(n)]]) for n in range(1, 6)}
        client.send_batch(*[([REQUEST, n, service, 0], bodies[n]) for n in range(1, 6)])
        message = worker.receive(5)
        expect(message is not None and message.protocol == 2, "the worker got %r" % message)
        requests = [(c, p) for c, p in message.commands if c[0] == REQUEST]
        expect(len(requests) == 5 and len(message.commands) == 5,
               "one message held %d commands, %d REQUESTs: %r" % (len(message.commands), len(requests), message.commands))
        expect([p for _, p in requests] == [bodies[n] for n in range(1, 6)], "the payloads were not passed on unchanged, in order")
        ids = [c[1] for c, _ in requests]

        # STARTED and the five REPLYs in one message; the client gets the five REPLYs in one.
        outcome = {i: pack([RETURN, n, pack(n * n)]) for i, n in zip(ids, range(1, 6))}
        worker.send_batch(([STARTED, ids], b""), *[([REPLY, i, True], outcome[i]) for i in ids])
        message = client.receive(5)
        expect(message is not None and message.protocol == 2, "the client got %r" % message)
        expect([c for c, _ in message.commands] == [[REPLY, n, True] for n in range(1, 6)],
               "one message to the client held %r" % [c for c, _ in message.commands])
        expect([p for _, p in message.commands] == [outcome[i] for i in ids], "the REPLY payloads were changed")

        # A peer that never sent BATCH: several commands in one message are rejected whole.
        plain.send_batch(([HEARTBEAT], b""), ([STATUS_QUERY, 1], b""))
        message = plain.receive(5)
        expect(message is not None and message.protocol == 1 and message.envelopes[0][:2] == [REJECT, "malformed"],
               "a peer without BATCH sending two commands in one message got %r" % message)
        expect(plain.receive(0.3) is None, "a rejected message's commands were carried out")
        status = client.status(7)
        expect(status is not None and status["completed"] == 5, "completed after the batch: %r" % (status and status["completed"]))
        return "5 REQUESTs in one message each way, 5 REPLYs relayed in one; several commands without BATCH rejected"
    finally:
        for peer in (worker, client, plain):
            peer.close()
        run.processes.stop(supervisor)

# ---------------------------------------------------------------------------------------------

CHECKS = [
    ("status", "STATUS-QUERY lists a worker started by `troupe worker`", check_status),
    ("python-worker", "a Python worker serves the Swift distributed-pool client", check_python_worker),
    ("state", "shared state through the supervisor (Protocol 3)", check_state),
    ("curve", "CURVE allow-list", check_curve),
    ("bad-input", "bad input rejected, supervisor keeps serving", check_bad_input),
    ("spec-items", "version first, offsets, flags, ids, locks, rate, STOP", check_spec_items),
    ("batch", "BATCH: several commands in one message, each way", check_batch),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", default=".build/debug", help="the directory holding troupe and distributed-pool")
    parser.add_argument("--only", action="append", help="run only this check (repeatable)")
    parser.add_argument("--verbose", action="store_true", help="print the processes' output on failure")
    options = parser.parse_args()
    bin_dir = os.path.abspath(options.bin)
    for name in ("troupe", "distributed-pool"):
        if not os.access(os.path.join(bin_dir, name), os.X_OK):
            print("conformance: %s not found in %s: build with `swift build --build-tests`" % (name, bin_dir))
            return 2

    run = Run(bin_dir, options.verbose)
    atexit.register(run.close)

    def interrupted(signum, frame):
        run.close()
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)

    def overdue(signum, frame):
        raise CheckFailed("the check took longer than %d s" % CHECK_TIMEOUT)

    signal.signal(signal.SIGALRM, overdue)
    failures = 0
    started = time.monotonic()
    for name, title, check in CHECKS:
        if options.only and name not in options.only:
            continue
        begin = time.monotonic()
        signal.alarm(CHECK_TIMEOUT)
        try:
            detail = check(run)
            signal.alarm(0)
            print("ok    %-14s %-58s %5.1fs  %s" % (name, title, time.monotonic() - begin, detail), flush=True)
        except Exception as error:  # noqa: BLE001 — report every failure the same way
            signal.alarm(0)
            failures += 1
            reason = str(error) if isinstance(error, CheckFailed) else "".join(traceback.format_exception_only(type(error), error)).strip()
            print("FAIL  %-14s %-58s %5.1fs  %s" % (name, title, time.monotonic() - begin, reason), flush=True)
            if options.verbose or not isinstance(error, CheckFailed):
                traceback.print_exc()
            run.processes.stop_all()
    run.close()
    if failures == 0:
        shutil.rmtree(run.directory, ignore_errors=True)
    else:
        print("conformance: process logs kept in %s" % run.directory)
    print("conformance: %d of %d checks failed (%.1fs)" % (failures, len(CHECKS) if not options.only else len(options.only),
                                                           time.monotonic() - started))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
