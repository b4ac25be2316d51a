internal import CZeroMQ

/// Facts about the libzmq library this module is linked against.
///
/// (A namespace named after the module itself, `ZeroMQ`, would shadow the module and
/// break `ZeroMQ.Socket`-style qualification, hence `ZMQ`.)
public enum ZMQ {
    /// A libzmq version number.
    public struct Version: Sendable, Hashable, Comparable, CustomStringConvertible {
        /// The major version (4 for libzmq 4.3.4).
        public let major: Int
        /// The minor version (3 for libzmq 4.3.4).
        public let minor: Int
        /// The patch level (4 for libzmq 4.3.4).
        public let patch: Int

        /// Creates a version number.
        ///
        /// - Parameters:
        ///   - major: The major version.
        ///   - minor: The minor version.
        ///   - patch: The patch level.
        public init(major: Int, minor: Int, patch: Int) {
            self.major = major
            self.minor = minor
            self.patch = patch
        }

        /// Orders versions by major, then minor, then patch.
        ///
        /// - Parameters:
        ///   - lhs: A version.
        ///   - rhs: Another version.
        /// - Returns: `true` when `lhs` is older than `rhs`.
        public static func < (lhs: Version, rhs: Version) -> Bool {
            (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
        }

        /// `"major.minor.patch"`.
        public var description: String { "\(major).\(minor).\(patch)" }
    }

    /// The version of the libzmq loaded at run time (`zmq_version`).
    public static var version: Version {
        var major: Int32 = 0
        var minor: Int32 = 0
        var patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return Version(major: Int(major), minor: Int(minor), patch: Int(patch))
    }

    /// Whether libzmq was built with a capability (`zmq_has`).
    ///
    /// - Parameter capability: One of libzmq's capability names: `"ipc"`, `"pgm"`,
    ///   `"tipc"`, `"norm"`, `"curve"`, `"gssapi"`, `"draft"`.
    /// - Returns: `true` when the capability is available.
    public static func has(capability: String) -> Bool {
        zmq_has(capability) != 0
    }
}
