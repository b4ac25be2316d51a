/// A field a test vector must have and does not.
struct MissingVectorField: Error, CustomStringConvertible {
    let field: String
    var description: String { "vector lacks \(field)" }
}

/// The value of a vector's field, or an error naming the missing field.
func need<T>(_ value: T?, _ field: String) throws -> T {
    guard let value else { throw MissingVectorField(field: field) }
    return value
}
