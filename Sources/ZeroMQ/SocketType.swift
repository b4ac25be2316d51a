/// The ZeroMQ socket patterns (`ZMQ_PAIR` … `ZMQ_XSUB`); raw values are libzmq's numbers.
public enum SocketType: Int32, Sendable, CaseIterable, CustomStringConvertible {
    /// `ZMQ_PAIR`: exclusive pair, used for `inproc://` signalling and socket monitors.
    case pair = 0
    /// `ZMQ_PUB`: publisher; sends to every matching subscriber, never blocks.
    case pub = 1
    /// `ZMQ_SUB`: subscriber; receives only topics it subscribed to.
    case sub = 2
    /// `ZMQ_REQ`: strict send-then-receive requester.
    case req = 3
    /// `ZMQ_REP`: strict receive-then-send replier (a ZAP handler is one).
    case rep = 4
    /// `ZMQ_DEALER`: asynchronous requester, round-robins outgoing messages.
    case dealer = 5
    /// `ZMQ_ROUTER`: asynchronous replier; prefixes each message with its sender's routing id.
    case router = 6
    /// `ZMQ_PULL`: pipeline receiver (fair-queued).
    case pull = 7
    /// `ZMQ_PUSH`: pipeline sender (load-balanced).
    case push = 8
    /// `ZMQ_XPUB`: publisher that also receives subscription messages.
    case xpub = 9
    /// `ZMQ_XSUB`: subscriber that sends subscriptions as messages.
    case xsub = 10

    /// The libzmq name, e.g. `"DEALER"`.
    public var description: String {
        switch self {
        case .pair: "PAIR"
        case .pub: "PUB"
        case .sub: "SUB"
        case .req: "REQ"
        case .rep: "REP"
        case .dealer: "DEALER"
        case .router: "ROUTER"
        case .pull: "PULL"
        case .push: "PUSH"
        case .xpub: "XPUB"
        case .xsub: "XSUB"
        }
    }
}
