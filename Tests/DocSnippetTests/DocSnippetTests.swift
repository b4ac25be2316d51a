import Foundation
import Testing

/// Every ```swift block of every DocC article (`Sources/*/*.docc/**/*.md`) must appear in the
/// snippet file of its article, `Tests/DocSnippets/<Article>.swift`, which `swift build`
/// compiles (the `DocSnippets` executable target): a snippet that stops compiling fails the
/// build, and a snippet edited in an article but not in its file fails this test.
///
/// The comparison collapses whitespace, and ignores two things a snippet file cannot copy
/// as they are:
/// - `import` lines: the reader's package has its own modules (`PrimeWorkers`); the snippet
///   file imports what its code needs at the top;
/// - `@main`: a module has one entry point. The snippets' one is `@main struct App` in
///   `Pools.swift`; the other articles' programs compile as plain types.
///
/// A block that is deliberately not compiled Swift (a console transcript, a package
/// manifest, output) takes another fence language: `console`, `text`.
@Suite struct DocSnippetTests {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let snippets = root.appendingPathComponent("Tests/DocSnippets")

    struct Block: CustomStringConvertible {
        let article: String
        let line: Int
        let code: String
        var description: String { "\(article):\(line)" }
    }

    /// The DocC articles, as paths relative to the repository.
    static func articles() throws -> [String] {
        let sources = root.appendingPathComponent("Sources")
        guard let walker = FileManager.default.enumerator(atPath: sources.path) else { return [] }
        return walker.compactMap { $0 as? String }
            .filter { $0.hasSuffix(".md") && $0.split(separator: "/").contains { $0.hasSuffix(".docc") } }
            .map { "Sources/" + $0 }
            .sorted()
    }

    /// The ```swift blocks of an article, with the line of each opening fence.
    static func swiftBlocks(of article: String) throws -> [Block] {
        let text = try String(contentsOf: root.appendingPathComponent(article), encoding: .utf8)
        var blocks: [Block] = []
        var open: (line: Int, lines: [String])?
        var fenced = false
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if let current = open {
                if trimmed == "```" {
                    blocks.append(Block(article: article, line: current.line, code: current.lines.joined(separator: "\n")))
                    open = nil
                } else {
                    open?.lines.append(String(line))
                }
            } else if fenced {
                if trimmed == "```" { fenced = false }
            } else if trimmed.hasPrefix("```") {
                let language = trimmed.dropFirst(3).split(separator: " ").first.map(String.init) ?? ""
                if language == "swift" { open = (index + 1, []) } else { fenced = true }
            }
        }
        return blocks
    }

    /// Code with its `import` lines and `@main` attributes removed and whitespace collapsed.
    static func normalised(_ code: String) -> String {
        code.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("import ") }
            .joined(separator: "\n")
            .replacingOccurrences(of: "@main", with: " ")
            .split(whereSeparator: { $0.isWhitespace })
            .joined(separator: " ")
    }

    /// `Sources/Troupe/Troupe.docc/Pools.md` -> `Pools.swift`.
    static func snippetFile(of article: String) -> String {
        let name = URL(fileURLWithPath: article).deletingPathExtension().lastPathComponent
        return name + ".swift"
    }

    @Test func theArticlesHaveSwiftBlocks() throws {
        let blocks = try Self.articles().flatMap(Self.swiftBlocks(of:))
        #expect(blocks.count > 20, "found only \(blocks.count) ```swift blocks: is the repository root right? \(Self.root.path)")
    }

    @Test func everySwiftBlockIsCompiled() throws {
        var files: [String: String] = [:]
        for article in try Self.articles() {
            let blocks = try Self.swiftBlocks(of: article)
            guard !blocks.isEmpty else { continue }
            let file = Self.snippetFile(of: article)
            if files[file] == nil {
                let url = Self.snippets.appendingPathComponent(file)
                let source = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
                files[file] = Self.normalised(source)
            }
            for block in blocks {
                let code = Self.normalised(block.code)
                guard !code.isEmpty else { continue }
                let firstLine = block.code.split(separator: "\n").first { !$0.trimmingCharacters(in: .whitespaces).isEmpty } ?? ""
                let compiled = files[file]!.contains(code)
                #expect(
                    compiled,
                    """
                    \(block): this ```swift block is not compiled: copy it into Tests/DocSnippets/\(file) \
                    (whitespace, imports and @main aside, it must appear there as it is), or give it another \
                    fence language if it is not Swift this package can build. It starts: \(firstLine)
                    """)
            }
        }
    }

    @Test func everySnippetFileBelongsToAnArticle() throws {
        let articles = Set(try Self.articles().map(Self.snippetFile(of:)))
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.snippets.path).filter { $0.hasSuffix(".swift") }
        for file in files where file != "Support.swift" {
            #expect(articles.contains(file), "Tests/DocSnippets/\(file) names no DocC article: rename it after its article, or remove it")
        }
    }
}
