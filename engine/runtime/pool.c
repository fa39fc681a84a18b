/*
 * pool.c - the worker threads that run a query's tasks (engine/README.md,
 * "Tasks and threads").
 *
 * Fork and join: pool_run hands each worker its jobs (task polls), runs
 * worker 0's on the calling thread (the engine's), and returns when every
 * worker is done.  Between two runs only the engine's thread works, so
 * statements, checkpoints, pull queries and snapshots see every task
 * stopped between two batches, as with one thread.  A worker runs its
 * jobs in order; a task is always given to the same worker
 * (runtime_task_worker), whose cache budget its state uses.
 */
#include "eddy/engine/runtime.h"

#include <pthread.h>
#include <stdlib.h>

struct WorkerPool {
    int nworkers;                 /* worker 0 is the caller */
    pthread_t *threads;
    pthread_mutex_t lock;
    pthread_cond_t go, done;
    uint64_t round;               /* bumped by pool_run: workers start */
    int running;                  /* workers still in this round */
    bool quit;
    PoolJob *jobs;
    int njobs;
    int budget_ms;
};

typedef struct WorkerArg {
    WorkerPool *p;
    int id;
} WorkerArg;

/* A worker's jobs, over and over while they bring records and budget_ms
 * has not passed (so a worker does not wait at the join for one whose
 * batch came a moment later); a job that failed is not run again. */
static void run_jobs(PoolJob *jobs, int n, int worker, int budget_ms)
{
    int64_t start = eddy_mono_ms();
    for (int i = 0; i < n; i++)
        if (jobs[i].worker == worker) {
            eddy_error_clear(&jobs[i].err);
            jobs[i].result = 0;
        }
    if (n > 0 && jobs[0].drain) {
        for (int i = 0; i < n; i++)
            if (jobs[i].worker == worker && jobs[i].rt)
                jobs[i].result = runtime_drain_task(jobs[i].rt, jobs[i].task, &jobs[i].err);
        return;
    }
    for (bool more = true; more;) {
        more = false;
        for (int i = 0; i < n; i++) {
            if (jobs[i].worker != worker || jobs[i].result < 0)
                continue;
            int got = runtime_poll_task(jobs[i].rt, jobs[i].task, jobs[i].timeout_ms, &jobs[i].err);
            jobs[i].result = got < 0 ? -1 : jobs[i].result + got;
            more = more || got > 0;
        }
        more = more && eddy_mono_ms() - start < budget_ms;
    }
}

static void *worker_main(void *arg)
{
    WorkerArg *a = arg;
    WorkerPool *p = a->p;
    uint64_t seen = 0;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->quit && p->round == seen)
            pthread_cond_wait(&p->go, &p->lock);
        if (p->quit)
            break;
        seen = p->round;
        PoolJob *jobs = p->jobs;
        int n = p->njobs, budget = p->budget_ms;
        pthread_mutex_unlock(&p->lock);
        run_jobs(jobs, n, a->id, budget);
        pthread_mutex_lock(&p->lock);
        if (--p->running == 0)
            pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->lock);
    free(a);
    return NULL;
}

WorkerPool *pool_create(int nworkers)
{
    WorkerPool *p = calloc(1, sizeof *p);
    if (p == NULL)
        EDDY_PANIC("out of memory");
    p->nworkers = nworkers < 1 ? 1 : nworkers;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->go, NULL);
    pthread_cond_init(&p->done, NULL);
    p->threads = calloc((size_t)p->nworkers, sizeof *p->threads);
    if (p->threads == NULL)
        EDDY_PANIC("out of memory");
    for (int i = 1; i < p->nworkers; i++) {
        WorkerArg *a = malloc(sizeof *a);
        if (a == NULL)
            EDDY_PANIC("out of memory");
        *a = (WorkerArg){p, i};
        if (pthread_create(&p->threads[i], NULL, worker_main, a) != 0)
            EDDY_PANIC("cannot start a worker thread");
    }
    return p;
}

int pool_workers(const WorkerPool *p)
{
    return p->nworkers;
}

void pool_run(WorkerPool *p, PoolJob *jobs, int njobs, int budget_ms)
{
    pthread_mutex_lock(&p->lock);
    p->jobs = jobs;
    p->njobs = njobs;
    p->budget_ms = budget_ms;
    p->running = p->nworkers - 1;
    p->round++;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->lock);
    run_jobs(jobs, njobs, 0, budget_ms);
    pthread_mutex_lock(&p->lock);
    while (p->running > 0)
        pthread_cond_wait(&p->done, &p->lock);
    p->jobs = NULL;
    pthread_mutex_unlock(&p->lock);
}

void pool_destroy(WorkerPool *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->lock);
    p->quit = true;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->lock);
    for (int i = 1; i < p->nworkers; i++)
        pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->go);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->lock);
    free(p->threads);
    free(p);
}
