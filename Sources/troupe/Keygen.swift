import ArgumentParser
import Troupe

/// `troupe keygen`: a CURVE key pair in files.
struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a CURVE key pair: PREFIX.key (secret, mode 0600) and PREFIX.pub (public).")

    @Option(name: .long, help: ArgumentHelp("Where to write the keys, without extension; missing folders are made with mode 0700.", valueName: "PREFIX"))
    var out: String

    @Flag(name: .long, help: "Replace existing files.")
    var force = false

    func run() throws {
        do {
            let made = try KeyFiles.makeFolders(for: out)
            let key = try KeyFiles.generate(prefix: out, overwrite: force)
            let folders = made.isEmpty ? "" : "; made the folder \(made.last!) (mode 0700)"
            print("wrote \(out).key (secret) and \(out).pub (public key \(key))\(folders)")
        } catch let error as TroupeError {
            throw fail(error.message)
        }
    }
}
