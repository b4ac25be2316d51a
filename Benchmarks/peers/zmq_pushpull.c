/*
 * Anchor benchmark 4b: raw libzmq one-way PUSH/PULL throughput between two
 * OS processes (fork()ed; each creates its own zmq context after fork).
 * (The project's copy of ../shared/anchors/zmq_pushpull.c; Benchmarks/run.py builds it
 * into Benchmarks/anchors-build/.)
 *
 *   usage: ./zmq_pushpull <endpoint> <msg_bytes> <count>
 *   e.g.   ./zmq_pushpull ipc:///tmp/anchor-thr.ipc 16 1000000
 *
 * Parent = PULL, binds, receives `count` messages.
 * Child  = PUSH, connects, sends `count` messages as fast as zmq_send allows
 *          (default HWM 1000, default linger -> all delivered before exit).
 * As in libzmq's own throughput test, the clock starts when the first message
 * arrives and stops at the last one: msgs/s = (count-1) / elapsed.
 * Also reported: "wall" rate measured from just after zmq_bind in the
 * receiver (includes connection set-up and, for ipc://, often one 100 ms
 * reconnect interval because the child may connect before the bind exists).
 * The sender keeps its socket open until the receiver has got all messages
 * (see the note at fork() below).  A 10 s receive stall is reported as an error.
 * Prints one JSON line.
 */
#define _GNU_SOURCE
#include <zmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#define CHECK(x) do { if ((x) < 0) { fprintf(stderr, "%s:%d %s: %s\n", __FILE__, __LINE__, #x, zmq_strerror(zmq_errno())); exit(2); } } while (0)

static inline uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: %s <endpoint> <msg_bytes> <count>\n", argv[0]); return 1; }
    const char *ep = argv[1];
    size_t sz = (size_t)atol(argv[2]);
    long n = atol(argv[3]);

    /* zmq contexts must not cross fork(): bind in the parent after the fork and let
       the child's connect retry.  `done` is an OS pipe the parent writes to once it
       has received everything: the sender must not close early, because libzmq
       4.3.4's default LINGER=-1 does NOT reliably flush the tail of the stream
       before the process exits (seen here on ipc://: ~0.05-0.2% of the messages
       at the end lost in ~1/3 of runs; cf. zeromq/libzmq#4660, #1922). */
    int done[2];
    if (pipe(done) < 0) { perror("pipe"); return 1; }
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); return 1; }
    if (pid == 0) {
        void *ctx = zmq_ctx_new();
        void *s = zmq_socket(ctx, ZMQ_PUSH);
        CHECK(zmq_connect(s, ep));
        char *buf = calloc(1, sz ? sz : 1);
        for (long i = 0; i < n; i++) {
            if (sz >= sizeof i) memcpy(buf, &i, sizeof i);
            CHECK(zmq_send(s, buf, sz, 0));
        }
        char c;
        close(done[1]);
        if (read(done[0], &c, 1) != 1) { perror("read(done)"); _exit(6); }
        zmq_close(s);
        zmq_ctx_term(ctx); /* blocks until queued messages are delivered */
        _exit(0);
    }

    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_PULL);
    int tmo = 10000; /* ms; a receive stall this long is reported as an error, not a hang */
    CHECK(zmq_setsockopt(s, ZMQ_RCVTIMEO, &tmo, sizeof tmo));
    CHECK(zmq_bind(s, ep));
    uint64_t tb = now_ns();
    char *buf = malloc(sz + 1);
    uint64_t t0 = 0, t1 = 0;
    long bad = 0;
    for (long i = 0; i < n; i++) {
        int r = zmq_recv(s, buf, sz + 1, 0);
        if (r < 0) {
            int st = 0; pid_t w = waitpid(pid, &st, WNOHANG);
            fprintf(stderr, "recv failed after %ld/%ld msgs: %s (sender %s, status %d)\n", i, n,
                    zmq_strerror(zmq_errno()), w == pid ? "exited" : "running", st);
            return 5;
        }
        if (i == 0) t0 = now_ns();
        if ((size_t)r != sz) bad++;
        else if (sz >= sizeof i) {
            long v; memcpy(&v, buf, sizeof v);
            if (v != i) { if (bad == 0 && getenv("PP_DEBUG")) fprintf(stderr, "first mismatch: got %ld expected %ld\n", v, i); bad++; }
        }
    }
    t1 = now_ns();
    close(done[0]);
    if (write(done[1], "x", 1) != 1) perror("write(done)");
    int st = 0;
    waitpid(pid, &st, 0);
    zmq_close(s);
    zmq_ctx_term(ctx);
    if (strncmp(ep, "ipc://", 6) == 0) unlink(ep + 6);
    double el = (t1 - t0) / 1e9, wall = (t1 - tb) / 1e9;
    int maj, min, pat;
    zmq_version(&maj, &min, &pat);
    printf("{\"endpoint\":\"%s\",\"msg_bytes\":%zu,\"count\":%ld,\"elapsed_s\":%.6f,"
           "\"msgs_per_s\":%.1f,\"wall_msgs_per_s\":%.1f,\"mbit_per_s\":%.2f,\"bad\":%ld,"
           "\"libzmq\":\"%d.%d.%d\",\"sender_status\":%d}\n",
           ep, sz, n, el, (n - 1) / el, n / wall, (n - 1) / el * sz * 8 / 1e6, bad, maj, min, pat, st);
    free(buf);
    return (st == 0 && bad == 0) ? 0 : 4;
}
