import Foundation
import Troupe

/// Sources/Troupe/Troupe.docc/IsolatingCrashes.md
enum IsolatingCrashesArticle {
    distributed actor ImageDecoder: Worker {
        /// Stands for a call into a C decoder that may dereference NULL or call abort().
        distributed func decode(_ file: String) -> Int {
            if file.hasSuffix(".bad") { abort() }
            return file.utf8.count
        }
    }

    static func whichInputCrashed(pool: Pool<ImageDecoder>, files: [String]) async throws {
        let outcomes = try await pool.mapResults(files) { try await $0.decode($1) }
        for (index, outcome) in outcomes.enumerated() {
            if case .failure(let error as TroupeError) = outcome, error.code == .workerCrashed {
                print("\(files[index]) crashed its worker (pid \(error.context["pid"] ?? "?")): \(error.message)")
            }
        }
    }

    static func mapStops(pool: Pool<ImageDecoder>, files: [String]) async throws {
        do {
            _ = try await pool.map(files) { try await $0.decode($1) }
        } catch let error as TroupeError where error.code == .workerCrashed {
            print("item \(error.context["item"] ?? "?") crashed its worker")
        }
    }

    static func retrying(pool: Pool<ImageDecoder>) async throws -> Int {
        let size = try await pool.apply(retryable: true) { try await $0.decode("photo.jpg") }
        return size
    }
}
