import Testing
@testable import TroupeWire

@Suite("MessagePack reader and writer")
struct MessagePackReaderWriterTests {
    /// Runs `body` with a reader over `bytes`.
    func read<T>(_ bytes: [UInt8], _ body: (inout MessagePackReader) throws(WireError) -> T) throws(WireError) -> T {
        let result: Result<T, WireError> = bytes.withUnsafeBytes { buffer in
            var reader = MessagePackReader(buffer)
            do throws(WireError) {
                let value = try body(&reader)
                guard reader.isAtEnd else {
                    return .failure(WireError(.trailingBytes, "\(reader.remainingCount) left", offset: reader.position))
                }
                return .success(value)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    func errorCode<T>(_ bytes: [UInt8], _ body: (inout MessagePackReader) throws(WireError) -> T) -> WireError.Code? {
        do {
            _ = try read(bytes, body)
            return nil
        } catch {
            return error.code
        }
    }

    // MARK: Integers

    static let signedBoundaries: [(Int64, [UInt8])] = [
        (0, [0x00]), (127, [0x7f]), (128, [0xcc, 0x80]), (255, [0xcc, 0xff]), (256, [0xcd, 0x01, 0x00]),
        (65535, [0xcd, 0xff, 0xff]), (65536, [0xce, 0x00, 0x01, 0x00, 0x00]),
        (4_294_967_295, [0xce, 0xff, 0xff, 0xff, 0xff]), (4_294_967_296, [0xcf, 0, 0, 0, 1, 0, 0, 0, 0]),
        (Int64.max, [0xcf, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
        (-1, [0xff]), (-32, [0xe0]), (-33, [0xd0, 0xdf]), (-128, [0xd0, 0x80]), (-129, [0xd1, 0xff, 0x7f]),
        (-32768, [0xd1, 0x80, 0x00]), (-32769, [0xd2, 0xff, 0xff, 0x7f, 0xff]),
        (-2_147_483_648, [0xd2, 0x80, 0, 0, 0]), (-2_147_483_649, [0xd3, 0xff, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff]),
        (Int64.min, [0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0]),
    ]

    @Test("every integer boundary is written in its smallest form and read back")
    func integerBoundaries() throws {
        for (value, expected) in Self.signedBoundaries {
            var writer = MessagePackWriter()
            writer.writeInt(value)
            #expect(writer.bytes == expected, "\(value)")
            #expect(try read(expected) { r throws(WireError) in try r.readInt() } == value)
            #expect(try MessagePackValue(decoding: expected) == .int(value))
            if value >= 0 {
                var unsigned = MessagePackWriter()
                unsigned.writeUInt(UInt64(value))
                #expect(unsigned.bytes == expected)
                #expect(try read(expected) { r throws(WireError) in try r.readUInt() } == UInt64(value))
            } else {
                #expect(errorCode(expected) { r throws(WireError) in try r.readUInt() } == .integerOverflow)
            }
        }
        var writer = MessagePackWriter()
        writer.writeUInt(.max)
        #expect(writer.bytes == [0xcf] + Array(repeating: 0xff, count: 8))
        #expect(try read(writer.bytes) { r throws(WireError) in try r.readUInt() } == .max)
        #expect(errorCode(writer.bytes) { r throws(WireError) in try r.readInt() } == .integerOverflow)
        #expect(try MessagePackValue(decoding: writer.bytes) == .uint(.max))
    }

    @Test("integers are range-checked against the type read, whatever their width")
    func integerRanges() throws {
        #expect(try read([0xd3, 0, 0, 0, 0, 0, 0, 0, 5]) { r throws(WireError) in try r.readInteger(UInt8.self) } == 5)
        #expect(try read([0xcf, 0, 0, 0, 0, 0, 0, 0, 0x7f]) { r throws(WireError) in try r.readInteger(Int8.self) } == 127)
        #expect(try read([0xd0, 0x80]) { r throws(WireError) in try r.readInteger(Int8.self) } == -128)
        #expect(errorCode([0xcc, 0x80]) { r throws(WireError) in try r.readInteger(Int8.self) } == .integerOverflow)
        #expect(errorCode([0xcd, 0x01, 0x00]) { r throws(WireError) in try r.readInteger(UInt8.self) } == .integerOverflow)
        #expect(errorCode([0xff]) { r throws(WireError) in try r.readInteger(UInt32.self) } == .integerOverflow)
        #expect(errorCode([0xce, 0xff, 0xff, 0xff, 0xff]) { r throws(WireError) in try r.readInteger(Int32.self) } == .integerOverflow)
        #expect(try read([0xce, 0xff, 0xff, 0xff, 0xff]) { r throws(WireError) in try r.readInteger(UInt32.self) } == .max)
        #expect(errorCode([0xa1, 0x31]) { r throws(WireError) in try r.readInt() } == .typeMismatch)
        #expect(errorCode([0xcb, 0, 0, 0, 0, 0, 0, 0, 0]) { r throws(WireError) in try r.readInt() } == .typeMismatch)
    }

    // MARK: Floats

    @Test("float 32 and float 64")
    func floats() throws {
        var writer = MessagePackWriter()
        writer.writeFloat(1.5)
        writer.writeDouble(1.5)
        #expect(writer.bytes == [0xca, 0x3f, 0xc0, 0x00, 0x00, 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0])
        let both = try read(writer.bytes) { r throws(WireError) in (try r.readDouble(), try r.readDouble()) }
        #expect(both == (1.5, 1.5))
        let floats = try read(writer.bytes) { r throws(WireError) in (try r.readFloat(), try r.readFloat()) }
        #expect(floats == (1.5, 1.5))
        #expect(try MessagePackValue(decoding: writer.bytes.prefix(5).map { $0 }) == .float(1.5))

        var huge = MessagePackWriter()
        huge.writeDouble(1e300)
        #expect(errorCode(huge.bytes) { r throws(WireError) in try r.readFloat() } == .tooLarge)
        var infinite = MessagePackWriter()
        infinite.writeDouble(-.infinity)
        #expect(try read(infinite.bytes) { r throws(WireError) in try r.readFloat() } == -.infinity)
        var nan = MessagePackWriter()
        nan.writeDouble(.nan)
        #expect(try read(nan.bytes) { r throws(WireError) in try r.readDouble() }.isNaN)
        #expect(errorCode([0x01]) { r throws(WireError) in try r.readDouble() } == .typeMismatch)
    }

    // MARK: Strings and binary

    static func header(_ bytes: [UInt8], dropping payload: Int) -> [UInt8] {
        Array(bytes.dropLast(payload))
    }

    @Test("str 8/16/32 and fixstr at their boundaries")
    func stringWidths() throws {
        let cases: [(Int, [UInt8])] = [
            (0, [0xa0]), (31, [0xbf]), (32, [0xd9, 32]), (255, [0xd9, 0xff]), (256, [0xda, 0x01, 0x00]),
            (65535, [0xda, 0xff, 0xff]), (65536, [0xdb, 0x00, 0x01, 0x00, 0x00]),
        ]
        for (length, header) in cases {
            let string = String(repeating: "s", count: length)
            var writer = MessagePackWriter()
            writer.writeString(string)
            #expect(Self.header(writer.bytes, dropping: length) == header, "\(length)")
            #expect(try read(writer.bytes) { r throws(WireError) in try r.readString() } == string)
            #expect(try read(writer.bytes) { r throws(WireError) in try r.readStringBytes().count } == length)
            #expect(try read(writer.bytes) { r throws(WireError) in try r.skipValue() } == 0..<writer.bytes.count)
        }
    }

    @Test("bin 8/16/32 at their boundaries")
    func binaryWidths() throws {
        let cases: [(Int, [UInt8])] = [
            (0, [0xc4, 0x00]), (255, [0xc4, 0xff]), (256, [0xc5, 0x01, 0x00]), (65535, [0xc5, 0xff, 0xff]),
            (65536, [0xc6, 0x00, 0x01, 0x00, 0x00]),
        ]
        for (length, header) in cases {
            let bytes = [UInt8](repeating: 0xab, count: length)
            var writer = MessagePackWriter()
            writer.writeBinary(bytes)
            #expect(Self.header(writer.bytes, dropping: length) == header, "\(length)")
            #expect(try read(writer.bytes) { r throws(WireError) in try r.readBinary() } == bytes)
            #expect(try MessagePackEncoder().encode(bytes) == writer.bytes)
            #expect(try MessagePackDecoder().decode([UInt8].self, from: writer.bytes) == bytes)
        }
    }

    @Test("array and map headers at their boundaries")
    func containerWidths() throws {
        let cases: [(Int, [UInt8], [UInt8])] = [
            (0, [0x90], [0x80]), (15, [0x9f], [0x8f]), (16, [0xdc, 0, 16], [0xde, 0, 16]),
            (65535, [0xdc, 0xff, 0xff], [0xde, 0xff, 0xff]), (65536, [0xdd, 0, 1, 0, 0], [0xdf, 0, 1, 0, 0]),
        ]
        for (count, arrayHeader, mapHeader) in cases {
            var writer = MessagePackWriter()
            writer.writeArrayHeader(count)
            #expect(writer.bytes == arrayHeader)
            writer = MessagePackWriter()
            writer.writeMapHeader(count)
            #expect(writer.bytes == mapHeader)
            let array = arrayHeader + [UInt8](repeating: 0xc0, count: count)
            #expect(try read(array) { r throws(WireError) in
                let n = try r.readArrayHeader()
                for _ in 0..<n { try r.readNil() }
                return n
            } == count)
            let map = mapHeader + [UInt8](repeating: 0x01, count: 2 * count)
            #expect(try read(map) { r throws(WireError) in try r.skipValue() } == 0..<map.count)
        }
    }

    @Test("extension values in every form")
    func extensions() throws {
        for length in [1, 2, 4, 8, 16, 0, 3, 255, 256, 65536] {
            let data = [UInt8](repeating: 9, count: length)
            var writer = MessagePackWriter()
            writer.writeExtension(type: 42, data: data)
            let (type, read) = try read(writer.bytes) { r throws(WireError) in
                let (t, d) = try r.readExtension()
                return (t, Array(d))
            }
            #expect(type == 42 && read == data, "\(length)")
            #expect(try MessagePackValue(decoding: writer.bytes) == .extension(type: 42, data: data))
        }
    }

    // MARK: Bad input

    @Test("UTF-8 is validated")
    func utf8() throws {
        let valid: [[UInt8]] = [
            Array("plain ascii, long enough for the fast path".utf8), [0x7f], [0xc2, 0x80], [0xdf, 0xbf],
            [0xe0, 0xa0, 0x80], [0xed, 0x9f, 0xbf], [0xee, 0x80, 0x80], [0xef, 0xbf, 0xbf],
            [0xf0, 0x90, 0x80, 0x80], [0xf4, 0x8f, 0xbf, 0xbf], Array("héllo ✓ 𝄞".utf8),
        ]
        let invalid: [[UInt8]] = [
            [0x80], [0xbf], [0xc0, 0x80], [0xc1, 0xbf], [0xc2], [0xc2, 0x41], [0xe0, 0x80, 0x80], [0xe0, 0x9f, 0xbf],
            [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0xf0, 0x8f, 0xbf, 0xbf], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80],
            [0xff], [0xe2, 0x82], Array("0123456789abcdef".utf8) + [0xff],
        ]
        for bytes in valid {
            #expect(UTF8Validation.isValid(bytes.withUnsafeBytes { $0 }) == true)
            let encoded = [0xd9, UInt8(bytes.count)] + bytes
            #expect(try read(encoded) { r throws(WireError) in try r.readString() } == String(decoding: bytes, as: UTF8.self))
        }
        for bytes in invalid {
            let encoded = [0xd9, UInt8(bytes.count)] + bytes
            #expect(bytes.withUnsafeBytes { UTF8Validation.isValid($0) } == false, "\(bytes)")
            #expect(errorCode(encoded) { r throws(WireError) in try r.readString() } == .invalidUTF8, "\(bytes)")
            #expect(errorCode(encoded) { r throws(WireError) in try r.readStringBytes() } == .invalidUTF8)
            #expect(errorCode(encoded) { r throws(WireError) in try r.skipValue() } == .invalidUTF8)
            #expect(errorCode(encoded) { r throws(WireError) in try r.readValue() } == .invalidUTF8)
        }
    }

    @Test("every first byte is classified without trapping; 0xc1 is malformed")
    func everyFirstByte() {
        for byte in UInt8.min...UInt8.max {
            let bytes = [byte] + [UInt8](repeating: 0, count: 20)
            bytes.withUnsafeBytes { buffer in
                var reader = MessagePackReader(buffer)
                let type = try? reader.peekType()
                #expect((type == nil) == (byte == 0xc1))
                _ = try? reader.skipValue()
                _ = try? reader.readValue()
                _ = try? reader.readString()
                _ = try? reader.readInt()
                _ = try? reader.readDouble()
                _ = try? reader.readBinary()
                _ = try? reader.readExtension()
            }
        }
    }

    @Test("a truncated value throws truncated from every read, and the position does not move")
    func truncation() throws {
        var writer = MessagePackWriter()
        writer.write(["k": [1, -70000, 1.5, "string of some length", .binary([1, 2, 3]), .extension(type: 1, data: [1, 2, 3])]])
        let full = writer.bytes
        for cut in 0..<full.count {
            let prefix = Array(full[..<cut])
            prefix.withUnsafeBytes { buffer in
                var reader = MessagePackReader(buffer)
                do throws(WireError) {
                    _ = try reader.skipValue()
                    Issue.record("skip accepted a cut at \(cut)")
                } catch {
                    #expect(error.code == .truncated)
                    #expect(reader.position == 0)
                }
                do throws(WireError) {
                    _ = try reader.readValue()
                    Issue.record("readValue accepted a cut at \(cut)")
                } catch {
                    #expect(error.code == .truncated)
                    #expect(reader.position == 0)
                }
            }
        }
        // Each scalar, cut anywhere, through its own read.
        let scalars: [([UInt8], (inout MessagePackReader) throws(WireError) -> Void)] = [
            ([0xcf, 1, 2, 3, 4, 5, 6, 7, 8], { r throws(WireError) in _ = try r.readUInt() }),
            ([0xd2, 1, 2, 3, 4], { r throws(WireError) in _ = try r.readInt() }),
            ([0xcb, 1, 2, 3, 4, 5, 6, 7, 8], { r throws(WireError) in _ = try r.readDouble() }),
            ([0xca, 1, 2, 3, 4], { r throws(WireError) in _ = try r.readFloat() }),
            ([0xda, 0, 3, 0x61, 0x62, 0x63], { r throws(WireError) in _ = try r.readString() }),
            ([0xc5, 0, 2, 1, 2], { r throws(WireError) in _ = try r.readBinary() }),
            ([0xc7, 2, 5, 1, 2], { r throws(WireError) in _ = try r.readExtension() }),
            ([0xdd, 0, 0, 0, 1, 0xc0], { r throws(WireError) in _ = try r.readArrayHeader(); try r.readNil() }),
            ([0xdf, 0, 0, 0, 1, 0xc0, 0xc0], { r throws(WireError) in _ = try r.readMapHeader(); try r.readNil(); try r.readNil() }),
            ([0xc3], { r throws(WireError) in _ = try r.readBool() }),
            ([0xc0], { r throws(WireError) in try r.readNil() }),
        ]
        for (bytes, body) in scalars {
            #expect(throws: Never.self) { try read(bytes, body) }
            for cut in 0..<bytes.count {
                #expect(errorCode(Array(bytes[..<cut]), body) == .truncated, "\(bytes) cut at \(cut)")
            }
        }
    }

    @Test("lengths are checked against the bytes left before anything is allocated")
    func hugeLengths() {
        let hostile: [[UInt8]] = [
            [0xdb, 0xff, 0xff, 0xff, 0xff, 0x61], [0xc6, 0xff, 0xff, 0xff, 0xff, 0x00],
            [0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0], [0xdf, 0xff, 0xff, 0xff, 0xff, 0xc0, 0xc0],
            [0xc9, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00], [0xdc, 0xff, 0xff], [0xde, 0x00, 0x02, 0x01, 0x01, 0x01],
        ]
        for bytes in hostile {
            #expect(errorCode(bytes) { r throws(WireError) in try r.skipValue() } == .truncated)
            #expect(errorCode(bytes) { r throws(WireError) in try r.readValue() } == .truncated)
            #expect(throws: DecodingError.self) { try MessagePackDecoder().decode(MessagePackValue.self, from: bytes) }
        }
    }

    @Test("nesting is limited")
    func nesting() throws {
        let atLimit = [UInt8](repeating: 0x91, count: 511) + [0x90]
        let overLimit = [UInt8](repeating: 0x91, count: 512) + [0x90]
        #expect(try read(atLimit) { r throws(WireError) in try r.skipValue() }.count == 512)
        #expect(try read(atLimit) { r throws(WireError) in try r.readValue() } != .nil)
        #expect(errorCode(overLimit) { r throws(WireError) in try r.skipValue() } == .nestingTooDeep)
        #expect(errorCode(overLimit) { r throws(WireError) in try r.readValue() } == .nestingTooDeep)
        let unterminated = [UInt8](repeating: 0x81, count: 100_000)
        #expect(errorCode(unterminated) { r throws(WireError) in try r.skipValue() } == .nestingTooDeep)
        #expect(errorCode(atLimit) { r throws(WireError) in try r.skipValue(depth: 1) } == .nestingTooDeep)
    }

    @Test("type mismatches name what was found and where")
    func mismatches() {
        let bytes: [UInt8] = [0x92, 0x01, 0xa1, 0x78]
        bytes.withUnsafeBytes { buffer in
            var reader = MessagePackReader(buffer)
            #expect((try? reader.readArrayHeader()) == 2)
            #expect(throws: WireError.self) { try reader.readString() }
            do throws(WireError) {
                _ = try reader.readString()
            } catch {
                #expect(error.code == .typeMismatch)
                #expect(error.offset == 1)
                #expect(error.description == "typeMismatch at byte 1: expected str, found int (0x1)")
            }
            #expect(reader.position == 1)
            #expect((try? reader.readInt()) == 1)
            #expect((try? reader.readNil()) == nil)
            #expect(reader.readNilIfPresent() == false)
            #expect((try? reader.readString()) == "x")
            #expect(reader.isAtEnd)
        }
    }

    @Test("writeRaw appends encoded values as they are")
    func raw() throws {
        var writer = MessagePackWriter(capacity: 16)
        writer.writeArrayHeader(3)
        writer.writeRaw([0x01])
        writer.writeRaw([0x02, 0x03][...].prefix(1))
        ([0xc3] as [UInt8]).withUnsafeBytes { writer.writeRaw($0) }
        #expect(writer.bytes == [0x93, 0x01, 0x02, 0xc3])
        #expect(try MessagePackValue(decoding: writer.bytes) == [1, 2, true])
    }
}
