/* mdbench: metadata rates for the ferrofuse benchmark harness (benches/run.py).
 *
 *   mdbench DIR NFILES NTHREADS [PHASE...]
 *
 * PHASE is create, stat or unlink; without one, all three run in that order
 * in this process.  Each of NTHREADS threads works in its own directory
 * DIR/t<i> on NFILES/NTHREADS files (create makes the directories, unlink
 * removes them), so the phases can also run as separate invocations: the
 * harness runs `create`, drops the kernel's dentries and inodes
 * (echo 2 > /proc/sys/vm/drop_caches), then runs `stat`, so every stat is a
 * cold LOOKUP answered by the filesystem, not a hit in the attribute cache.
 *   create  open(O_CREAT|O_EXCL|O_WRONLY) + close
 *   stat    stat() of every file
 *   unlink  unlink() of every file
 * Each phase starts on a barrier for all threads and is timed from the first
 * thread's start to the last thread's end (each thread reads the clock
 * itself, so a main thread scheduled late cannot shorten the phase).  Prints one JSON object with ops/s per phase run,
 * e.g. {"create": 9350.1, "files": 2000, "threads": 1}.  Any failed call
 * aborts with exit status 1 (the harness refuses to report a workload that
 * errored).
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

enum { CREATE, STAT, UNLINK, NPHASES };
static const char *const phase_name[NPHASES] = { "create", "stat", "unlink" };

static const char *dir;
static long per_thread;
static int nthreads;
static int phases[NPHASES];
static int nphases;
static pthread_barrier_t bar;
static double t_start[64][NPHASES], t_end[64][NPHASES];

static double now(void);

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

	for (int p = 0; p < nphases; p++) {
		int phase = phases[p];
		if (phase == CREATE) {
			snprintf(path, sizeof(path), "%s/t%ld", dir, t);
			if (mkdir(path, 0755) && errno != EEXIST)
				die("mkdir", path);
		}
		pthread_barrier_wait(&bar);
		t_start[t][p] = now();
		for (long i = 0; i < per_thread; i++) {
			snprintf(path, sizeof(path), "%s/t%ld/f%ld", dir, t, i);
			if (phase == CREATE) {
				int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644);
				if (fd < 0)
					die("create", path);
				close(fd);
			} else if (phase == STAT) {
				if (stat(path, &st))
					die("stat", path);
			} else if (unlink(path)) {
				die("unlink", path);
			}
		}
		t_end[t][p] = now();
		pthread_barrier_wait(&bar);
		if (phase == UNLINK) {
			snprintf(path, sizeof(path), "%s/t%ld", dir, t);
			if (rmdir(path))
				die("rmdir", path);
		}
	}
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
	if (argc < 4) {
		fprintf(stderr, "usage: mdbench DIR NFILES NTHREADS [create|stat|unlink ...]\n");
		return 2;
	}
	dir = argv[1];
	nthreads = atoi(argv[3]);
	if (nthreads < 1 || nthreads > 64 || atol(argv[2]) < nthreads) {
		fprintf(stderr, "mdbench: bad NFILES/NTHREADS\n");
		return 2;
	}
	for (int a = 4; a < argc; a++) {
		int found = -1;
		for (int p = 0; p < NPHASES; p++)
			if (!strcmp(argv[a], phase_name[p]))
				found = p;
		if (found < 0 || nphases == NPHASES) {
			fprintf(stderr, "mdbench: bad phase %s\n", argv[a]);
			return 2;
		}
		phases[nphases++] = found;
	}
	if (nphases == 0) {
		for (int p = 0; p < NPHASES; p++)
			phases[nphases++] = p;
	}
	per_thread = atol(argv[2]) / nthreads;
	pthread_barrier_init(&bar, NULL, nthreads + 1);
	pthread_t th[64];
	for (long t = 0; t < nthreads; t++)
		if (pthread_create(&th[t], NULL, worker, (void *)t))
			return 1;
	for (int p = 0; p < nphases; p++) {
		pthread_barrier_wait(&bar);
		pthread_barrier_wait(&bar);
	}
	for (int t = 0; t < nthreads; t++)
		pthread_join(th[t], NULL);
	double secs[NPHASES];
	for (int p = 0; p < nphases; p++) {
		double first = t_start[0][p], last = t_end[0][p];
		for (int t = 1; t < nthreads; t++) {
			if (t_start[t][p] < first)
				first = t_start[t][p];
			if (t_end[t][p] > last)
				last = t_end[t][p];
		}
		secs[p] = last - first;
	}
	double n = (double)per_thread * nthreads;
	printf("{");
	for (int p = 0; p < nphases; p++)
		printf("\"%s\": %.1f, ", phase_name[phases[p]], n / secs[p]);
	printf("\"files\": %.0f, \"threads\": %d}\n", n, nthreads);
	return 0;
}
