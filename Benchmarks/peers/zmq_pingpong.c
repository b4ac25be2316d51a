/*
 * Anchor benchmark 4a: raw libzmq ping-pong round-trip latency between two
 * OS processes (fork()ed; each process creates its own zmq context after fork).
 * (The project's copy of ../shared/anchors/zmq_pingpong.c; Benchmarks/run.py builds it
 * into Benchmarks/anchors-build/.)
 *
 *   usage: ./zmq_pingpong <endpoint> <msg_bytes> <roundtrips> [reqrep|dealer] [warmup]
 *   e.g.   ./zmq_pingpong ipc:///tmp/anchor-pp.ipc 16 20000 reqrep
 *          ./zmq_pingpong tcp://127.0.0.1:5599 1024 20000 dealer
 *
 * Child  = echo server: REP (or ROUTER: echoes [identity, payload]); binds.
 * Parent = client:      REQ (or DEALER); connects; does `warmup` untimed round
 *          trips, then `roundtrips` timed ones, each timed individually with
 *          clock_gettime(CLOCK_MONOTONIC). Payload is checked on every reply.
 * Prints one JSON line: median / p99 / mean / min / max in microseconds.
 * Percentiles are nearest-rank. No CPU pinning, default socket options.
 */
#define _GNU_SOURCE
#include <zmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <time.h>
#include <math.h>
#include <unistd.h>
#include <sys/wait.h>

#define CHECK(x) do { if ((x) < 0) { fprintf(stderr, "%s:%d %s: %s\n", __FILE__, __LINE__, #x, zmq_strerror(zmq_errno())); exit(2); } } while (0)

static inline uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void server(const char *ep, size_t sz, long total, int dealer) {
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, dealer ? ZMQ_ROUTER : ZMQ_REP);
    CHECK(zmq_bind(s, ep));
    char *buf = malloc(sz + 1);
    char id[256];
    for (long i = 0; i < total; i++) {
        if (dealer) {
            int idn = zmq_recv(s, id, sizeof id, 0); CHECK(idn);
            int n = zmq_recv(s, buf, sz + 1, 0); CHECK(n);
            CHECK(zmq_send(s, id, idn, ZMQ_SNDMORE));
            CHECK(zmq_send(s, buf, n, 0));
        } else {
            int n = zmq_recv(s, buf, sz + 1, 0); CHECK(n);
            CHECK(zmq_send(s, buf, n, 0));
        }
    }
    free(buf);
    zmq_close(s);
    zmq_ctx_term(ctx);
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s <endpoint> <msg_bytes> <roundtrips> [reqrep|dealer] [warmup]\n", argv[0]);
        return 1;
    }
    const char *ep = argv[1];
    size_t sz = (size_t)atol(argv[2]);
    long n = atol(argv[3]);
    int dealer = argc > 4 && strcmp(argv[4], "dealer") == 0;
    long warm = argc > 5 ? atol(argv[5]) : 2000;

    pid_t pid = fork();
    if (pid < 0) { perror("fork"); return 1; }
    if (pid == 0) { server(ep, sz, warm + n, dealer); _exit(0); }

    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, dealer ? ZMQ_DEALER : ZMQ_REQ);
    CHECK(zmq_connect(s, ep));
    char *out = malloc(sz), *in = malloc(sz + 1);
    for (size_t i = 0; i < sz; i++) out[i] = (char)(i * 31 + 7);
    uint64_t *lat = malloc(sizeof(uint64_t) * n);

    for (long i = 0; i < warm + n; i++) {
        memcpy(out, &i, sz < sizeof i ? sz : sizeof i);
        uint64_t t0 = now_ns();
        CHECK(zmq_send(s, out, sz, 0));
        int r = zmq_recv(s, in, sz + 1, 0); CHECK(r);
        uint64_t t1 = now_ns();
        if ((size_t)r != sz || memcmp(in, out, sz) != 0) { fprintf(stderr, "bad reply at %ld\n", i); return 3; }
        if (i >= warm) lat[i - warm] = t1 - t0;
    }
    int st = 0;
    waitpid(pid, &st, 0);
    zmq_close(s);
    zmq_ctx_term(ctx);
    if (strncmp(ep, "ipc://", 6) == 0) unlink(ep + 6);

    double sum = 0;
    for (long i = 0; i < n; i++) sum += (double)lat[i];
    qsort(lat, n, sizeof(uint64_t), cmp_u64);
    long k99 = (long)ceil(0.99 * n) - 1;
    int maj, min, pat;
    zmq_version(&maj, &min, &pat);
    printf("{\"endpoint\":\"%s\",\"pattern\":\"%s\",\"msg_bytes\":%zu,\"roundtrips\":%ld,"
           "\"median_us\":%.3f,\"p99_us\":%.3f,\"mean_us\":%.3f,\"min_us\":%.3f,\"max_us\":%.3f,"
           "\"libzmq\":\"%d.%d.%d\",\"server_status\":%d}\n",
           ep, dealer ? "dealer/router" : "req/rep", sz, n,
           lat[n / 2] / 1e3, lat[k99] / 1e3, sum / n / 1e3, lat[0] / 1e3, lat[n - 1] / 1e3,
           maj, min, pat, st);
    free(lat); free(out); free(in);
    return st == 0 ? 0 : 4;
}
