import ArgumentParser
import Troupe

/// `troupe keygen`: a CURVE key pair in files.
struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a CURVE key pair: PREFIX.key (secret, mode 0600) and PREFIX.pub (public).")

    @Option(name: .long, help: ArgumentHelp("Where to write the keys, without extension.", valueName: "PREFIX"))
    var out: String

    @Flag(name: .long, help: "Replace existing files.")
    var force = false

    func run() throws {
        do {
            let key = try KeyFiles.generate(prefix: out, overwrite: force)
            print("wrote \(out).key (secret) and \(out).pub (public key \(key))")
        } catch let error as TroupeError {
            throw fail(error.message)
        }
    }
}
