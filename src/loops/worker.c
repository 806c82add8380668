/*
 * ferrofuse: the body of a fuse_session_loop_mt worker thread.
 *
 * Workers block in read(2) on /dev/fuse, so the kernel wakes one of them
 * per request (a poll(2) would wake every idle worker). A blocked read can
 * only be ended by a signal, so the loop stops its workers as libfuse does:
 * pthread_cancel, with cancellation enabled only around the read. That read
 * runs here, in C, so that the cancellation's forced unwind never crosses a
 * Rust frame: this function is the thread's start routine and calls Rust
 * only before and after the read, never around it.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/types.h>
#include <unistd.h>

struct ferrofuse_mt_read {
	void *buf;
	size_t len;
	int fd;
	/* fuse_custom_io's read, or NULL for read(2). */
	ssize_t (*io_read)(int fd, void *buf, size_t len, void *userdata);
	void *userdata;
};

/* Rust (src/loops/mod.rs): fills *r for the next read; 0 to stop. */
extern int ferrofuse_mt_prepare(void *worker, struct ferrofuse_mt_read *r);
/* Rust: handles the read's outcome; 1 to read again. */
extern int ferrofuse_mt_step(void *worker, ssize_t res, int err);

void *ferrofuse_mt_worker_main(void *worker)
{
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	for (;;) {
		struct ferrofuse_mt_read r;
		ssize_t res;
		int err;

		if (!ferrofuse_mt_prepare(worker, &r))
			break;
		pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
		if (r.io_read)
			res = r.io_read(r.fd, r.buf, r.len, r.userdata);
		else
			res = read(r.fd, r.buf, r.len);
		err = errno;
		pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
		if (ferrofuse_mt_step(worker, res, err) != 1)
			break;
	}
	return NULL;
}
