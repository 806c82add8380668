/* mdbench: metadata rates for the ferrofuse benchmark harness (benches/run.py).
 *
 *   mdbench DIR NFILES NTHREADS
 *
 * Each of NTHREADS threads works in its own directory DIR/t<i> on
 * NFILES/NTHREADS files.  Three phases, each started together on a barrier
 * and timed from the first barrier to the last thread's end:
 *   create  open(O_CREAT|O_EXCL|O_WRONLY) + close
 *   stat    stat() of every file
 *   unlink  unlink() of every file
 * Prints one JSON object: {"create": ops/s, "stat": ops/s, "unlink": ops/s,
 * "files": N, "threads": T}.  Any failed call aborts with exit status 1 (the
 * harness refuses to report a workload that errored).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *dir;
static long per_thread;
static int nthreads;
static pthread_barrier_t bar;

static void die(const char *what, const char *path)
{
	fprintf(stderr, "mdbench: %s %s: %s\n", what, path, strerror(errno));
	exit(1);
}

static void *worker(void *arg)
{
	long t = (long)arg;
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/t%ld", dir, t);
	if (mkdir(path, 0755) && errno != EEXIST)
		die("mkdir", path);
	for (int phase = 0; phase < 3; phase++) {
		pthread_barrier_wait(&bar);
		for (long i = 0; i < per_thread; i++) {
			snprintf(path, sizeof(path), "%s/t%ld/f%ld", dir, t, i);
			if (phase == 0) {
				int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644);
				if (fd < 0)
					die("create", path);
				close(fd);
			} else if (phase == 1) {
				if (stat(path, &st))
					die("stat", path);
			} else if (unlink(path)) {
				die("unlink", path);
			}
		}
		pthread_barrier_wait(&bar);
	}
	snprintf(path, sizeof(path), "%s/t%ld", dir, t);
	if (rmdir(path))
		die("rmdir", path);
	return NULL;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: mdbench DIR NFILES NTHREADS\n");
		return 2;
	}
	dir = argv[1];
	nthreads = atoi(argv[3]);
	if (nthreads < 1 || atol(argv[2]) < nthreads) {
		fprintf(stderr, "mdbench: bad NFILES/NTHREADS\n");
		return 2;
	}
	per_thread = atol(argv[2]) / nthreads;
	pthread_barrier_init(&bar, NULL, nthreads + 1);
	pthread_t th[64];
	if (nthreads > 64)
		return 2;
	for (long t = 0; t < nthreads; t++)
		if (pthread_create(&th[t], NULL, worker, (void *)t))
			return 1;
	double secs[3];
	for (int phase = 0; phase < 3; phase++) {
		pthread_barrier_wait(&bar);
		double t0 = now();
		pthread_barrier_wait(&bar);
		secs[phase] = now() - t0;
	}
	for (int t = 0; t < nthreads; t++)
		pthread_join(th[t], NULL);
	double n = (double)per_thread * nthreads;
	printf("{\"create\": %.1f, \"stat\": %.1f, \"unlink\": %.1f, \"files\": %.0f, \"threads\": %d}\n",
	       n / secs[0], n / secs[1], n / secs[2], n, nthreads);
	return 0;
}
