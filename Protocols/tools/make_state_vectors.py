#!/usr/bin/env python3
"""Generate the test vectors of Protocol 3 (shared state): scripts of STATE operations sent by
one or two clients to a fresh state owner, each with the answer the owner must give.

The bytes come from Python's own `msgpack` library (an implementation independent of
TroupeWire). Run from anywhere:

    python3 Protocols/tools/make_state_vectors.py

It rewrites Protocols/3-state-vectors.json. The output is deterministic.
"""

import json
import os
import struct
import sys

import msgpack

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_vectors import PROTOCOLS, Raw, arg_bytes, pack, state  # noqa: E402

CLIENTS = {"A": "state-client-a", "B": "state-client-b"}
NIL = None


class Script:
    """Steps of one scenario: what a client sends, and what the owner answers."""

    def __init__(self):
        self.steps = []
        self.next_id = {name: 1 for name in CLIENTS}

    def _call_id(self, client):
        call_id = self.next_id[client]
        self.next_id[client] += 1
        return call_id

    def _operation(self, client, container, op, args):
        call_id = self._call_id(client)
        body, decoded = state(call_id, container, op, args)
        return call_id, body, {"call_id": call_id, "container": container, "op": op, "args": decoded["args"]}

    def ok(self, client, container, op, args, result, note=None):
        """An operation answered at once by a RETURN of `result`."""
        call_id, body, operation = self._operation(client, container, op, args)
        step = {"client": client, "send": operation, "hex": body.hex(),
                "expect": {"return": arg_bytes(result).hex(), "shows": show(result)}}
        if note:
            step["note"] = note
        self.steps.append(step)
        return call_id

    def fails(self, client, container, op, args, code, note=None, after=None):
        """An operation answered by a THROW with `code` (after at least `after` seconds)."""
        call_id, body, operation = self._operation(client, container, op, args)
        step = {"client": client, "send": operation, "hex": body.hex(), "expect": {"throw": code}}
        if after is not None:
            step["expect"]["after_seconds"] = after
        if note:
            step["note"] = note
        self.steps.append(step)
        return call_id

    def waits(self, client, container, op, args, result, note=None, after=None):
        """A blocking operation that is answered only later (or after `after` seconds)."""
        call_id, body, operation = self._operation(client, container, op, args)
        if after is not None:
            step = {"client": client, "send": operation, "hex": body.hex(),
                    "expect": {"return": arg_bytes(result).hex(), "shows": show(result), "after_seconds": after}}
        else:
            step = {"client": client, "send": operation, "hex": body.hex(), "expect": {"pending": True}}
        if note:
            step["note"] = note
        self.steps.append(step)
        return call_id

    def receive(self, client, call_id, result, note=None):
        """The answer to an earlier pending operation arrives now."""
        step = {"client": client, "receive": call_id,
                "expect": {"return": arg_bytes(result).hex(), "shows": show(result)}}
        if note:
            step["note"] = note
        self.steps.append(step)

    def batch(self, client, operations, results, note=None):
        """Several operations in one body; the answers come in the same order."""
        body = b""
        sent = []
        for container, op, args in operations:
            call_id, part, operation = self._operation(client, container, op, args)
            body += part
            sent.append(operation)
        step = {"client": client, "send_batch": sent, "hex": body.hex(),
                "expect_batch": [{"return": arg_bytes(r).hex(), "shows": show(r)} for r in results]}
        if note:
            step["note"] = note
        self.steps.append(step)


def show(value):
    """A readable rendering of an expected value (the hex is normative)."""
    if isinstance(value, Raw):
        return "raw " + value.data.hex()
    return repr(value)


def dictionary():
    s = Script()
    d = "dict-1"
    s.ok("A", d, "create", ["dict"], "dict")
    s.ok("A", d, "create", ["dict", {"x": 99}], "dict", note="the name exists with the same kind: attach, contents unchanged")
    s.ok("A", d, "get", ["x"], NIL, note="an absent key reads as nil")
    s.ok("A", d, "set", ["x", 1], NIL)
    s.ok("A", d, "set", [1, "one"], NIL, note="keys are any MessagePack value")
    s.ok("A", d, "get", [1], "one")
    s.ok("A", d, "get", [Raw(b"\xcd\x00\x01")], "one", note="integers are equal by value, whatever their encoding")
    s.ok("A", d, "get", [Raw(b"\xd3" + struct.pack(">q", 1))], "one")
    s.ok("A", d, "get", [1.0], NIL, note="a float is never equal to an integer")
    s.ok("A", d, "get", [b"x"], NIL, note="a bin is never equal to a str")
    s.ok("A", d, "increment", ["n", 5], 5, note="an absent key counts as 0")
    s.ok("A", d, "increment", ["n", -7], -2)
    s.ok("A", d, "increment", ["n", 0.5], -1.5, note="integer plus float gives a float 64")
    s.ok("A", d, "set", ["big", 2**63 - 1], NIL)
    s.fails("A", d, "increment", ["big", 1], "invalidArgument", note="overflow of 64-bit signed integers; nothing changes")
    s.ok("A", d, "get", ["big"], 2**63 - 1)
    s.ok("A", d, "set", ["s", "text"], NIL)
    s.fails("A", d, "increment", ["s", 1], "typeMismatch")
    s.ok("A", d, "incrementMany", [{"w1": 3, "w2": 1, "n": 2}], NIL, note="many keys in one atomic step")
    s.ok("A", d, "getMany", [["w1", "w2", "n"]], [3, 1, 0.5])
    s.fails("A", d, "incrementMany", [{"w1": 1, "s": 1}], "typeMismatch", note="one bad sum: nothing is stored")
    s.ok("A", d, "get", ["w1"], 3)
    s.fails("A", d, "incrementMany", [["w1"]], "badArguments", note="the argument must be a map")
    s.ok("A", d, "contains", ["x"], True)
    s.ok("A", d, "contains", ["nope"], False)
    s.ok("A", d, "getMany", [["x", "nope", 1]], [1, NIL, "one"])
    s.ok("A", d, "update", [{"y": 2, "z": 3}], NIL)
    s.ok("A", d, "keys", [], ["x", 1, "n", "big", "s", "w1", "w2", "y", "z"], note="insertion order")
    s.ok("A", d, "compareExchange", ["x", 1, 10], [True, 1])
    s.ok("A", d, "compareExchange", ["x", 1, 11], [False, 10])
    s.ok("A", d, "compareExchange", ["new", NIL, 7], [True, NIL], note="expected nil: store only if the key is absent")
    s.ok("A", d, "compareExchange", ["new", NIL, 8], [False, 7])
    s.ok("A", d, "remove", ["y"], 2)
    s.ok("A", d, "remove", ["y"], NIL)
    s.ok("A", d, "set", ["x", 12], NIL, note="changing a value keeps the key's place")
    s.ok("A", d, "values", [], [12, "one", 0.5, 2**63 - 1, "text", 3, 1, 3, 7])
    s.ok("A", d, "count", [], 9)
    s.ok("A", d, "kind", [], "dict")
    s.ok("A", d, "snapshot", [], {"x": 12, 1: "one", "n": 0.5, "big": 2**63 - 1, "s": "text", "w1": 3, "w2": 1, "z": 3, "new": 7},
         note="a map, in insertion order")
    s.ok("B", d, "get", ["x"], 12, note="every client sees the same container")
    s.batch("B", [(d, "set", ["b", 1]), (d, "increment", ["b", 1]), (d, "get", ["b"])], [NIL, 2, 2],
            note="three operations in one body: answered in order, each one atomic")
    s.ok("A", d, "clear", [], NIL)
    s.ok("A", d, "count", [], 0)
    s.fails("A", d, "frobnicate", [], "invalidArgument", note="an operation the kind does not have")
    s.fails("A", d, "get", [], "badArguments", note="too few arguments")
    s.fails("A", d, "set", ["k"], "badArguments")
    s.fails("A", d, "update", [[1, 2]], "badArguments")
    s.fails("A", d, "getMany", ["x"], "badArguments")
    s.fails("A", d, "create", ["list"], "typeMismatch", note="the name exists with another kind")
    s.fails("A", "no-such-container", "get", ["x"], "unknownContainer")
    s.fails("A", "no-such-container", "kind", [], "unknownContainer")
    s.fails("A", "t-1", "create", ["tree"], "invalidArgument", note="an unknown kind")
    s.fails("A", "t-1", "create", [], "badArguments")
    s.fails("A", "t-1", "create", [5], "badArguments")
    s.ok("A", "d-init", "create", ["dict", {"a": 1, "b": [2]}], "dict")
    s.ok("A", "d-init", "snapshot", [], {"a": 1, "b": [2]})
    return s.steps


def array():
    s = Script()
    a = "array-1"
    s.ok("A", a, "create", ["array", "i", [11, 22, 33, 44]], "array")
    s.ok("A", a, "create", ["array", "i", [0, 0, 0, 0]], "array", note="same kind, type code and size: attach")
    s.fails("A", a, "create", ["array", "i", [1, 2, 3]], "typeMismatch", note="another size")
    s.fails("A", a, "create", ["array", "l", [1, 2, 3, 4]], "typeMismatch", note="another type code")
    s.ok("A", a, "get", [0], 11)
    s.ok("A", a, "get", [-1], 44, note="negative indices count from the end")
    s.fails("A", a, "get", [4], "indexOutOfRange")
    s.fails("A", a, "get", [-5], "indexOutOfRange")
    s.fails("A", a, "get", ["0"], "typeMismatch")
    s.fails("A", a, "get", [1.0], "typeMismatch")
    s.ok("A", a, "set", [0, 100], NIL)
    s.fails("A", a, "set", [0, 2**31], "invalidArgument", note="does not fit an Int32 element")
    s.fails("A", a, "set", [0, 1.5], "typeMismatch")
    s.fails("A", a, "set", [9, 1], "indexOutOfRange")
    s.ok("A", a, "add", [1, 5], 27)
    s.fails("A", a, "add", [1, 2**31 - 1], "invalidArgument", note="overflow: nothing changes")
    s.ok("A", a, "get", [1], 27)
    s.ok("B", a, "add", [-1, -4], 40)
    s.ok("A", a, "typeCode", [], "i")
    s.ok("A", a, "count", [], 4)
    s.ok("A", a, "kind", [], "array")
    s.ok("A", a, "snapshot", [], [100, 27, 33, 40])
    s.fails("A", a, "append", [1], "invalidArgument", note="a fixed-size array has no append")
    s.fails("A", a, "get", [], "badArguments")
    ad = "array-2"
    s.ok("A", ad, "create", ["array", "d", [0.5, 1, 2]], "array", note="integers are accepted for 'd' elements")
    s.ok("A", ad, "add", [1, 1], 2.0, note="'d' elements are float 64")
    s.ok("A", ad, "set", [2, 3], NIL)
    s.ok("A", ad, "snapshot", [], [0.5, 2.0, 3.0])
    s.fails("A", ad, "set", [0, "x"], "typeMismatch")
    al = "array-3"
    s.ok("A", al, "create", ["array", "l", [2**62, -1]], "array")
    s.fails("A", al, "add", [0, 2**62], "invalidArgument", note="Int64 overflow")
    s.ok("A", al, "add", [1, -2**62], -2**62 - 1)
    s.ok("A", al, "typeCode", [], "l")
    s.fails("A", "array-bad-1", "create", ["array", "q", []], "invalidArgument", note="type codes are i, l and d")
    s.fails("A", "array-bad-2", "create", ["array", "i"], "badArguments")
    s.fails("A", "array-bad-3", "create", ["array", "i", [1, "x"]], "typeMismatch")
    s.fails("A", "array-bad-4", "create", ["array", "i", [2**40]], "invalidArgument")
    s.fails("A", "array-bad-1", "get", [0], "unknownContainer", note="a failed create creates nothing")
    return s.steps


def list_():
    s = Script()
    name = "list-1"
    s.ok("A", name, "create", ["list", [1, 2]], "list")
    s.ok("A", name, "append", [3], NIL)
    s.ok("A", name, "extend", [[4, 5]], NIL)
    s.ok("A", name, "get", [0], 1)
    s.ok("A", name, "get", [-1], 5)
    s.fails("A", name, "get", [5], "indexOutOfRange")
    s.ok("A", name, "set", [0, "a"], NIL)
    s.fails("A", name, "set", [-6, "a"], "indexOutOfRange")
    s.ok("A", name, "insert", [0, "first"], NIL)
    s.ok("A", name, "insert", [100, "last"], NIL, note="insert clamps its index: never out of range")
    s.ok("A", name, "insert", [-1, "before-last"], NIL)
    s.ok("A", name, "snapshot", [], ["first", "a", 2, 3, 4, 5, "before-last", "last"])
    s.ok("A", name, "pop", [], "last", note="no index: the last element")
    s.ok("A", name, "pop", [NIL], "before-last", note="nil: the last element")
    s.ok("A", name, "pop", [0], "first")
    s.ok("A", name, "count", [], 5)
    s.ok("A", name, "kind", [], "list")
    s.fails("A", name, "extend", [5], "badArguments")
    s.fails("A", name, "insert", ["x", 1], "typeMismatch")
    s.ok("A", name, "clear", [], NIL)
    s.fails("A", name, "pop", [], "indexOutOfRange", note="pop from an empty list")
    s.ok("A", "list-2", "create", ["list"], "list")
    s.ok("A", "list-2", "snapshot", [], [])
    return s.steps


def value():
    s = Script()
    v = "value-1"
    s.ok("A", v, "create", ["value", 10], "value")
    s.ok("A", v, "get", [], 10)
    s.ok("A", v, "set", [20], NIL)
    s.ok("A", v, "increment", [5], 25)
    s.ok("A", v, "increment", [0.5], 25.5)
    s.ok("A", v, "compareExchange", [25.5, 1], [True, 25.5])
    s.ok("A", v, "compareExchange", [2, 3], [False, 1])
    s.ok("A", v, "count", [], 1)
    s.ok("A", v, "snapshot", [], 1)
    s.ok("A", v, "kind", [], "value")
    s.ok("A", "value-2", "create", ["value"], "value", note="no initial value: nil")
    s.ok("A", "value-2", "get", [], NIL)
    s.fails("A", "value-2", "increment", [1], "typeMismatch", note="nil is not a number")
    s.ok("A", "value-2", "set", [{"any": ["value", 1]}], NIL)
    s.ok("A", "value-2", "get", [], {"any": ["value", 1]})
    s.fails("A", "value-2", "set", [], "badArguments")
    return s.steps


def queue():
    s = Script()
    q = "queue-1"
    s.ok("A", q, "create", ["queue"], "queue")
    s.ok("A", q, "put", [1], NIL)
    s.ok("A", q, "put", ["two"], NIL)
    s.ok("A", q, "count", [], 2)
    s.ok("A", q, "snapshot", [], [1, "two"])
    s.ok("A", q, "get", [], 1, note="first in, first out")
    s.ok("B", q, "get", [0], "two")
    s.fails("A", q, "get", [0], "timeout", note="timeout 0 on an empty queue: fail at once")
    s.fails("A", q, "get", [0.2], "timeout", after=0.2, note="waits 0.2 s for an element, then fails")
    waiting = s.waits("B", q, "get", [], None, note="no timeout: waits until an element is put")
    s.ok("A", q, "put", ["handed"], NIL, note="goes straight to the waiting get")
    s.receive("B", waiting, "handed")
    s.ok("A", q, "count", [], 0)
    s.ok("A", q, "kind", [], "queue")
    s.fails("A", q, "put", [], "badArguments")
    return s.steps


def lock():
    s = Script()
    k = "lock-1"
    a, b = CLIENTS["A"], CLIENTS["B"]
    s.ok("A", k, "create", ["lock"], "lock")
    s.ok("A", k, "holder", [], NIL)
    s.ok("A", k, "count", [], 0)
    s.ok("A", k, "acquire", [1, NIL], True, note="token 1, no timeout; the lock was free")
    s.ok("A", k, "holder", [], a, note="the holder's node: at a supervisor, the connection's routing identity")
    s.ok("B", k, "acquire", [2, 0], False, note="timeout 0: do not wait")
    s.waits("B", k, "acquire", [2, 0.2], False, after=0.2, note="waits 0.2 s, then answers false")
    s.fails("B", k, "release", [2], "lockNotHeld")
    s.fails("A", k, "release", [2], "lockNotHeld", note="the holder, with another token")
    waiting = s.waits("B", k, "acquire", [2], None, note="no timeout: waits")
    s.ok("A", k, "release", [1], NIL, note="hands the lock to the first waiter")
    s.receive("B", waiting, True)
    s.ok("A", k, "holder", [], b)
    s.ok("A", k, "snapshot", [], b)
    s.ok("A", k, "count", [], 1)
    s.ok("B", k, "release", [2], NIL)
    s.fails("A", k, "acquire", ["x"], "badArguments", note="a token is a non-negative integer")
    s.fails("A", k, "acquire", [-1], "badArguments")
    s.ok("A", k, "acquire", [3], True)
    s.ok("A", k, "acquire", [3, 0], False, note="not re-entrant, even for the same client and token")
    s.ok("A", k, "release", [3], NIL)
    s.ok("A", k, "kind", [], "lock")
    return s.steps


def document():
    scenarios = [
        {"name": "dict", "steps": dictionary()},
        {"name": "array", "steps": array()},
        {"name": "list", "steps": list_()},
        {"name": "value", "steps": value()},
        {"name": "queue", "steps": queue()},
        {"name": "lock", "steps": lock()},
    ]
    return {
        "protocol": "Troupe Protocol 3: shared state",
        "signature": "54525001",
        "generator": "Protocols/tools/make_state_vectors.py with Python msgpack %s" % ".".join(map(str, msgpack.version)),
        "clients": CLIENTS,
        "format": (
            "Each scenario runs against a fresh state owner. Each step is sent by client A or B (each its own "
            "connection, with the routing identity listed under 'clients'): 'hex' is the body frame of the Protocol 1 "
            "message (after the signature 54 52 50 01), whose STATE envelopes are also listed decoded ('args' as the "
            "hex of each argument). 'expect' is the answer: 'return' (the hex of the RETURN's value, compared as "
            "decoded values, integers by value; 'shows' is a readable rendering), 'throw' (the THROW's code), or "
            "'pending' (no answer yet: a later 'receive' step names the call_id and its answer). 'after_seconds' "
            "means the answer comes no sooner than that. A 'send_batch' step puts several envelopes in one body and "
            "expects their answers in order."),
        "scenarios": scenarios,
    }


if __name__ == "__main__":
    path = os.path.join(PROTOCOLS, "3-state-vectors.json")
    doc = document()
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")
    steps = sum(len(s["steps"]) for s in doc["scenarios"])
    print("wrote %s (%d scenarios, %d steps)" % (os.path.relpath(path), len(doc["scenarios"]), steps))
