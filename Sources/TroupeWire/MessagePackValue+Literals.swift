extension MessagePackValue: ExpressibleByNilLiteral {
    /// Creates `.nil`.
    /// - Parameter nilLiteral: The literal `nil`.
    public init(nilLiteral: ()) { self = .nil }
}

extension MessagePackValue: ExpressibleByBooleanLiteral {
    /// Creates `.bool`.
    /// - Parameter value: The literal.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension MessagePackValue: ExpressibleByIntegerLiteral {
    /// Creates `.int`.
    /// - Parameter value: The literal.
    public init(integerLiteral value: Int64) { self = .int(value) }
}

extension MessagePackValue: ExpressibleByFloatLiteral {
    /// Creates `.double`.
    /// - Parameter value: The literal.
    public init(floatLiteral value: Double) { self = .double(value) }
}

extension MessagePackValue: ExpressibleByStringLiteral {
    /// Creates `.string`.
    /// - Parameter value: The literal.
    public init(stringLiteral value: String) { self = .string(value) }
}

extension MessagePackValue: ExpressibleByArrayLiteral {
    /// Creates `.array`.
    /// - Parameter elements: The literal's elements.
    public init(arrayLiteral elements: MessagePackValue...) { self = .array(elements) }
}

extension MessagePackValue: ExpressibleByDictionaryLiteral {
    /// Creates `.map`, keeping the literal's order.
    /// - Parameter elements: The literal's pairs.
    public init(dictionaryLiteral elements: (MessagePackValue, MessagePackValue)...) {
        self = .map(elements.map { (key: $0.0, value: $0.1) })
    }
}
