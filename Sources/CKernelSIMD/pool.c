// Persistent worker pools (one per thread count, created on first use, kept for the process).
//
// The caller fixes the partition (task i always covers the same outputs); the caller and the
// workers then claim tasks one at a time from a shared counter, so a worker the OS has
// descheduled (two cores shared with builds) costs only the task it already started, and which
// thread runs a task never changes a result. Workers spin for a short while after a run (decode
// issues a run every few tens of microseconds) and then sleep on a condition variable, so an idle
// pool costs nothing.
#include "CKernelSIMD.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#define MESH_POOL_MAX 64
#define MESH_POOL_SPIN_NS 200000L  // 0.2 ms of spinning before a worker sleeps

typedef struct mesh_pool {
    int threads;  // participants, caller included
    pthread_mutex_t run_lock;  // one run at a time; a busy pool runs the tasks inline instead
    pthread_mutex_t sleep_lock;
    pthread_cond_t wake;
    _Atomic unsigned long generation;
    _Atomic int sleepers;
    // generation << 32 | tasks << 16 | next unclaimed task: one word, so a claim checks the run
    // and its size together. fn/ctx are written before the word is published (release) and read
    // after it is observed (acquire); a claim succeeds only while its run is unfinished, so a
    // claimed task always runs with its own run's fn/ctx.
    _Atomic unsigned long claim;
    _Atomic long done;  // tasks of the current run finished
    _Atomic(mesh_task_fn) fn;
    _Atomic(void *) ctx;
} mesh_pool;

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static unsigned long wait_generation(mesh_pool *p, unsigned long seen) {
    const long deadline = now_ns() + MESH_POOL_SPIN_NS;
    for (unsigned spins = 1;; spins++) {
        const unsigned long g = atomic_load_explicit(&p->generation, memory_order_acquire);
        if (g != seen) return g;
        cpu_relax();
        if ((spins & 255) == 0) {
            if (now_ns() > deadline) break;
            sched_yield();  // on a busy machine, let the thread we wait for have this core
        }
    }
    pthread_mutex_lock(&p->sleep_lock);
    atomic_fetch_add(&p->sleepers, 1);  // seq_cst: pairs with the run's generation bump
    unsigned long g;
    while ((g = atomic_load(&p->generation)) == seen) pthread_cond_wait(&p->wake, &p->sleep_lock);
    atomic_fetch_sub(&p->sleepers, 1);
    pthread_mutex_unlock(&p->sleep_lock);
    return g;
}

// Claims and runs tasks of run `generation` until none is left (or a newer run has started).
static void run_claimed(mesh_pool *p, unsigned long generation) {
    unsigned long c = atomic_load_explicit(&p->claim, memory_order_acquire);
    for (;;) {
        const long next = (long)(c & 0xFFFF);
        if ((c >> 32) != (generation & 0xFFFFFFFFul) || next >= (long)((c >> 16) & 0xFFFF)) return;
        const mesh_task_fn fn = atomic_load_explicit(&p->fn, memory_order_relaxed);
        void *ctx = atomic_load_explicit(&p->ctx, memory_order_relaxed);
        if (atomic_compare_exchange_weak_explicit(&p->claim, &c, c + 1, memory_order_acq_rel,
                                                  memory_order_acquire)) {
            fn(ctx, next);
            atomic_fetch_add_explicit(&p->done, 1, memory_order_release);
            c = atomic_load_explicit(&p->claim, memory_order_acquire);
        }
    }
}

static void *worker_main(void *raw) {
    mesh_pool *p = (mesh_pool *)raw;
    unsigned long seen = 0;  // the pool's generation when it created this worker
    for (;;) {
        seen = wait_generation(p, seen);
        run_claimed(p, seen);
    }
    return 0;
}

static mesh_pool *pool_create(int threads) {
    mesh_pool *p = calloc(1, sizeof(mesh_pool));
    if (!p) return 0;
    p->threads = threads;
    pthread_mutex_init(&p->run_lock, 0);
    pthread_mutex_init(&p->sleep_lock, 0);
    pthread_cond_init(&p->wake, 0);
    for (int i = 1; i < threads; i++) {
        pthread_t tid;
        if (pthread_create(&tid, 0, worker_main, p) != 0) {
            p->threads = i;  // fewer workers than asked: runs use what exists
            break;
        }
        pthread_detach(tid);
    }
    return p;
}

static pthread_mutex_t pools_lock = PTHREAD_MUTEX_INITIALIZER;
static mesh_pool *pools[MESH_POOL_MAX + 1];

static mesh_pool *shared_pool(int threads) {
    pthread_mutex_lock(&pools_lock);
    if (!pools[threads]) pools[threads] = pool_create(threads);
    mesh_pool *p = pools[threads];
    pthread_mutex_unlock(&pools_lock);
    return p;
}

static void run_inline(long tasks, mesh_task_fn fn, void *ctx) {
    for (long i = 0; i < tasks; i++) fn(ctx, i);
}

int mesh_parallel_run(int threads, long tasks, mesh_task_fn fn, void *ctx) {
    if (tasks <= 0) return 0;
    if (threads > MESH_POOL_MAX) threads = MESH_POOL_MAX;
    if (threads <= 1 || tasks == 1) {
        run_inline(tasks, fn, ctx);
        return 0;
    }
    mesh_pool *p = shared_pool(threads);
    if (!p || tasks > 0xFFFF || pthread_mutex_trylock(&p->run_lock) != 0) {
        run_inline(tasks, fn, ctx);  // busy (another caller, or a nested run) or too many tasks
        return 0;
    }
    const unsigned long generation = atomic_load(&p->generation) + 1;
    atomic_store_explicit(&p->fn, fn, memory_order_relaxed);
    atomic_store_explicit(&p->ctx, ctx, memory_order_relaxed);
    atomic_store_explicit(&p->done, 0, memory_order_relaxed);
    atomic_store_explicit(&p->claim, (generation & 0xFFFFFFFFul) << 32 | (unsigned long)tasks << 16,
                          memory_order_release);
    atomic_fetch_add(&p->generation, 1);  // seq_cst: publishes the run; pairs with sleepers
    if (atomic_load(&p->sleepers) > 0) {
        pthread_mutex_lock(&p->sleep_lock);
        pthread_cond_broadcast(&p->wake);
        pthread_mutex_unlock(&p->sleep_lock);
    }
    run_claimed(p, generation);
    for (unsigned spins = 1; atomic_load_explicit(&p->done, memory_order_acquire) < tasks; spins++) {
        cpu_relax();
        if ((spins & 1023) == 0) sched_yield();  // a descheduled worker needs our core
    }
    pthread_mutex_unlock(&p->run_lock);
    return 1;
}
