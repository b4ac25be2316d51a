/// The coding keys the MessagePack coders make up themselves: array indices in coding paths,
/// and `"super"` for `superEncoder()` / `superDecoder()`.
struct MessagePackCodingKey: CodingKey {
    let stringValue: String
    let intValue: Int?

    init(stringValue: String) {
        self.stringValue = stringValue
        self.intValue = nil
    }

    init(intValue: Int) {
        self.stringValue = "Index \(intValue)"
        self.intValue = intValue
    }

    init(index: Int) {
        self.init(intValue: index)
    }

    static let `super` = MessagePackCodingKey(stringValue: "super")
}
