/// Which pool task the current code runs for: set around the work a pool runs, so that the
/// calls it makes are known to belong to that task.
enum PoolTaskContext {
    @TaskLocal static var current: CallOwner?
}
