extension Envelope {
    /// The trace context a `CALL` carries in its optional last element: the caller's
    /// propagation fields, such as W3C Trace Context's `traceparent` and `tracestate`, as
    /// names and values in the order the caller wrote them.
    ///
    /// On the wire it is a MessagePack map from str to str (Protocol 1, "CALL"). Whatever
    /// propagation format the caller's tracer uses travels here; a W3C one writes
    /// ``traceParentName`` and ``traceStateName``. The envelope layer checks only the map's
    /// shape: a receiver ignores a `traceparent` that is not valid (see ``validTraceParent``)
    /// and never rejects or fails a call because of one.
    public struct TraceContext: Sendable, Hashable {
        /// One propagation field: a name and its text.
        public struct Field: Sendable, Hashable {
            /// The field's name, such as `traceparent`.
            public var name: String
            /// The field's text.
            public var value: String

            /// Creates a field.
            /// - Parameters:
            ///   - name: The field's name.
            ///   - value: The field's text.
            public init(name: String, value: String) {
                self.name = name
                self.value = value
            }
        }

        /// The name of W3C Trace Context's parent field: `traceparent`.
        public static let traceParentName = "traceparent"
        /// The name of W3C Trace Context's vendor field: `tracestate`.
        public static let traceStateName = "tracestate"

        /// The fields, in the order they are written.
        public var fields: [Field]

        /// Creates a trace context from fields.
        /// - Parameter fields: The fields, in the order they are to be written.
        public init(fields: [Field] = []) {
            self.fields = fields
        }

        /// Creates a W3C trace context.
        /// - Parameters:
        ///   - traceParent: The `traceparent` text, such as
        ///     `00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01`.
        ///   - traceState: The `tracestate` text, if the caller has one.
        public init(traceParent: String, traceState: String? = nil) {
            fields = [Field(name: Self.traceParentName, value: traceParent)]
            if let traceState { fields.append(Field(name: Self.traceStateName, value: traceState)) }
        }

        /// Whether there is no field.
        public var isEmpty: Bool { fields.isEmpty }

        /// The text of the first field named `name`. Setting a text replaces that field's text
        /// (or adds the field at the end); setting nil removes every field of that name.
        /// - Parameter name: The field's name, matched exactly.
        public subscript(name: String) -> String? {
            get { fields.first { $0.name == name }?.value }
            set {
                guard let newValue else {
                    fields.removeAll { $0.name == name }
                    return
                }
                if let index = fields.firstIndex(where: { $0.name == name }) {
                    fields[index].value = newValue
                } else {
                    fields.append(Field(name: name, value: newValue))
                }
            }
        }

        /// The `traceparent` text, valid or not.
        public var traceParent: String? { self[Self.traceParentName] }

        /// The `tracestate` text, whatever the `traceparent`.
        public var traceState: String? { self[Self.traceStateName] }

        /// The `traceparent`, when it is present and valid; nil otherwise, and then a
        /// receiver ignores it and its `tracestate` (W3C Trace Context, 3.2 and 3.3).
        public var validTraceParent: TraceParent? { traceParent.flatMap(TraceParent.init) }
    }
}
