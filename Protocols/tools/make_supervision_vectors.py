#!/usr/bin/env python3
"""Generate the test vectors of Protocol 2 (supervision): signature frames, header frames and
whole example messages.

The bytes come from Python's own `msgpack` library (an implementation independent of
TroupeWire), or are written out by hand where a vector needs bytes that a conforming writer
would never produce (non-minimal forms, malformed input). Run from anywhere:

    python3 Protocols/tools/make_supervision_vectors.py

It rewrites Protocols/2-supervision-vectors.json. The output is deterministic.
"""

import json
import os
import struct
import sys

import msgpack

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_vectors import PROTOCOLS, Raw, array_header, call, pack, ret, throw  # noqa: E402

SIGNATURE = b"TRS\x01"
ENVELOPE_SIGNATURE = b"TRP\x01"

REQUEST, REPLY, ERROR, CANCEL, READY, HEARTBEAT, DISCONNECT = 64, 65, 66, 67, 68, 69, 70
STATUS_QUERY, STATUS, STOP, DONE = 71, 72, 73, 74
CREDIT, STARTED, WITHDRAW, WITHDRAWN = 75, 76, 77, 78
BATCH = 79
NAMES = {
    REQUEST: "REQUEST", REPLY: "REPLY", ERROR: "ERROR", CANCEL: "CANCEL", READY: "READY",
    HEARTBEAT: "HEARTBEAT", DISCONNECT: "DISCONNECT", STATUS_QUERY: "STATUS-QUERY", STATUS: "STATUS",
    STOP: "STOP", DONE: "DONE", CREDIT: "CREDIT", STARTED: "STARTED", WITHDRAW: "WITHDRAW",
    WITHDRAWN: "WITHDRAWN", BATCH: "BATCH",
}
# The header fields of each command, after the command number, in order.
FIELDS = {
    REQUEST: ["request_id", "service", "flags"],
    REPLY: ["request_id", "final"],
    ERROR: ["request_id", "code", "message"],
    CANCEL: ["request_id"],
    READY: ["node", "pid", "services", "host"],
    HEARTBEAT: [],
    DISCONNECT: ["reason"],
    STATUS_QUERY: ["request_id"],
    STATUS: ["request_id"],
    STOP: ["request_id", "now"],
    DONE: ["request_id"],
    CREDIT: ["credit"],
    STARTED: ["request_ids"],
    WITHDRAW: ["request_ids"],
    WITHDRAWN: ["request_ids"],
    BATCH: [],
}


def header(*elements):
    """A header frame: an array whose elements are packed by msgpack, or spliced when Raw."""
    return array_header(len(elements)) + b"".join(e.data if isinstance(e, Raw) else pack(e) for e in elements)


def decoded(command, *values):
    entry = {"command": NAMES[command]}
    entry.update(zip(FIELDS[command], values))
    return entry


def supervision_vectors():
    cases = []

    def valid(name, command, *values, canonical=True, raw=None, note=None):
        data = raw if raw is not None else header(command, *values)
        case = {"name": name, "frame": "header", "hex": data.hex(), "valid": True,
                "canonical": canonical, "decoded": decoded(command, *values)}
        if note:
            case["note"] = note
        cases.append(case)

    def invalid(name, data, error, frame="header", note=None):
        case = {"name": name, "frame": frame, "hex": bytes(data).hex(), "valid": False, "error": error}
        if note:
            case["note"] = note
        cases.append(case)

    # --- signature frames
    cases.append({"name": "signature/version-1", "frame": "signature", "hex": SIGNATURE.hex(), "valid": True})
    invalid("signature/version-2", b"TRS\x02", "unsupportedVersion", frame="signature")
    invalid("signature/version-0", b"TRS\x00", "unsupportedVersion", frame="signature")
    invalid("signature/version-255", b"TRS\xff", "unsupportedVersion", frame="signature")
    invalid("signature/protocol-1", ENVELOPE_SIGNATURE, "badSignature", frame="signature",
            note="Protocol 1's signature: the message is a Protocol 1 message, not a Protocol 2 one")
    invalid("signature/empty", b"", "badSignature", frame="signature")
    invalid("signature/short", b"TRS", "badSignature", frame="signature")
    invalid("signature/long", b"TRS\x01\x00", "badSignature", frame="signature")
    invalid("signature/lowercase", b"trs\x01", "badSignature", frame="signature")
    invalid("signature/zeros", b"\x00\x00\x00\x00", "badSignature", frame="signature")

    # --- every command
    valid("request", REQUEST, 7, "distributed_pool.Collatz", 0)
    valid("request/retryable", REQUEST, 8, "main.Greeter", 1)
    valid("request/id-max", REQUEST, 2**64 - 1, "", 2**64 - 1)
    valid("request/id-zero", REQUEST, 0, "s", 0, note="0 is a valid request id in a header; senders number from 1")
    valid("reply/final", REPLY, 7, True)
    valid("reply/partial", REPLY, 7, False)
    valid("error/worker-lost", ERROR, 7, "workerLost", "worker h-1 on h missed 3 heartbeats while it ran the request")
    valid("error/closed", ERROR, 9, "closed", "the supervisor is stopping and takes no new work")
    valid("cancel", CANCEL, 7)
    valid("ready", READY, "host-1-4242-abc", 4242, ["distributed_pool.Collatz"], "host-1")
    valid("ready/many-services", READY, "n", 1, ["a.A", "b.B", "c.C"], "h")
    valid("ready/no-service", READY, "", -1, [], "", note="pid is a signed int; the codec does not judge values")
    valid("ready/pid-min", READY, "n", -2**63, ["s"], "h")
    valid("ready/utf8", READY, "nœud-✓", 2**63 - 1, ["módulo.Tipo"], "hôte")
    valid("heartbeat", HEARTBEAT)
    valid("disconnect", DISCONNECT, "the supervisor is stopping")
    valid("disconnect/empty-reason", DISCONNECT, "")
    valid("status-query", STATUS_QUERY, 1)
    valid("status", STATUS, 1)
    valid("stop/graceful", STOP, 3, False)
    valid("stop/now", STOP, 3, True)
    valid("done", DONE, 3)
    valid("credit", CREDIT, 64)
    valid("credit/one", CREDIT, 1, note="a worker that says nothing has a credit of 1")
    valid("credit/zero", CREDIT, 0, note="the codec does not judge values; a supervisor reads 0 as 1")
    valid("credit/max", CREDIT, 2**64 - 1)
    valid("started", STARTED, [7])
    valid("started/several", STARTED, [7, 8, 300])
    valid("started/none", STARTED, [], note="an empty list says nothing; it is valid")
    valid("withdraw", WITHDRAW, [8, 9, 10])
    valid("withdrawn", WITHDRAWN, [9, 10])
    valid("withdrawn/none", WITHDRAWN, [], note="the worker had started every request asked for")
    valid("forms/array16-started", STARTED, [7],
          raw=array_header(2) + pack(STARTED) + b"\xdc\x00\x01" + pack(7), canonical=False)
    valid("forms/wide-started-id", STARTED, [7],
          raw=array_header(2) + pack(STARTED) + b"\x91\xcf" + struct.pack(">Q", 7), canonical=False)
    valid("batch", BATCH, note="the sender takes messages of several commands; the supervisor answers with the same")
    valid("request/long-service", REQUEST, 1, "m." + "S" * 300, 0)

    # --- non-minimal but valid forms: receivers accept every form
    valid("forms/array16-header", HEARTBEAT, raw=b"\xdc\x00\x01" + pack(HEARTBEAT), canonical=False)
    valid("forms/array32-header", CANCEL, 7, raw=b"\xdd\x00\x00\x00\x02" + pack(CANCEL) + pack(7), canonical=False)
    valid("forms/wide-command", STATUS_QUERY, 5,
          raw=array_header(2) + b"\xcf" + struct.pack(">Q", STATUS_QUERY) + b"\xcd\x00\x05", canonical=False)
    valid("forms/signed-non-negative-ids", REQUEST, 7, "s", 1,
          raw=array_header(4) + b"\xd0\x40" + b"\xd3" + struct.pack(">q", 7) + pack("s") + b"\xd1\x00\x01", canonical=False,
          note="a signed integer form with a non-negative value is accepted where an unsigned one is expected")
    valid("forms/str8-service", REQUEST, 1, "ab", 0,
          raw=array_header(4) + pack(REQUEST) + pack(1) + b"\xd9\x02ab" + pack(0), canonical=False)
    valid("forms/array16-services", READY, "n", 1, ["s"], "h",
          raw=array_header(5) + pack(READY) + pack("n") + pack(1) + b"\xdc\x00\x01" + pack("s") + pack("h"), canonical=False)
    valid("forms/wide-pid", READY, "n", 5, [], "h",
          raw=array_header(5) + pack(READY) + pack("n") + b"\xcf" + struct.pack(">Q", 5) + b"\x90" + pack("h"), canonical=False)

    # --- rejected: shape
    invalid("shape/empty", b"", "truncated")
    invalid("shape/not-an-array-map", pack({"command": 69}), "typeMismatch")
    invalid("shape/not-an-array-int", pack(69), "typeMismatch")
    invalid("shape/not-an-array-str", pack("HEARTBEAT"), "typeMismatch")
    invalid("shape/unused-byte", b"\xc1", "typeMismatch")
    invalid("shape/empty-array", b"\x90", "malformed")
    invalid("shape/count-beyond-bytes", b"\x95\x44", "truncated", note="5 elements announced, 1 byte left")
    invalid("shape/array32-huge", b"\xdd\xff\xff\xff\xff\x45", "truncated")

    # --- rejected: the command
    invalid("command/string", header("HEARTBEAT"), "typeMismatch")
    invalid("command/nil", header(None), "typeMismatch")
    invalid("command/float", header(69.0), "typeMismatch")
    invalid("command/negative", header(-1), "integerOverflow")
    for command in (0, 1, 16, 17, 32, 63, 80, 127, 255, 2**64 - 1):
        invalid("command/unknown-%d" % command, header(command), "unknownKind")
    invalid("command/unknown-with-fields", header(99, 1, "x"), "unknownKind",
            note="the command is judged before the number of fields")

    # --- rejected: number of fields
    invalid("arity/request-3", header(REQUEST, 1, "s"), "malformed")
    invalid("arity/request-5", header(REQUEST, 1, "s", 0, 0), "malformed")
    invalid("arity/reply-2", header(REPLY, 1), "malformed")
    invalid("arity/error-3", header(ERROR, 1, "c"), "malformed")
    invalid("arity/cancel-1", header(CANCEL), "malformed")
    invalid("arity/ready-4", header(READY, "n", 1, ["s"]), "malformed")
    invalid("arity/heartbeat-2", header(HEARTBEAT, 0), "malformed")
    invalid("arity/disconnect-1", header(DISCONNECT), "malformed")
    invalid("arity/status-query-1", header(STATUS_QUERY), "malformed")
    invalid("arity/status-3", header(STATUS, 1, {}), "malformed")
    invalid("arity/stop-2", header(STOP, 1), "malformed")
    invalid("arity/done-3", header(DONE, 1, True), "malformed")
    invalid("arity/credit-1", header(CREDIT), "malformed")
    invalid("arity/credit-3", header(CREDIT, 1, 2), "malformed")
    invalid("arity/ready-6", header(READY, "n", 1, ["s"], "h", 64), "malformed",
            note="credit travels in CREDIT, never as a sixth field of READY")
    invalid("arity/started-3", header(STARTED, [1], [2]), "malformed")
    invalid("arity/withdraw-1", header(WITHDRAW), "malformed")
    invalid("arity/withdrawn-3", header(WITHDRAWN, [1], 2), "malformed")
    invalid("arity/batch-2", header(BATCH, 256), "malformed", note="BATCH has no fields")

    # --- rejected: field types and values
    invalid("type/request-id-string", header(REQUEST, "1", "s", 0), "typeMismatch")
    invalid("type/request-id-negative", header(REQUEST, -1, "s", 0), "integerOverflow")
    invalid("type/request-id-float", header(REQUEST, 1.0, "s", 0), "typeMismatch")
    invalid("type/request-service-bin", header(REQUEST, 1, b"s", 0), "typeMismatch")
    invalid("type/request-service-nil", header(REQUEST, 1, None, 0), "typeMismatch")
    invalid("type/request-flags-bool", header(REQUEST, 1, "s", True), "typeMismatch")
    invalid("type/request-flags-negative", header(REQUEST, 1, "s", -1), "integerOverflow")
    invalid("type/reply-final-int", header(REPLY, 1, 1), "typeMismatch")
    invalid("type/reply-final-nil", header(REPLY, 1, None), "typeMismatch")
    invalid("type/error-code-int", header(ERROR, 1, 5, "m"), "typeMismatch")
    invalid("type/error-message-nil", header(ERROR, 1, "c", None), "typeMismatch")
    invalid("type/cancel-id-negative", header(CANCEL, -7), "integerOverflow")
    invalid("type/ready-node-int", header(READY, 1, 1, ["s"], "h"), "typeMismatch")
    invalid("type/ready-pid-str", header(READY, "n", "42", ["s"], "h"), "typeMismatch")
    invalid("type/ready-pid-too-big", header(READY, "n", 2**63, ["s"], "h"), "integerOverflow")
    invalid("type/ready-services-str", header(READY, "n", 1, "s", "h"), "typeMismatch")
    invalid("type/ready-services-map", header(READY, "n", 1, {"s": 1}, "h"), "typeMismatch")
    invalid("type/ready-service-int", header(READY, "n", 1, ["a", 2], "h"), "typeMismatch")
    invalid("type/ready-service-nested", header(READY, "n", 1, [["a"]], "h"), "typeMismatch")
    invalid("type/ready-host-nil", header(READY, "n", 1, ["s"], None), "typeMismatch")
    invalid("type/disconnect-reason-int", header(DISCONNECT, 1), "typeMismatch")
    invalid("type/status-query-id-str", header(STATUS_QUERY, "1"), "typeMismatch")
    invalid("type/stop-now-int", header(STOP, 1, 0), "typeMismatch")
    invalid("type/done-id-nil", header(DONE, None), "typeMismatch")
    invalid("type/credit-negative", header(CREDIT, -1), "integerOverflow")
    invalid("type/credit-str", header(CREDIT, "64"), "typeMismatch")
    invalid("type/started-not-array", header(STARTED, 7), "typeMismatch",
            note="one id is still a list of one")
    invalid("type/started-id-negative", header(STARTED, [1, -2]), "integerOverflow")
    invalid("type/started-id-str", header(STARTED, ["7"]), "typeMismatch")
    invalid("type/withdraw-map", header(WITHDRAW, {7: 1}), "typeMismatch")
    invalid("type/withdrawn-id-nil", header(WITHDRAWN, [None]), "typeMismatch")
    invalid("shape/started-count-beyond-bytes", array_header(2) + pack(STARTED) + b"\xdd\xff\xff\xff\xff\x01", "truncated",
            note="a list of ids announcing more elements than there are octets left")

    # --- rejected: bad UTF-8
    invalid("utf8/service", header(REQUEST, 1, Raw(b"\xa2\xc3\x28"), 0), "invalidUTF8")
    invalid("utf8/ready-service", header(READY, "n", 1, Raw(b"\x91\xa1\xff"), "h"), "invalidUTF8")
    invalid("utf8/ready-host-surrogate", header(READY, "n", 1, [], Raw(b"\xa3\xed\xa0\x80")), "invalidUTF8")
    invalid("utf8/disconnect-overlong", header(DISCONNECT, Raw(b"\xa2\xc0\x80")), "invalidUTF8")

    # --- rejected: trailing bytes
    invalid("trailing/nil", header(HEARTBEAT) + b"\xc0", "trailingBytes")
    invalid("trailing/second-header", header(HEARTBEAT) + header(HEARTBEAT), "trailingBytes",
            note="one header per message: a header frame holds exactly one array")
    invalid("trailing/garbage", header(CANCEL, 7) + b"GET / HTTP/1.1\r\n", "trailingBytes")

    # --- rejected: truncation of every valid canonical header at every byte
    for base_name, base in (("request", header(REQUEST, 7, "distributed_pool.Collatz", 0)),
                            ("ready", header(READY, "host-1-4242-abc", 4242, ["distributed_pool.Collatz"], "host-1")),
                            ("error", header(ERROR, 300, "workerLost", "lost")),
                            ("started", header(STARTED, [7, 300, 70000]))):
        for cut in range(1, len(base)):
            invalid("truncated/%s-at-%d" % (base_name, cut), base[:cut], "truncated")

    return cases


def example_messages():
    """Whole messages, frame by frame, as a client, worker and supervisor exchange them."""
    target = "$s16distributed_pool7CollatzC5stepsyAA6ReportVSiYaKFTE"
    call_body = call(12, 0, target, args=[27])[0]
    report = {"number": 27, "steps": 111, "host": "py-worker", "pid": 4242}
    return_body = ret(12, report)[0]
    throw_body = throw(12, "remote", "main.Failure", "no", [], None)[0]
    reject_body = array_header(3) + pack(21) + pack("unsupportedVersion") + pack(
        "unsupportedVersion at byte 3: Protocol 2 version 2 is not supported; this peer speaks version 1")
    status_map = {
        "endpoint": "tcp://127.0.0.1:5555", "phase": "running", "secure": False,
        "workers": [{"node": "host-1-4242-abc", "pid": 4242, "host": "host-1", "address": "127.0.0.1",
                     "services": ["distributed_pool.Collatz"], "state": "idle", "tasksDone": 3,
                     "lastHeardMilliseconds": 412}],
        "queued": {}, "running": 0, "completed": 3, "clients": 1, "workersLost": 0,
        "rejected": {"truncated": 1}, "unauthorized": 0,
    }

    def message(name, direction, frames, note=None):
        entry = {"name": name, "direction": direction, "frames": [f.hex() for f in frames]}
        if note:
            entry["note"] = note
        return entry

    def p2(command, *values, payload=b""):
        return [SIGNATURE, header(command, *values), payload]

    def batch(*commands):
        """One message of several commands: the signature, then each command's header and payload."""
        frames = [SIGNATURE]
        for command in commands:
            frames += command[1:]
        return frames

    call_body_2 = call(13, 0, target, args=[97])[0]
    return_body_2 = ret(13, {"number": 97, "steps": 118, "host": "py-worker", "pid": 4242})[0]

    return [
        message("worker-ready", "worker → supervisor",
                p2(READY, "py-worker-1", 4242, ["distributed_pool.Collatz"], "py-worker")),
        message("client-request", "client → supervisor",
                p2(REQUEST, 12, "distributed_pool.Collatz", 0, payload=call_body),
                note="the payload is a Protocol 1 body holding one CALL: Collatz.steps(27); actor 0"),
        message("supervisor-request", "supervisor → worker",
                p2(REQUEST, 1, "distributed_pool.Collatz", 0, payload=call_body),
                note="the supervisor's own request id (1); the payload is passed on unchanged"),
        message("worker-reply", "worker → supervisor",
                p2(REPLY, 1, True, payload=return_body),
                note="RETURN for call 12 (the CALL's call_id), a Report map"),
        message("supervisor-reply", "supervisor → client", p2(REPLY, 12, True, payload=return_body)),
        message("worker-reply-throw", "worker → supervisor", p2(REPLY, 1, True, payload=throw_body)),
        message("error-closed", "supervisor → client",
                p2(ERROR, 13, "closed", "the supervisor is stopping and takes no new work")),
        message("heartbeat", "any", p2(HEARTBEAT)),
        message("status-query", "client → supervisor", p2(STATUS_QUERY, 1)),
        message("status", "supervisor → client", p2(STATUS, 1, payload=pack(status_map)),
                note="the payload is a MessagePack map (see 'STATUS payload')"),
        message("stop", "client → supervisor", p2(STOP, 2, False)),
        message("done", "supervisor → client", p2(DONE, 2)),
        message("disconnect", "supervisor → worker", p2(DISCONNECT, "the supervisor is stopping")),
        message("worker-credit", "worker → supervisor", p2(CREDIT, 64),
                note="sent right after READY: the worker may hold 64 requests at once"),
        message("supervisor-credit", "supervisor → worker", p2(CREDIT, 64),
                note="the credit granted; from now on the worker reports the requests it starts"),
        message("worker-started", "worker → supervisor", p2(STARTED, [2]),
                note="sent before request 2's call runs, with the REPLY to request 1 when it leaves at the same moment"),
        message("supervisor-withdraw", "supervisor → worker", p2(WITHDRAW, [3, 4, 5]),
                note="request 2 has run long: the requests held behind it go to another worker"),
        message("worker-withdrawn", "worker → supervisor", p2(WITHDRAWN, [4, 5]),
                note="request 3 had started (its STARTED crossed the WITHDRAW); 4 and 5 are given back"),
        message("client-batch", "client → supervisor", p2(BATCH),
                note="sent after the client's first HEARTBEAT (a worker's: after READY and CREDIT); until the answer, one command a message"),
        message("supervisor-batch", "supervisor → any", p2(BATCH),
                note="the answer: from now on each side may put several commands in one message"),
        message("client-requests-batched", "client → supervisor",
                batch(p2(REQUEST, 12, "distributed_pool.Collatz", 0, payload=call_body),
                      p2(REQUEST, 13, "distributed_pool.Collatz", 0, payload=call_body_2)),
                note="two REQUESTs in one message: the signature once, then a header and a payload frame each"),
        message("supervisor-requests-batched", "supervisor → worker",
                batch(p2(REQUEST, 1, "distributed_pool.Collatz", 0, payload=call_body),
                      p2(REQUEST, 2, "distributed_pool.Collatz", 0, payload=call_body_2)),
                note="the requests one worker gets in one turn, payloads unchanged"),
        message("worker-reply-and-started", "worker → supervisor",
                batch(p2(REPLY, 1, True, payload=return_body), p2(STARTED, [2])),
                note="the REPLY of the call that ended and the STARTED of the next, in the order they were made"),
        message("supervisor-replies-batched", "supervisor → client",
                batch(p2(REPLY, 12, True, payload=return_body), p2(REPLY, 13, True, payload=return_body_2)),
                note="the replies relayed to one client in one turn"),
        message("reject", "supervisor → any", [ENVELOPE_SIGNATURE, reject_body],
                note="a REJECT is a Protocol 1 message, whatever protocol the rejected message claimed"),
    ]


def document():
    return {
        "protocol": "Troupe Protocol 2: supervision",
        "signature": SIGNATURE.hex(),
        "generator": "Protocols/tools/make_supervision_vectors.py with Python msgpack %s" % ".".join(map(str, msgpack.version)),
        "format": ("Each case is a signature frame or a header frame (hex). A valid header lists its command and "
                   "fields under 'decoded' (named as in the specification; integers as numbers, services as an "
                   "array of strings); 'canonical' says whether a conforming writer encodes 'decoded' to exactly "
                   "'hex'. A rejected frame names the error code a receiver reports. 'messages' are whole example "
                   "messages, frame by frame (routing frames left out)."),
        "commands": {NAMES[number]: number for number in sorted(NAMES)},
        "cases": supervision_vectors(),
        "messages": example_messages(),
    }


if __name__ == "__main__":
    path = os.path.join(PROTOCOLS, "2-supervision-vectors.json")
    doc = document()
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print("wrote %s (%d cases, %d messages)" % (os.path.relpath(path), len(doc["cases"]), len(doc["messages"])))
