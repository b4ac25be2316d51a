#!/usr/bin/env python3
"""Generate the test vectors of Protocol 1 (the envelope) and of the MessagePack payload mapping.

The bytes come from Python's own `msgpack` library (an implementation independent of
TroupeWire), or are written out by hand where a vector needs bytes that a conforming writer
would never produce (non-minimal forms, malformed input). Run from anywhere:

    python3 Protocols/tools/make_vectors.py

It rewrites Protocols/1-envelope-vectors.json and Protocols/msgpack-vectors.json. The output is
deterministic: running it twice gives the same files.
"""

import json
import os
import struct

import msgpack

HERE = os.path.dirname(os.path.abspath(__file__))
PROTOCOLS = os.path.dirname(HERE)

CALL, RETURN, THROW = 1, 2, 3
READY, HEARTBEAT, CANCEL, DISCONNECT, GOODBYE, REJECT, WITHDRAW = 16, 17, 18, 19, 20, 21, 22
STATE = 32
KIND_NAMES = {
    CALL: "CALL", RETURN: "RETURN", THROW: "THROW", READY: "READY", HEARTBEAT: "HEARTBEAT",
    CANCEL: "CANCEL", DISCONNECT: "DISCONNECT", GOODBYE: "GOODBYE", REJECT: "REJECT", STATE: "STATE",
    WITHDRAW: "WITHDRAW",
}


def pack(value, single_float=False):
    """Pack with the options a Troupe peer uses: str for text, bin for bytes."""
    return msgpack.packb(value, use_bin_type=True, use_single_float=single_float, strict_types=False)


class Raw:
    """Bytes that are already MessagePack, spliced into an envelope as they are."""

    def __init__(self, data):
        self.data = bytes(data)


def array_header(count):
    if count < 16:
        return bytes([0x90 | count])
    if count <= 0xFFFF:
        return b"\xdc" + struct.pack(">H", count)
    return b"\xdd" + struct.pack(">I", count)


def encode_element(element):
    if isinstance(element, Raw):
        return element.data
    return pack(element)


def envelope(*elements):
    """An envelope: an array whose elements are packed by msgpack, or spliced when Raw."""
    return array_header(len(elements)) + b"".join(encode_element(e) for e in elements)


def arg_bytes(arg):
    return arg.data if isinstance(arg, Raw) else pack(arg)


# Decoded forms, as the vectors list them (the field names of the specification).

def d_call(call_id, actor, target, generics, args, trace=None):
    decoded = {"kind": "CALL", "call_id": call_id, "actor": actor, "target": target,
               "generics": generics, "args": [arg_bytes(a).hex() for a in args]}
    if trace is not None:
        decoded["trace"] = [[name, value] for name, value in trace]
    return decoded


def d_return(call_id, value):
    return {"kind": "RETURN", "call_id": call_id, "value": arg_bytes(value).hex()}


def d_throw(call_id, code, type_name, message, stack, detail):
    return {"kind": "THROW", "call_id": call_id, "code": code, "type": type_name,
            "message": message, "stack": stack, "detail": None if detail is None else detail.hex()}


def d_ready(node, pid, actor_type, actor):
    return {"kind": "READY", "node": node, "pid": pid, "actor_type": actor_type, "actor": actor}


def d_state(call_id, container, op, args):
    return {"kind": "STATE", "call_id": call_id, "container": container, "op": op,
            "args": [arg_bytes(a).hex() for a in args]}


# Envelope builders that return (bytes, decoded).

def call(call_id, actor, target, generics=(), args=(), trace=None):
    """A CALL; with `trace` (name, value pairs, in order), the optional seventh element."""
    generics, args = list(generics), list(args)
    elements = [CALL, call_id, actor, target, generics, Raw(array_header(len(args)) + b"".join(arg_bytes(a) for a in args))]
    if trace is not None:
        elements.append(dict(trace))  # a dict keeps its insertion order, and msgpack writes it so
    return envelope(*elements), d_call(call_id, actor, target, generics, args, trace)


# W3C Trace Context texts (https://www.w3.org/TR/trace-context/), the recommendation's own example.
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
TRACEPARENT = "00-%s-%s-01" % (TRACE_ID, PARENT_ID)
TRACESTATE = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"


def traceparent_vectors():
    """traceparent texts and whether a receiver takes them (W3C Trace Context level 1, 3.2),
    stated by hand from the recommendation, not computed."""
    def ok(text, trace_id, parent_id, flags, sampled, note=None):
        case = {"text": text, "valid": True, "trace_id": trace_id, "parent_id": parent_id, "flags": flags, "sampled": sampled}
        if note:
            case["note"] = note
        return case

    def bad(text, note):
        return {"text": text, "valid": False, "note": note}

    t, p = TRACE_ID, PARENT_ID
    return [
        ok(TRACEPARENT, t, p, 1, True, note="the recommendation's example"),
        ok("00-%s-%s-00" % (t, p), t, p, 0, False, note="not sampled"),
        ok("00-%s-%s-09" % (t, p), t, p, 9, True, note="unknown flag bits are kept"),
        ok("01-%s-%s-01" % (t, p), t, p, 1, True, note="a later version of 55 characters"),
        ok("cc-%s-%s-01-what-the-future-holds" % (t, p), t, p, 1, True,
           note="a later version may add fields after a dash at character 55; they are ignored"),
        bad("", "empty"),
        bad("not a traceparent", "not the format"),
        bad("ff-%s-%s-01" % (t, p), "version ff is invalid"),
        bad("00-%s-%s-01" % (t.upper(), p), "uppercase hex digits are invalid"),
        bad("00-%s-%s-01" % ("0" * 32, p), "an all-zero trace id is invalid"),
        bad("00-%s-%s-01" % (t, "0" * 16), "an all-zero parent id is invalid"),
        bad("00-%s-%s-01-extra" % (t, p), "version 00 is exactly 55 characters"),
        bad("01-%s-%s-01x" % (t, p), "a later version continues only after a dash"),
        bad("00-%s-%s-1" % (t, p), "flags are two digits"),
        bad("00-%s-%s-0g" % (t, p), "flags are hex"),
        bad("00-%s-%s-01" % (t[:-1], p), "a short trace id"),
        bad("00_%s_%s_01" % (t, p), "fields are separated by dashes"),
        bad("0-0%s-%s-01" % (t, p), "a one-digit version"),
    ]


def ret(call_id, value):
    return envelope(RETURN, call_id, Raw(arg_bytes(value))), d_return(call_id, value)


def throw(call_id, code, type_name, message, stack=(), detail=None):
    stack = list(stack)
    return (envelope(THROW, call_id, code, type_name, message, stack, detail),
            d_throw(call_id, code, type_name, message, stack, detail))


def ready(node, pid, actor_type, actor):
    return envelope(READY, node, pid, actor_type, actor), d_ready(node, pid, actor_type, actor)


def heartbeat():
    return envelope(HEARTBEAT), {"kind": "HEARTBEAT"}


def cancel(call_id):
    return envelope(CANCEL, call_id), {"kind": "CANCEL", "call_id": call_id}


def disconnect(reason):
    return envelope(DISCONNECT, reason), {"kind": "DISCONNECT", "reason": reason}


def goodbye():
    return envelope(GOODBYE), {"kind": "GOODBYE"}


def reject(code, message):
    return envelope(REJECT, code, message), {"kind": "REJECT", "code": code, "message": message}


def withdraw(call_ids):
    return envelope(WITHDRAW, list(call_ids)), {"kind": "WITHDRAW", "call_ids": list(call_ids)}


def state(call_id, container, op, args=()):
    args = list(args)
    body = envelope(STATE, call_id, container, op, Raw(array_header(len(args)) + b"".join(arg_bytes(a) for a in args)))
    return body, d_state(call_id, container, op, args)


# ---------------------------------------------------------------------------------------------
# Protocol 1 vectors

def envelope_vectors():
    cases = []

    def valid(name, *envelopes, canonical=True, note=None):
        body = b"".join(e[0] for e in envelopes)
        case = {"name": name, "frame": "body", "hex": body.hex(), "valid": True,
                "canonical": canonical, "decoded": [e[1] for e in envelopes]}
        if note:
            case["note"] = note
        cases.append(case)

    def invalid(name, data, error, frame="body", note=None):
        case = {"name": name, "frame": frame, "hex": bytes(data).hex(), "valid": False, "error": error}
        if note:
            case["note"] = note
        cases.append(case)

    # --- signature frames
    cases.append({"name": "signature/version-1", "frame": "signature", "hex": "54525001", "valid": True})
    invalid("signature/version-2", b"TRP\x02", "unsupportedVersion", frame="signature")
    invalid("signature/version-0", b"TRP\x00", "unsupportedVersion", frame="signature")
    invalid("signature/version-255", b"TRP\xff", "unsupportedVersion", frame="signature")
    invalid("signature/empty", b"", "badSignature", frame="signature")
    invalid("signature/short", b"TRP", "badSignature", frame="signature")
    invalid("signature/long", b"TRP\x01\x00", "badSignature", frame="signature")
    invalid("signature/lowercase", b"trp\x01", "badSignature", frame="signature")
    invalid("signature/zeros", b"\x00\x00\x00\x00", "badSignature", frame="signature")
    invalid("signature/http", b"GET ", "badSignature", frame="signature")

    # --- every kind
    target = "$s4main7GreeterC5greetyS2SYaKFTE"
    valid("call/minimal", call(1, 0, "t"))
    valid("call/greet", call(7, 1, target, args=["hello"]))
    valid("call/generic", call(8, 2, "$s4main6EchoerC4echoyxxYaKSeRzSERzlFTE", generics=["Si"], args=[42]))
    valid("call/void-arguments", call(9, 3, target, generics=["SS", "Sd"], args=[]))
    valid("call/id-max", call(2**64 - 1, 2**64 - 1, target, args=[None]))
    valid("call/trace", call(7, 1, target, args=["hello"], trace=[("traceparent", TRACEPARENT), ("tracestate", TRACESTATE)]),
          note="the optional seventh element: W3C traceparent and tracestate")
    valid("call/trace-traceparent-only", call(7, 1, target, args=["hello"], trace=[("traceparent", TRACEPARENT)]))
    valid("call/trace-other-fields", call(8, 2, "$s4main6EchoerC4echoyxxYaKSeRzSERzlFTE", generics=["Si"], args=[42],
                                          trace=[("b3", "%s-%s-1" % (TRACE_ID, PARENT_ID)), ("baggage", "user=ada")]),
          note="another propagation format's fields travel the same way; a receiver hands them to its tracer")
    valid("call/trace-empty", call(9, 3, target, trace=[]), note="an empty map: the same as no trace context")
    valid("call/trace-malformed-traceparent",
          call(10, 1, target, args=["hello"], trace=[("traceparent", "00-not-a-trace-01"), ("tracestate", "congo=t61rcWkgMzE")]),
          note="a valid envelope: the receiver ignores the traceparent (and then the tracestate) and runs the call")
    valid("call/trace-map16", (array_header(7) + pack(CALL) + pack(11) + pack(1) + pack("t") + b"\x90\x90"
                               + b"\xde\x00\x01" + pack("traceparent") + pack(TRACEPARENT),
                               d_call(11, 1, "t", [], [], [("traceparent", TRACEPARENT)])), canonical=False)
    valid("return/void", ret(7, None))
    valid("return/string", ret(7, "multi_result : hello"))
    valid("return/struct", ret(8, {"name": "Ada", "age": 36, "tags": ["math"]}))
    valid("throw/remote", throw(7, "remote", "main.GreeterError", "greeting refused",
                                ["frame 0", "frame 1"], None))
    valid("throw/with-detail", throw(7, "remote", "main.CodableError", "bad input", [],
                                     pack({"reason": "bad input", "code": 4})))
    valid("throw/unknown-target", throw(9, "unknownTarget", "", "no distributed function $s4x", [], None))
    valid("ready", ready("host-1", 4242, "main.Greeter", 1))
    valid("ready/negative-pid", ready("", -1, "", 0), note="pid is an int; the codec does not judge its value")
    valid("heartbeat", heartbeat())
    valid("cancel", cancel(7))
    valid("disconnect", disconnect("pool terminated"))
    valid("goodbye", goodbye())
    valid("reject", reject("malformed", "CALL has 6 elements, this one has 5"))
    valid("withdraw", withdraw([7, 8, 2**64 - 1]))
    valid("withdraw/empty", withdraw([]), note="nothing to give back; a receiver answers nothing")
    valid("throw/withdrawn", throw(8, "withdrawn", "", "the call was withdrawn before it started; it did not run", [], None))
    valid("state/set", state(11, "dict", "set", [1, 101]))
    valid("state/snapshot", state(12, "array", "snapshot"))

    # --- batches
    valid("batch/every-kind", call(1, 1, target, args=["a"]), ret(1, "b"),
          throw(2, "cancelled", "", "cancelled", [], None), ready("n", 1, "main.W", 5), heartbeat(),
          cancel(3), disconnect("bye"), goodbye(), reject("truncated", "short"), withdraw([5]), state(4, "c", "get", ["k"]))
    valid("batch/traced-and-plain", call(1, 1, target, args=["a"]),
          call(2, 1, target, args=["b"], trace=[("traceparent", TRACEPARENT)]), call(3, 1, target, args=["c"]),
          note="a caller adds the trace element to the calls that have a trace context, and only to them")
    valid("batch/100-calls", *[call(i + 1, 1, target, args=["hello %d" % i, i]) for i in range(100)])
    valid("batch/100-returns", *[ret(i + 1, i * 1000) for i in range(100)])

    # --- every MessagePack int width, as arguments
    ints = [0, 1, 127, 128, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**63 - 1, 2**63, 2**64 - 1,
            -1, -32, -33, -128, -129, -32768, -32769, -2**31, -2**31 - 1, -2**63]
    valid("values/int-widths", call(1, 1, "ints", args=ints))
    valid("values/int-width-forms", call(1, 1, "forms", args=[
        Raw(b"\x05"), Raw(b"\xcc\x05"), Raw(b"\xcd\x00\x05"), Raw(b"\xce\x00\x00\x00\x05"),
        Raw(b"\xcf" + struct.pack(">Q", 5)), Raw(b"\xd0\x05"), Raw(b"\xd1\x00\x05"),
        Raw(b"\xd2\x00\x00\x00\x05"), Raw(b"\xd3" + struct.pack(">q", 5)), Raw(b"\xd0\xfb")]),
        note="the value 5 (and -5) in every width; arguments keep their bytes as sent")
    valid("values/floats", call(1, 1, "floats", args=[
        1.5, -0.0, 1e300, float("inf"), Raw(pack(1.5, single_float=True)), Raw(pack(-2.25, single_float=True))]))
    valid("values/nil-bool", call(1, 1, "scalars", args=[None, True, False]))

    # --- str and bin widths
    valid("values/str-widths", call(1, 1, "strs", args=[
        "", "a" * 31, "b" * 32, "c" * 255, "d" * 256, "e" * 300, "héllo wörld ✓ 𝄞"]))
    valid("values/str32", call(1, 1, "str32", args=["f" * 65536]))
    valid("values/bin-widths", call(1, 1, "bins", args=[
        b"", b"\x00" * 255, b"\x01" * 256, b"\x02" * 300]))
    valid("values/non-minimal-forms", call(1, 1, "forms", args=[
        Raw(b"\xd9\x02hi"), Raw(b"\xda\x00\x02hi"), Raw(b"\xdb\x00\x00\x00\x02hi"),
        Raw(b"\xc5\x00\x01\x00"), Raw(b"\xc6\x00\x00\x00\x01\x00"),
        Raw(b"\xdc\x00\x01\x01"), Raw(b"\xdd\x00\x00\x00\x01\x01"),
        Raw(b"\xde\x00\x01\xa1k\x01"), Raw(b"\xdf\x00\x00\x00\x01\xa1k\x01"),
        Raw(b"\xc7\x01\x05\x00"), Raw(b"\xc8\x00\x01\x05\x00"), Raw(b"\xc9\x00\x00\x00\x01\x05\x00")]),
        note="16- and 32-bit headers for short values: receivers accept every form")
    valid("values/ext", call(1, 1, "ext", args=[
        msgpack.ExtType(1, b"\x01"), msgpack.ExtType(2, b"\x01\x02"), msgpack.ExtType(3, b"1234"),
        msgpack.ExtType(4, b"12345678"), msgpack.ExtType(5, b"0123456789abcdef"),
        msgpack.ExtType(6, b"abc"), msgpack.ExtType(7, b"x" * 300), msgpack.Timestamp(1, 500)]),
          note="the last is a timestamp, extension type -1")

    # --- nested values and container widths
    valid("values/nested", call(1, 1, "nested", args=[
        {"a": [1, 2, {"b": None}], "c": {"d": {"e": [True, False]}}},
        [[[]], [{}], {"k": []}],
        {1: "int key", "s": "str key"}]))
    valid("values/container-widths", call(1, 1, "widths", args=[
        list(range(15)), list(range(16)),
        {("k%02d" % i): i for i in range(15)}, {("k%02d" % i): i for i in range(16)}]))
    depth_ok = Raw(b"\x91" * 509 + b"\x90")
    valid("nesting/call-at-limit", call(1, 1, "deep", args=[depth_ok]),
          note="envelope (level 1) + args (level 2) + 510 nested arrays reach level 512, the limit")
    valid("nesting/return-at-limit", ret(1, Raw(b"\x91" * 510 + b"\x90")),
          note="envelope (level 1) + 511 nested arrays reach level 512, the limit")
    valid("nesting/maps-at-limit", ret(1, Raw(b"\x81\xa1k" * 510 + b"\x80")))

    # --- non-minimal but valid envelope forms
    body = b"\xdc\x00\x02" + pack(CANCEL) + pack(7)
    cases.append({"name": "forms/array16-envelope", "frame": "body", "hex": body.hex(), "valid": True,
                  "canonical": False, "decoded": [{"kind": "CANCEL", "call_id": 7}]})
    body = envelope(Raw(b"\xcf" + struct.pack(">Q", CANCEL)), Raw(b"\xd0\x07"))
    cases.append({"name": "forms/wide-kind-and-signed-call-id", "frame": "body", "hex": body.hex(),
                  "valid": True, "canonical": False, "decoded": [{"kind": "CANCEL", "call_id": 7}]})

    # --- rejected: truncation
    greet = call(7, 1, target, args=["hello", 3])[0]
    invalid("truncated/empty-body", b"", "truncated")
    for cut in (1, 2, 3, 5, 10, len(greet) - 8, len(greet) - 1):
        invalid("truncated/call-at-%d" % cut, greet[:cut], "truncated")
    thr = throw(7, "remote", "E", "m", ["f"], b"\x01\x02")[0]
    invalid("truncated/throw-in-detail", thr[:-1], "truncated")
    invalid("truncated/second-envelope", heartbeat()[0] + greet[:6], "truncated")

    # --- rejected: huge lengths with short data
    invalid("huge/array32-envelope", b"\xdd\xff\xff\xff\xff\x11", "truncated")
    invalid("huge/str32-target", array_header(6) + pack(CALL) + pack(1) + pack(1) + b"\xdb\xff\xff\xff\xffabc", "truncated")
    invalid("huge/array32-args", envelope(CALL, 1, 1, "t", [], Raw(b"\xdd\xff\xff\xff\xff\x01")), "truncated")
    invalid("huge/map32-arg", envelope(CALL, 1, 1, "t", [], Raw(b"\x91\xdf\xff\xff\xff\xff\x01\x02")), "truncated")
    invalid("huge/bin32-detail", envelope(THROW, 1, "c", "t", "m", [], Raw(b"\xc6\xff\xff\xff\xff\x00")), "truncated")
    invalid("huge/ext32-value", envelope(RETURN, 1, Raw(b"\xc9\xff\xff\xff\xff\x01\x00")), "truncated")
    invalid("huge/array16-generics", envelope(CALL, 1, 1, "t", Raw(b"\xdc\xff\xff\xa1a"), []), "truncated")

    # --- rejected: kinds
    for kind in (0, 4, 15, 23, 31, 33, 127, 255, 256, 2**64 - 1):
        invalid("kind/unknown-%d" % kind, envelope(kind), "unknownKind")
    invalid("kind/unknown-with-fields", envelope(99, 1, "x"), "unknownKind")
    invalid("withdraw/zero-id", envelope(WITHDRAW, [7, 0]), "malformed")
    invalid("withdraw/not-an-array", envelope(WITHDRAW, 7), "malformed")
    invalid("withdraw/string-id", envelope(WITHDRAW, ["7"]), "malformed")
    invalid("kind/negative", envelope(-1), "malformed")
    invalid("kind/string", envelope("CALL", 1, 1, "t", [], []), "malformed")
    invalid("kind/nil", envelope(None), "malformed")
    invalid("kind/float", envelope(1.0, 1, 1, "t", [], []), "malformed")

    # --- rejected: shape
    invalid("shape/not-an-array-int", pack(1), "malformed")
    invalid("shape/not-an-array-map", pack({"kind": 17}), "malformed")
    invalid("shape/not-an-array-nil", pack(None), "malformed")
    invalid("shape/unused-byte", b"\xc1", "malformed")
    invalid("shape/empty-envelope", b"\x90", "malformed")
    invalid("arity/call-5", envelope(CALL, 1, 1, "t", []), "malformed")
    invalid("arity/call-8", envelope(CALL, 1, 1, "t", [], [], {}, None), "malformed")
    invalid("arity/return-2", envelope(RETURN, 1), "malformed")
    invalid("arity/throw-6", envelope(THROW, 1, "c", "t", "m", []), "malformed")
    invalid("arity/heartbeat-2", envelope(HEARTBEAT, 0), "malformed")
    invalid("arity/goodbye-2", envelope(GOODBYE, None), "malformed")
    invalid("arity/cancel-1", envelope(CANCEL), "malformed")
    invalid("arity/ready-4", envelope(READY, "n", 1, "t"), "malformed")
    invalid("arity/state-6", envelope(STATE, 1, "c", "op", [], []), "malformed")

    # --- rejected: field types and values
    invalid("type/call-id-string", envelope(CALL, "1", 1, "t", [], []), "malformed")
    invalid("type/call-id-negative", envelope(CALL, -1, 1, "t", [], []), "malformed")
    invalid("type/call-id-zero", envelope(CALL, 0, 1, "t", [], []), "malformed")
    invalid("type/call-id-float", envelope(CALL, 1.0, 1, "t", [], []), "malformed")
    invalid("type/return-call-id-zero", envelope(RETURN, 0, None), "malformed")
    invalid("type/cancel-call-id-zero", envelope(CANCEL, 0), "malformed")
    invalid("type/state-call-id-zero", envelope(STATE, 0, "c", "op", []), "malformed")
    invalid("type/actor-nil", envelope(CALL, 1, None, "t", [], []), "malformed")
    invalid("type/target-int", envelope(CALL, 1, 1, 5, [], []), "malformed")
    invalid("type/target-bin", envelope(CALL, 1, 1, b"t", [], []), "malformed")
    invalid("type/generics-map", envelope(CALL, 1, 1, "t", {}, []), "malformed")
    invalid("type/generics-int-element", envelope(CALL, 1, 1, "t", [1], []), "malformed")
    invalid("type/args-map", envelope(CALL, 1, 1, "t", [], {"a": 1}), "malformed")
    invalid("type/args-nil", envelope(CALL, 1, 1, "t", [], None), "malformed")
    invalid("type/call-trace-nil", envelope(CALL, 1, 1, "t", [], [], None), "malformed",
            note="no trace context is written by leaving the element out, not as nil")
    invalid("type/call-trace-array", envelope(CALL, 1, 1, "t", [], [], ["traceparent", TRACEPARENT]), "malformed")
    invalid("type/call-trace-str", envelope(CALL, 1, 1, "t", [], [], TRACEPARENT), "malformed")
    invalid("type/call-trace-int-value", envelope(CALL, 1, 1, "t", [], [], {"traceparent": 1}), "malformed")
    invalid("type/call-trace-bin-value", envelope(CALL, 1, 1, "t", [], [], {"traceparent": TRACEPARENT.encode()}), "malformed")
    invalid("type/call-trace-int-key", envelope(CALL, 1, 1, "t", [], [], {1: TRACEPARENT}), "malformed")
    invalid("utf8/call-trace-value", envelope(CALL, 1, 1, "t", [], [], Raw(b"\x81\xabtraceparent\xa2\xc3\x28")), "invalidUTF8")
    invalid("truncated/call-trace-map", envelope(CALL, 1, 1, "t", [], [], Raw(b"\x82\xabtraceparent")), "truncated")
    invalid("type/throw-code-nil", envelope(THROW, 1, None, "t", "m", [], None), "malformed")
    invalid("type/throw-stack-nil-element", envelope(THROW, 1, "c", "t", "m", [None], None), "malformed")
    invalid("type/throw-detail-str", envelope(THROW, 1, "c", "t", "m", [], "detail"), "malformed")
    invalid("type/ready-pid-str", envelope(READY, "n", "42", "t", 1), "malformed")
    invalid("type/ready-pid-too-big", envelope(READY, "n", 2**63, "t", 1), "malformed")
    invalid("type/ready-actor-negative", envelope(READY, "n", 1, "t", -5), "malformed")
    invalid("type/disconnect-reason-int", envelope(DISCONNECT, 1), "malformed")
    invalid("type/reject-message-nil", envelope(REJECT, "c", None), "malformed")
    invalid("type/state-op-int", envelope(STATE, 1, "c", 3, []), "malformed")
    invalid("type/unused-byte-in-args", envelope(CALL, 1, 1, "t", [], Raw(b"\x91\xc1")), "malformed")

    # --- rejected: trailing bytes
    invalid("trailing/nil", heartbeat()[0] + b"\xc0", "trailingBytes")
    invalid("trailing/int", heartbeat()[0] + b"\x01", "trailingBytes")
    invalid("trailing/unused-byte", heartbeat()[0] + b"\xc1", "trailingBytes")
    invalid("trailing/garbage", greet + b"GET / HTTP/1.1\r\n", "trailingBytes")
    invalid("trailing/map", cancel(3)[0] + pack({"a": 1}), "trailingBytes")

    # --- rejected: bad UTF-8
    for label, raw in (("lone-ff", b"\xff"), ("overlong-nul", b"\xc0\x80"), ("overlong-slash", b"\xe0\x80\xaf"),
                       ("surrogate", b"\xed\xa0\x80"), ("cut-sequence", b"\xe2\x82"),
                       ("above-10ffff", b"\xf4\x90\x80\x80"), ("lone-continuation", b"a\x80b")):
        invalid("utf8/target-" + label, envelope(CALL, 1, 1, Raw(bytes([0xa0 | len(raw)]) + raw), [], []), "invalidUTF8")
    invalid("utf8/in-argument", envelope(CALL, 1, 1, "t", [], Raw(b"\x91\xa2\xc3\x28")), "invalidUTF8")
    invalid("utf8/in-argument-map-key", envelope(CALL, 1, 1, "t", [], Raw(b"\x91\x81\xa1\xff\x01")), "invalidUTF8")
    invalid("utf8/in-generics", envelope(CALL, 1, 1, "t", Raw(b"\x91\xa1\xfe"), []), "invalidUTF8")
    invalid("utf8/disconnect-reason", envelope(DISCONNECT, Raw(b"\xa3ab\xff")), "invalidUTF8")
    invalid("utf8/str8-ready-node", envelope(READY, Raw(b"\xd9\x01\x80"), 1, "t", 1), "invalidUTF8")

    # --- rejected: nesting
    invalid("nesting/call-over-limit", envelope(CALL, 1, 1, "t", [], Raw(b"\x91" + b"\x91" * 510 + b"\x90")), "nestingTooDeep",
            note="envelope (1) + args (2) + 511 nested arrays reach level 513")
    invalid("nesting/return-over-limit", envelope(RETURN, 1, Raw(b"\x91" * 511 + b"\x90")), "nestingTooDeep")
    invalid("nesting/maps-over-limit", envelope(RETURN, 1, Raw(b"\x81\xa1k" * 511 + b"\x80")), "nestingTooDeep")
    invalid("nesting/deep-unterminated", envelope(RETURN, 1, Raw(b"\x91" * 5000)), "nestingTooDeep",
            note="the limit is met before the missing end is")

    return {
        "protocol": "Troupe Protocol 1: the envelope",
        "signature": "54525001",
        "maximum_depth": 512,
        "generator": "Protocols/tools/make_vectors.py with Python msgpack %s" % ".".join(map(str, msgpack.version)),
        "format": ("Each case is a signature frame or a body frame (hex). A valid body lists its envelopes under "
                   "'decoded' (argument and return values as the hex of their MessagePack bytes); 'canonical' "
                   "says whether a conforming writer re-encodes 'decoded' to exactly 'hex'. A rejected frame "
                   "names the error code a receiver reports. A CALL's optional 'trace' lists its trace "
                   "context's fields as [name, value] pairs, in order. 'traceparent' lists W3C traceparent "
                   "texts with whether a receiver takes them ('valid') and what it reads from them; a CALL "
                   "whose traceparent is not valid is still a valid envelope, run as if it had none."),
        "cases": cases,
        "traceparent": traceparent_vectors(),
    }


# ---------------------------------------------------------------------------------------------
# MessagePack payload mapping vectors (the Swift Codable mapping)

def msgpack_vectors():
    cases = []

    def case(name, swift, value, single_float=False, encode=True, note=None):
        entry = {"name": name, "swift": swift, "hex": pack(value, single_float).hex(), "encode": encode}
        if note:
            entry["note"] = note
        cases.append(entry)

    def raw_case(name, swift, data, encode=False, note=None):
        entry = {"name": name, "swift": swift, "hex": bytes(data).hex(), "encode": encode}
        if note:
            entry["note"] = note
        cases.append(entry)

    def rejected(name, swift, data, error, note=None):
        entry = {"name": name, "swift": swift, "hex": bytes(data).hex(), "error": error}
        if note:
            entry["note"] = note
        cases.append(entry)

    case("point", "Point(x: 1, y: -2)", {"x": 1, "y": -2})
    case("person", 'Person(name: "Ada", age: 36, email: nil, tags: ["math", "engines"], address: Address(street: "12 St James\'s Square", zip: 10001))',
         {"name": "Ada", "age": 36, "tags": ["math", "engines"], "address": {"street": "12 St James's Square", "zip": 10001}},
         note="a nil optional is left out of the map")
    case("person-with-email", 'Person(name: "Ada", age: 36, email: "ada@example.org", tags: [], address: Address(street: "", zip: 0))',
         {"name": "Ada", "age": 36, "email": "ada@example.org", "tags": [], "address": {"street": "", "zip": 0}})
    case("optional-nil", "Int?.none", None)
    case("optional-some", "Int?.some(5)", 5)
    case("enum-circle", "Shape.circle(radius: 1.5)", {"circle": {"radius": 1.5}})
    case("enum-rectangle", "Shape.rectangle(width: 2, height: 3)", {"rectangle": {"width": 2.0, "height": 3.0}})
    case("enum-no-payload", "Shape.origin", {"origin": {}})
    case("enum-unlabeled", 'Shape.labeled("a", count: 2)', {"labeled": {"_0": "a", "count": 2}})
    case("enum-raw-value", "Color.red", "red")
    case("int-array", "[Int] boundaries",
         [0, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, 9223372036854775807,
          -1, -32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649, -9223372036854775808])
    case("uint64-max", "UInt64.max", 2**64 - 1)
    case("int-widths-struct", "Widths(i8: -128, i16: -32768, i32: -2147483648, i64: Int64.min, u8: 255, u16: 65535, u32: UInt32.max, u64: UInt64.max)",
         {"i8": -128, "i16": -32768, "i32": -2147483648, "i64": -2**63, "u8": 255, "u16": 65535, "u32": 2**32 - 1, "u64": 2**64 - 1})
    case("string-dictionary", '["a": 1]', {"a": 1})
    case("int-dictionary", '[7: "seven"]', {"7": "seven"}, note="Int keys are written as their decimal string, as JSON does")
    case("bytes", "[UInt8]([0, 1, 255])", b"\x00\x01\xff")
    case("bytes-256", "[UInt8](repeating: 7, count: 256)", b"\x07" * 256)
    case("double", "0.1", 0.1)
    case("float", "Float(1.5)", 1.5, single_float=True)
    case("bool", "true", True)
    case("string-utf8", '"héllo ✓"', "héllo ✓")
    case("string-40", 'String(repeating: "x", count: 40)', "x" * 40)
    case("nested-arrays", "[[1, 2], [3], []]", [[1, 2], [3], []])
    case("sixteen-fields", "Sixteen(f00: 0, ..., f15: 15)", {("f%02d" % i): i for i in range(16)},
         note="16 entries: the map header grows from fixmap to map 16")
    case("string-array", '["a", "", "ü"]', ["a", "", "ü"])
    case("double-array", "[0.5, -1.0]", [0.5, -1.0])
    case("optional-array", "[Int?]([1, nil, 3])", [1, None, 3])
    # Numeric arrays of 32 elements or more: one ext of little-endian bytes ("Numeric arrays").
    raw_case("numeric/double-32", "(0..<32).map { Double($0) / 2 }",
             b"\xc8" + struct.pack(">H", 256) + bytes([17]) + b"".join(struct.pack("<d", i / 2) for i in range(32)), encode=True)
    raw_case("numeric/float-32", "(0..<32).map { Float($0) }",
             b"\xc8" + struct.pack(">H", 128) + bytes([18]) + b"".join(struct.pack("<f", i) for i in range(32)), encode=True)
    raw_case("numeric/int-32", "(0..<32).map { $0 * -1000 }",
             b"\xc8" + struct.pack(">H", 256) + bytes([19]) + b"".join(struct.pack("<q", i * -1000) for i in range(32)), encode=True)
    raw_case("numeric/int32-32", "(0..<32).map { Int32($0) }",
             b"\xc8" + struct.pack(">H", 128) + bytes([20]) + b"".join(struct.pack("<i", i) for i in range(32)), encode=True)
    case("numeric/double-31", "(0..<31).map { Double($0) }", [float(i) for i in range(31)],
         note="below 32 elements a numeric array is an ordinary array")
    case("value-map", 'MessagePackValue.map(["k": [1, nil, true], 1: "one"])', {"k": [1, None, True], 1: "one"},
         note="MessagePackValue keeps non-string keys")

    # decode-only: forms another writer may produce for the same values
    case("decode/point-reordered", "Point(x: 1, y: -2)", {"y": -2, "x": 1}, encode=False)
    case("decode/point-extra-keys", "Point(x: 1, y: -2)", {"x": 1, "extra": [1, {"deep": None}], "y": -2}, encode=False,
         note="keys the type does not know are skipped")
    raw_case("decode/point-wide-ints", "Point(x: 1, y: -2)",
             b"\x82\xa1x\xcf" + struct.pack(">Q", 1) + b"\xa1y\xd3" + struct.pack(">q", -2))
    case("decode/int-key", '[Int: String] [1: "a"]', {1: "a"}, encode=False,
         note="integer map keys are matched by their decimal string")
    case("decode/double-from-int", "Shape.circle(radius: 2)", {"circle": {"radius": 2}}, encode=False)
    case("decode/double-from-float32", "Shape.circle(radius: 1.5)", {"circle": {"radius": 1.5}}, single_float=True, encode=False)
    case("decode/bytes-from-array", "[UInt8]([1, 2, 3])", [1, 2, 3], encode=False)
    case("decode/double-64-as-array", "(0..<64).map { Double($0) }", [float(i) for i in range(64)], encode=False,
         note="a long numeric array written element by element reads as well")
    case("decode/optional-explicit-nil", 'Person(name: "Ada", age: 36, email: nil, tags: [], address: Address(street: "", zip: 0))',
         {"name": "Ada", "age": 36, "email": None, "tags": [], "address": {"street": "", "zip": 0}}, encode=False,
         note="an explicit nil is the same as a missing key for an optional")

    # rejected
    rejected("reject/trailing-bytes", "Point", pack({"x": 1, "y": -2}) + b"\xc0", "dataCorrupted")
    rejected("reject/type-mismatch", "Point", pack({"x": "1", "y": -2}), "typeMismatch")
    rejected("reject/missing-key", "Point", pack({"x": 1}), "keyNotFound")
    rejected("reject/nil-value", "Point", pack({"x": None, "y": 2}), "valueNotFound")
    rejected("reject/overflow", "Widths", pack({"i8": 128, "i16": 0, "i32": 0, "i64": 0, "u8": 0, "u16": 0, "u32": 0, "u64": 0}), "dataCorrupted")
    rejected("reject/negative-unsigned", "Widths", pack({"i8": 0, "i16": 0, "i32": 0, "i64": 0, "u8": -1, "u16": 0, "u32": 0, "u64": 0}), "dataCorrupted")
    rejected("reject/invalid-utf8", "String", b"\xa2\xc3\x28", "dataCorrupted")
    rejected("reject/truncated", "Point", pack({"x": 1, "y": -2})[:-1], "dataCorrupted")
    rejected("reject/empty", "Point", b"", "dataCorrupted")
    rejected("reject/not-a-map", "Point", pack([1, -2]), "typeMismatch")
    rejected("reject/int-from-float", "Int", pack(1.0), "typeMismatch")
    rejected("reject/deep", "MessagePackValue", b"\x91" * 600 + b"\x90", "dataCorrupted")
    rejected("reject/numeric-partial-element", "[Double]", b"\xc7\x09\x11" + b"\x00" * 9, "dataCorrupted")
    rejected("reject/numeric-wrong-element", "[Double]", b"\xc7\x04\x12" + struct.pack("<f", 1.0), "typeMismatch")

    return {
        "title": "Troupe payload encoding: Swift Codable values as MessagePack",
        "generator": "Protocols/tools/make_vectors.py with Python msgpack %s" % ".".join(map(str, msgpack.version)),
        "format": ("'swift' names the Swift value (the types are declared in the Swift tests); 'hex' is what Python's "
                   "msgpack packs for the equivalent dict/list. When 'encode' is true, encoding the Swift value must give "
                   "exactly 'hex'; decoding 'hex' must give the Swift value back. A case with 'error' must fail to "
                   "decode with that DecodingError case."),
        "cases": cases,
    }


def write(name, document):
    path = os.path.join(PROTOCOLS, name)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(document, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print("wrote %s (%d cases)" % (os.path.relpath(path), len(document["cases"])))


if __name__ == "__main__":
    write("1-envelope-vectors.json", envelope_vectors())
    write("msgpack-vectors.json", msgpack_vectors())
