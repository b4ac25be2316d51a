/// One envelope of Protocol 1: a distributed call, its outcome, or a link or state command.
///
/// On the wire an envelope is a MessagePack array whose first element is the ``Kind``; a body
/// frame holds one or more envelopes back to back (see ``EnvelopeWriter`` and
/// ``EnvelopeDecoder``, and `Protocols/1-envelope.md`).
public enum Envelope: Sendable, Equatable {
    /// `CALL` (1): invoke a distributed function.
    case call(Call)
    /// `RETURN` (2): a call's result.
    case `return`(Return)
    /// `THROW` (3): a call's failure.
    case `throw`(Throw)
    /// `READY` (16): a worker announces itself (Protocol 2).
    case ready(Ready)
    /// `HEARTBEAT` (17): the sender is alive (Protocol 2).
    case heartbeat
    /// `CANCEL` (18): the caller no longer wants the outcome of a call (Protocol 2).
    case cancel(callID: UInt64)
    /// `DISCONNECT` (19): the sender is going away (Protocol 2).
    case disconnect(reason: String)
    /// `GOODBYE` (20): acknowledges a `DISCONNECT` (Protocol 2).
    case goodbye
    /// `REJECT` (21): the sender could not decode a message from the receiver (Protocol 2).
    case reject(Reject)
    /// `WITHDRAW` (22): the caller takes back calls it sent that have not started; each one
    /// withdrawn is answered with a `THROW` whose code is `withdrawn`.
    case withdraw(callIDs: [UInt64])
    /// `STATE` (32): an operation on a shared-state owner (Protocol 3).
    case state(StateOperation)

    /// The envelope's kind.
    public var kind: Kind {
        switch self {
        case .call: .call
        case .return: .return
        case .throw: .throw
        case .ready: .ready
        case .heartbeat: .heartbeat
        case .cancel: .cancel
        case .disconnect: .disconnect
        case .goodbye: .goodbye
        case .reject: .reject
        case .withdraw: .withdraw
        case .state: .state
        }
    }
}

extension Envelope {
    /// The kind of an envelope: the first element of its array.
    public enum Kind: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// `CALL`: `[1, call_id, actor, target, generics, args]`, and optionally a trace context
        /// as a seventh element.
        case call = 1
        /// `RETURN`: `[2, call_id, value]`.
        case `return` = 2
        /// `THROW`: `[3, call_id, code, type, message, stack, detail]`.
        case `throw` = 3
        /// `READY`: `[16, node, pid, actor_type, actor]`.
        case ready = 16
        /// `HEARTBEAT`: `[17]`.
        case heartbeat = 17
        /// `CANCEL`: `[18, call_id]`.
        case cancel = 18
        /// `DISCONNECT`: `[19, reason]`.
        case disconnect = 19
        /// `GOODBYE`: `[20]`.
        case goodbye = 20
        /// `REJECT`: `[21, code, message]`.
        case reject = 21
        /// `WITHDRAW`: `[22, [call_id, ...]]`.
        case withdraw = 22
        /// `STATE`: `[32, call_id, container, op, args]`.
        case state = 32

        /// The number of elements in an envelope of this kind, the kind included, without the
        /// optional ones (see ``maximumArity``).
        public var arity: Int {
            switch self {
            case .call: 6
            case .return: 3
            case .throw: 7
            case .ready: 5
            case .heartbeat: 1
            case .cancel: 2
            case .disconnect: 2
            case .goodbye: 1
            case .reject: 3
            case .withdraw: 2
            case .state: 5
            }
        }

        /// The number of elements in an envelope of this kind with every optional element: 7
        /// for `CALL` (its trace context), ``arity`` for every other kind.
        public var maximumArity: Int {
            self == .call ? 7 : arity
        }

        /// The kind's name as the specification spells it (`"CALL"`, `"RETURN"`, …).
        public var description: String {
            switch self {
            case .call: "CALL"
            case .return: "RETURN"
            case .throw: "THROW"
            case .ready: "READY"
            case .heartbeat: "HEARTBEAT"
            case .cancel: "CANCEL"
            case .disconnect: "DISCONNECT"
            case .goodbye: "GOODBYE"
            case .reject: "REJECT"
            case .withdraw: "WITHDRAW"
            case .state: "STATE"
            }
        }
    }
}
