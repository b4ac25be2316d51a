#ifndef TROUPE_SHIMS_H
#define TROUPE_SHIMS_H

#include <sys/types.h>

/// Asks the kernel to send `signal` to this process when the thread that spawned it exits
/// (Linux `PR_SET_PDEATHSIG`). Returns 0, or -1 with errno set; 0 and no effect elsewhere.
int troupe_set_parent_death_signal(int signal);

/// Returns a file descriptor that becomes readable when process `pid` exits (Linux
/// `pidfd_open`), or -1 with errno set (ENOSYS where the system has none).
int troupe_pidfd_open(pid_t pid);

/// Starts `path` with `argv` and `envp` through posix_spawn, with every signal reset to its
/// default disposition, an empty signal mask, and every descriptor above 2 closed in the
/// child. Returns 0 and stores the child's pid, or an errno value.
int troupe_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[]);

/// Creates a non-blocking, close-on-exec eventfd (a wake-up counter), or -1 with errno set.
int troupe_eventfd(void);

/// Names the calling thread as `ps -L` and debuggers show it (at most 15 bytes used).
void troupe_set_thread_name(const char *name);

/// Makes standard output line-buffered, so that whole lines from several processes interleave.
void troupe_line_buffer_stdout(void);

/// Writes `message` to standard error, unbuffered.
void troupe_write_stderr(const char *message);

/// Stores the return addresses of the calling thread's frames (glibc `backtrace`), at most
/// `capacity`; returns how many.
int troupe_backtrace(void **addresses, int capacity);

/// Names the symbol and the object file that hold `address` (dladdr), or returns 0.
int troupe_symbol_name(const void *address, const char **symbol, const char **object);

/// Ends the process by `signal` with its default action, from the calling thread (where it is
/// unblocked first), so that the exit status says which signal ended it. Does not return.
void troupe_die_by_signal(int signal) __attribute__((noreturn));

/// Maps the first 8 bytes of the file at `path` into memory, shared with every process that
/// maps it; with `create`, creates the file (mode 0600, zero-filled) first. Returns the
/// address, or NULL with errno set.
volatile unsigned long long *troupe_map_progress(const char *path, int create);

/// Unmaps a mapping made by troupe_map_progress.
void troupe_unmap_progress(volatile unsigned long long *progress);

/// Stores `value` at `progress` (sequentially consistent, visible to other processes).
void troupe_store_progress(volatile unsigned long long *progress, unsigned long long value);

/// Loads the value at `progress`.
unsigned long long troupe_load_progress(volatile unsigned long long *progress);

#endif
