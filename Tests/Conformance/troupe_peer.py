"""A Troupe peer in Python, written from the specifications in Protocols/ alone.

Protocol 1 (1-envelope.md): two-frame messages, signature 54 52 50 01, a body of MessagePack
arrays (envelopes). Protocol 2 (2-supervision.md): three-frame messages, signature
54 52 53 01, a MessagePack header array and a payload. Protocol 3 (3-state.md): STATE
envelopes (kind 32) answered by RETURN or THROW.

Only pyzmq and msgpack are used.
"""

import time

import msgpack
import zmq

# Protocol 1
P1_SIGNATURE = b"TRP\x01"
CALL, RETURN, THROW = 1, 2, 3
READY1, HEARTBEAT1, CANCEL1, DISCONNECT1, GOODBYE1, REJECT = 16, 17, 18, 19, 20, 21
STATE = 32

# Protocol 2
P2_SIGNATURE = b"TRS\x01"
REQUEST, REPLY, ERROR, CANCEL, READY, HEARTBEAT, DISCONNECT = 64, 65, 66, 67, 68, 69, 70
STATUS_QUERY, STATUS, STOP, DONE = 71, 72, 73, 74
CREDIT, STARTED, WITHDRAW, WITHDRAWN, BATCH = 75, 76, 77, 78, 79
COMMAND_NAMES = {CREDIT: "CREDIT", STARTED: "STARTED", WITHDRAW: "WITHDRAW", WITHDRAWN: "WITHDRAWN", BATCH: "BATCH",
                 REQUEST: "REQUEST", REPLY: "REPLY", ERROR: "ERROR", CANCEL: "CANCEL", READY: "READY",
                 HEARTBEAT: "HEARTBEAT", DISCONNECT: "DISCONNECT", STATUS_QUERY: "STATUS-QUERY",
                 STATUS: "STATUS", STOP: "STOP", DONE: "DONE"}


def pack(value):
    """MessagePack as the specs ask: str for text, bin for bytes, smallest forms."""
    return msgpack.packb(value, use_bin_type=True)


def array_header(count):
    """The header of a MessagePack array of `count` elements, in its smallest form."""
    packer = msgpack.Packer()
    return packer.pack_array_header(count)


def unpack(data):
    return msgpack.unpackb(data, raw=False, strict_map_key=False)


def unpack_body(body):
    """A Protocol 1 body: one or more envelopes back to back."""
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
    unpacker.feed(body)
    return list(unpacker)


class Message:
    """A received message: its protocol, and its decoded parts."""

    def __init__(self, frames):
        self.frames = frames
        self.protocol = None
        self.command = None      # Protocol 2: the header array
        self.payload = b""       # Protocol 2: the payload frame
        self.envelopes = []      # Protocol 1: the body's envelopes
        self.commands = []       # Protocol 2: every (header array, payload) of the message
        if len(frames) >= 3 and len(frames) % 2 == 1 and frames[0] == P2_SIGNATURE:
            # One command, or several after BATCH: a header and a payload frame each.
            self.protocol = 2
            self.commands = [(unpack(frames[i]), frames[i + 1]) for i in range(1, len(frames), 2)]
            self.command, self.payload = self.commands[0]
        elif len(frames) == 2 and frames[0] == P1_SIGNATURE:
            self.protocol = 1
            self.envelopes = unpack_body(frames[1])

    @property
    def is_heartbeat(self):
        return self.protocol == 2 and len(self.commands) == 1 and self.command == [HEARTBEAT]

    def __repr__(self):
        if self.protocol == 2:
            return "P2 %s %r (+%d payload bytes)" % (COMMAND_NAMES.get(self.command[0], "?"), self.command[1:], len(self.payload))
        if self.protocol == 1:
            return "P1 %r" % (self.envelopes,)
        return "unknown %r" % (self.frames,)


class Peer:
    """One DEALER connection to a supervisor (or another Troupe ROUTER)."""

    def __init__(self, context, endpoint, identity=None, curve=None):
        """`curve`: (server_public, own_public, own_secret), each 40 Z85 characters, or None."""
        self.socket = context.socket(zmq.DEALER)
        self.socket.setsockopt(zmq.LINGER, 0)
        # A DEALER with no connected peer blocks on send (say, while a refused CURVE handshake
        # is retried): never wait for ever; a send that cannot leave raises zmq.Again.
        self.socket.setsockopt(zmq.SNDTIMEO, 5000)
        if identity is not None:
            self.socket.setsockopt(zmq.ROUTING_ID, identity.encode() if isinstance(identity, str) else identity)
        if curve is not None:
            server, public, secret = (k.encode() if isinstance(k, str) else k for k in curve)
            self.socket.curve_serverkey = server
            self.socket.curve_publickey = public
            self.socket.curve_secretkey = secret
        self.socket.connect(endpoint)
        self.heartbeats_received = 0
        self.last_heard = time.monotonic()
        self.last_sent = time.monotonic()

    def close(self):
        self.socket.close(0)

    # Sending

    def send_command(self, *header, payload=b""):
        self.socket.send_multipart([P2_SIGNATURE, pack(list(header)), payload])
        self.last_sent = time.monotonic()

    def send_batch(self, *commands):
        """Several commands in one message (after BATCH): each a (header list, payload) pair."""
        frames = [P2_SIGNATURE]
        for header, payload in commands:
            frames += [pack(list(header)), payload]
        self.socket.send_multipart(frames)
        self.last_sent = time.monotonic()

    def send_envelopes(self, *envelopes):
        self.socket.send_multipart([P1_SIGNATURE, b"".join(pack(list(e)) for e in envelopes)])
        self.last_sent = time.monotonic()

    def send_body(self, body):
        self.socket.send_multipart([P1_SIGNATURE, body])
        self.last_sent = time.monotonic()

    def send_frames(self, frames):
        self.socket.send_multipart(frames)
        self.last_sent = time.monotonic()

    # Receiving

    def receive(self, timeout, keep_heartbeats=False):
        """The next message within `timeout` seconds, or None. HEARTBEATs are counted and
        skipped unless `keep_heartbeats`."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not self.socket.poll(int(left * 1000) + 1):
                return None
            message = Message(self.socket.recv_multipart())
            self.last_heard = time.monotonic()
            if message.is_heartbeat:
                self.heartbeats_received += 1
                if not keep_heartbeats:
                    continue
            return message

    def receive_where(self, predicate, timeout):
        """The first message within `timeout` for which `predicate` holds; others are dropped."""
        deadline = time.monotonic() + timeout
        while True:
            message = self.receive(max(0.0, deadline - time.monotonic()))
            if message is None:
                return None
            if predicate(message):
                return message

    def status(self, request_id, timeout=5.0):
        """STATUS-QUERY → STATUS; returns the decoded map, or None on timeout."""
        self.send_command(STATUS_QUERY, request_id)
        reply = self.receive_where(lambda m: m.protocol == 2 and m.command[:2] == [STATUS, request_id], timeout)
        return None if reply is None else unpack(reply.payload)

    def heartbeat_if_due(self, interval):
        if time.monotonic() - self.last_sent >= interval:
            self.send_command(HEARTBEAT)


def strict_equal(a, b):
    """Decoded MessagePack values equal with their types (an int is not a float, nor a bool)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a.keys()) == list(b.keys()) and all(strict_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(strict_equal(x, y) for x, y in zip(a, b))
    return a == b
