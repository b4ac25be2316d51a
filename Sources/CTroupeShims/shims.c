#define _GNU_SOURCE
#include "CTroupeShims.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <fcntl.h>
#include <sys/mman.h>

#if defined(__linux__)
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/eventfd.h>
#endif

int troupe_set_parent_death_signal(int signal) {
#if defined(__linux__)
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0, 0, 0);
#else
    (void)signal;
    return 0;
#endif
}

int troupe_pidfd_open(pid_t pid) {
#if defined(__linux__) && defined(SYS_pidfd_open)
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

int troupe_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[]) {
    posix_spawnattr_t attributes;
    posix_spawn_file_actions_t actions;
    int result = posix_spawnattr_init(&attributes);
    if (result != 0) return result;
    result = posix_spawn_file_actions_init(&actions);
    if (result != 0) {
        posix_spawnattr_destroy(&attributes);
        return result;
    }

    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attributes, &all);
    posix_spawnattr_setsigmask(&attributes, &none);
    short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
#if defined(POSIX_SPAWN_USEVFORK)
    flags |= POSIX_SPAWN_USEVFORK;
#endif
    posix_spawnattr_setflags(&attributes, flags);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
#endif

    result = posix_spawn(pid, path, &actions, &attributes, argv, envp);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    return result;
}

int troupe_eventfd(void) {
#if defined(__linux__)
    return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
#else
    errno = ENOSYS;
    return -1;
#endif
}

void troupe_set_thread_name(const char *name) {
#if defined(__linux__)
    char truncated[16];
    strncpy(truncated, name, sizeof truncated - 1);
    truncated[sizeof truncated - 1] = 0;
    pthread_setname_np(pthread_self(), truncated);
#elif defined(__APPLE__)
    pthread_setname_np(name);
#else
    (void)name;
#endif
}

void troupe_line_buffer_stdout(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
}

void troupe_write_stderr(const char *message) {
    fputs(message, stderr);
    fflush(stderr);
}

void troupe_die_by_signal(int signal_number) {
    signal(signal_number, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signal_number);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    // Directed at this thread, which no longer blocks it: nothing else can take it first.
    pthread_kill(pthread_self(), signal_number);
    _exit(128 + signal_number);
}

volatile unsigned long long *troupe_map_progress(const char *path, int create) {
    int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT | O_EXCL : 0), 0600);
    if (fd < 0) return NULL;
    if (create && ftruncate(fd, 4096) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return NULL;
    }
    void *address = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    int saved = errno;
    close(fd);
    if (address == MAP_FAILED) {
        errno = saved;
        return NULL;
    }
    return (volatile unsigned long long *)address;
}

void troupe_unmap_progress(volatile unsigned long long *progress) {
    if (progress) munmap((void *)progress, 4096);
}

void troupe_store_progress(volatile unsigned long long *progress, unsigned long long value) {
    __atomic_store_n(progress, value, __ATOMIC_SEQ_CST);
}

unsigned long long troupe_load_progress(volatile unsigned long long *progress) {
    return __atomic_load_n(progress, __ATOMIC_SEQ_CST);
}

#include <execinfo.h>
#include <dlfcn.h>

int troupe_backtrace(void **addresses, int capacity) {
    return backtrace(addresses, capacity);
}

int troupe_symbol_name(const void *address, const char **symbol, const char **object) {
    Dl_info info;
    if (dladdr(address, &info) == 0) return 0;
    *symbol = info.dli_sname;
    *object = info.dli_fname;
    return 1;
}
