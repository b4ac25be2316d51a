/// Waits until `condition` holds, checking every 20 ms: tests wait for conditions, never
/// for a fixed time.
/// - Parameters:
///   - timeout: how long the condition may take (generous: the machine is shared and slow).
///   - condition: the condition.
/// - Returns: whether it held before the timeout.
@discardableResult
public func eventually(within timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}
