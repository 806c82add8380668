/*
 * uring_probe_ll: a small low-level filesystem that shows how its requests
 * reach it (FUSE-over-io-uring or /dev/fuse) and exercises the paths that
 * are easy to get wrong over the ring. tests/uring.rs drives it.
 *
 *   /r0 .. /r7  read-only, 256 KiB each; every read sleeps 2 ms (to widen
 *               the window in which callbacks could overlap)
 *   /rw         an in-memory file: write, truncate, read back
 *   /async      read-only; each read is answered by a thread created for
 *               that request, which exits right after replying
 *   /payload    read-only; over io-uring a read writes its data straight
 *               into the ring payload (fuse_req_get_payload) and replies
 *               with fuse_reply_buf(req, payload, n)
 *   /block      a read never replies until it is interrupted; the interrupt
 *               callback replies EINTR
 *   /stats      key=value lines: how many callbacks ran at once at most,
 *               requests seen over the ring and over /dev/fuse, async
 *               replies, zero-copy replies, blocked reads, interrupts, and
 *               whether this very read came over the ring
 *
 * Byte `off` of r0..r7, /async and /payload is (off % 251 + 17 * ino) & 0xff.
 * Every file is opened with direct_io, so each read reaches the filesystem.
 * Like passthrough_hp, it asks for a 4 MiB max_write, more than the kernel
 * puts in a request (its fs.fuse.max_pages_limit, 256 pages by default).
 *
 * Build: cc uring_probe_ll.c $(pkg-config --cflags --libs fuse3) -lpthread
 * Run:   uring_probe_ll [-s] [-d] [-o no_io_uring] MOUNTPOINT
 *        (-s: fuse_session_loop; default: fuse_session_loop_mt)
 */
#define FUSE_USE_VERSION 317
#include <fuse_lowlevel.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NREAD 8
#define FILE_SIZE (256 * 1024)

enum {
	INO_R0 = 2,
	INO_RW = INO_R0 + NREAD,
	INO_ASYNC,
	INO_PAYLOAD,
	INO_BLOCK,
	INO_STATS,
	INO_END
};

static const char *const names[INO_END] = {
	[INO_R0 + 0] = "r0", [INO_R0 + 1] = "r1", [INO_R0 + 2] = "r2",
	[INO_R0 + 3] = "r3", [INO_R0 + 4] = "r4", [INO_R0 + 5] = "r5",
	[INO_R0 + 6] = "r6", [INO_R0 + 7] = "r7", [INO_RW] = "rw",
	[INO_ASYNC] = "async", [INO_PAYLOAD] = "payload",
	[INO_BLOCK] = "block", [INO_STATS] = "stats",
};

/* Counters, updated with atomic builtins from any thread. */
static int running, max_running;
static unsigned long ring_reqs, dev_reqs, async_replies, async_failed;
static unsigned long zero_copy, blocked_ring, interrupts;
static int blocked_now;

/* /rw's contents. */
static pthread_mutex_t rw_lock = PTHREAD_MUTEX_INITIALIZER;
static char *rw_data;
static size_t rw_size;

static unsigned char pattern(fuse_ino_t ino, off_t off)
{
	return (unsigned char)(off % 251 + 17 * ino);
}

static void fill_pattern(char *dst, fuse_ino_t ino, off_t off, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = (char)pattern(ino, off + (off_t)i);
}

/* Bytes a read of `size` at `off` gets from a pattern file. */
static size_t pattern_len(size_t size, off_t off)
{
	if (off >= FILE_SIZE)
		return 0;
	return size < (size_t)(FILE_SIZE - off) ? size : (size_t)(FILE_SIZE - off);
}

/* Every callback starts with enter() and ends with leave(). */
static void enter(fuse_req_t req)
{
	int now = __atomic_add_fetch(&running, 1, __ATOMIC_SEQ_CST);
	int max = __atomic_load_n(&max_running, __ATOMIC_SEQ_CST);

	while (now > max &&
	       !__atomic_compare_exchange_n(&max_running, &max, now, 0,
					    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		;
	if (fuse_req_is_uring(req))
		__atomic_add_fetch(&ring_reqs, 1, __ATOMIC_SEQ_CST);
	else
		__atomic_add_fetch(&dev_reqs, 1, __ATOMIC_SEQ_CST);
}

static void leave(void)
{
	__atomic_sub_fetch(&running, 1, __ATOMIC_SEQ_CST);
}

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define INC(x) __atomic_add_fetch(&(x), 1, __ATOMIC_SEQ_CST)

static void fill_attr(struct stat *st, fuse_ino_t ino)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	if (ino == FUSE_ROOT_ID) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return;
	}
	st->st_nlink = 1;
	if (ino == INO_RW) {
		st->st_mode = S_IFREG | 0666;
		pthread_mutex_lock(&rw_lock);
		st->st_size = (off_t)rw_size;
		pthread_mutex_unlock(&rw_lock);
	} else if (ino == INO_STATS || ino == INO_BLOCK) {
		/* Sizes unknown: read until a short reply (direct_io). */
		st->st_mode = S_IFREG | 0444;
		st->st_size = 0;
	} else {
		st->st_mode = S_IFREG | 0444;
		st->st_size = FILE_SIZE;
	}
}

static void probe_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;
	fuse_ino_t ino;

	enter(req);
	for (ino = INO_R0; ino < INO_END; ino++)
		if (strcmp(name, names[ino]) == 0)
			break;
	if (parent != FUSE_ROOT_ID || ino == INO_END) {
		fuse_reply_err(req, ENOENT);
	} else {
		memset(&e, 0, sizeof(e));
		e.ino = ino;
		fill_attr(&e.attr, ino);
		fuse_reply_entry(req, &e);
	}
	leave();
}

static void probe_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;

	(void)fi;
	enter(req);
	fill_attr(&st, ino);
	fuse_reply_attr(req, &st, 0);
	leave();
}

/* Grows the rw file to at least n bytes, the new ones zero; rw_lock held.
 * 0, or -1 when out of memory. */
static int grow_rw(size_t n)
{
	char *p;

	if (n <= rw_size)
		return 0;
	p = realloc(rw_data, n);
	if (!p)
		return -1;
	memset(p + rw_size, 0, n - rw_size);
	rw_data = p;
	rw_size = n;
	return 0;
}

static void probe_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
			  int to_set, struct fuse_file_info *fi)
{
	struct stat st;

	(void)fi;
	enter(req);
	if ((to_set & FUSE_SET_ATTR_SIZE) && ino != INO_RW) {
		fuse_reply_err(req, EACCES);
		leave();
		return;
	}
	if (to_set & FUSE_SET_ATTR_SIZE) {
		size_t n = (size_t)attr->st_size;

		pthread_mutex_lock(&rw_lock);
		if (grow_rw(n) != 0) {
			pthread_mutex_unlock(&rw_lock);
			fuse_reply_err(req, ENOMEM);
			leave();
			return;
		}
		rw_size = n;
		pthread_mutex_unlock(&rw_lock);
	}
	fill_attr(&st, ino);
	fuse_reply_attr(req, &st, 0);
	leave();
}

static void probe_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	enter(req);
	if (ino == FUSE_ROOT_ID) {
		fuse_reply_err(req, EISDIR);
	} else if (ino != INO_RW && (fi->flags & O_ACCMODE) != O_RDONLY) {
		fuse_reply_err(req, EACCES);
	} else {
		if (ino == INO_RW && (fi->flags & O_TRUNC)) {
			pthread_mutex_lock(&rw_lock);
			rw_size = 0;
			pthread_mutex_unlock(&rw_lock);
		}
		fi->direct_io = 1;
		fuse_reply_open(req, fi);
	}
	leave();
}

/* (c) The answer comes from a thread made for this request alone. */
struct async_read {
	fuse_req_t req;
	size_t size;
	off_t off;
};

static void *async_reply(void *arg)
{
	struct async_read *a = arg;
	size_t n = pattern_len(a->size, a->off);
	char *buf = malloc(n ? n : 1);

	if (!buf) {
		fuse_reply_err(a->req, ENOMEM);
	} else {
		fill_pattern(buf, INO_ASYNC, a->off, n);
		fuse_reply_buf(a->req, buf, n);
		INC(async_replies);
	}
	free(buf);
	free(a);
	return NULL;
}

/* (e) Answered only by the interrupt callback. */
static void block_interrupted(fuse_req_t req, void *data)
{
	(void)data;
	__atomic_sub_fetch(&blocked_now, 1, __ATOMIC_SEQ_CST);
	INC(interrupts);
	fuse_reply_err(req, EINTR);
}

static void reply_stats(fuse_req_t req, size_t size, off_t off)
{
	char text[512];
	int len;

	len = snprintf(text, sizeof(text),
		       "max_concurrency=%d\n"
		       "ring_requests=%lu\n"
		       "dev_requests=%lu\n"
		       "async_replies=%lu\n"
		       "async_failed=%lu\n"
		       "zero_copy_replies=%lu\n"
		       "blocked_now=%d\n"
		       "blocked_ring=%lu\n"
		       "interrupts=%lu\n"
		       "this_read_uring=%d\n",
		       LOAD(max_running), LOAD(ring_reqs), LOAD(dev_reqs),
		       LOAD(async_replies), LOAD(async_failed), LOAD(zero_copy),
		       LOAD(blocked_now), LOAD(blocked_ring), LOAD(interrupts),
		       fuse_req_is_uring(req) ? 1 : 0);
	if (off >= len)
		fuse_reply_buf(req, NULL, 0);
	else
		fuse_reply_buf(req, text + off,
			       size < (size_t)(len - off) ? size : (size_t)(len - off));
}

static void probe_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	size_t n = pattern_len(size, off);
	char *buf, *payload;
	size_t payload_sz;

	(void)fi;
	enter(req);
	if (ino >= INO_R0 && ino < INO_R0 + NREAD) {
		struct timespec ts = { 0, 2 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		buf = malloc(n ? n : 1);
		if (!buf) {
			fuse_reply_err(req, ENOMEM);
		} else {
			fill_pattern(buf, ino, off, n);
			fuse_reply_buf(req, buf, n);
			free(buf);
		}
	} else if (ino == INO_RW) {
		pthread_mutex_lock(&rw_lock);
		if ((size_t)off >= rw_size)
			fuse_reply_buf(req, NULL, 0);
		else
			fuse_reply_buf(req, rw_data + off,
				       size < rw_size - off ? size : rw_size - off);
		pthread_mutex_unlock(&rw_lock);
	} else if (ino == INO_ASYNC) {
		struct async_read *a = malloc(sizeof(*a));
		pthread_t t;

		if (a) {
			a->req = req;
			a->size = size;
			a->off = off;
		}
		if (!a || pthread_create(&t, NULL, async_reply, a) != 0) {
			free(a);
			INC(async_failed);
			fuse_reply_err(req, EAGAIN);
		} else {
			pthread_detach(t);
		}
	} else if (ino == INO_PAYLOAD) {
		if (fuse_req_is_uring(req) &&
		    fuse_req_get_payload(req, &payload, &payload_sz, NULL) == 0 &&
		    payload_sz >= n) {
			fill_pattern(payload, ino, off, n);
			INC(zero_copy);
			fuse_reply_buf(req, payload, n);
		} else {
			buf = malloc(n ? n : 1);
			if (!buf) {
				fuse_reply_err(req, ENOMEM);
			} else {
				fill_pattern(buf, ino, off, n);
				fuse_reply_buf(req, buf, n);
				free(buf);
			}
		}
	} else if (ino == INO_BLOCK) {
		INC(blocked_now);
		if (fuse_req_is_uring(req))
			INC(blocked_ring);
		/* Runs at once if the interrupt already came. */
		fuse_req_interrupt_func(req, block_interrupted, NULL);
	} else if (ino == INO_STATS) {
		reply_stats(req, size, off);
	} else {
		fuse_reply_err(req, EISDIR);
	}
	leave();
}

static void probe_write(fuse_req_t req, fuse_ino_t ino, const char *data,
			size_t size, off_t off, struct fuse_file_info *fi)
{
	size_t end = (size_t)off + size;

	(void)fi;
	enter(req);
	if (ino != INO_RW) {
		fuse_reply_err(req, EACCES);
		leave();
		return;
	}
	pthread_mutex_lock(&rw_lock);
	if (grow_rw(end) != 0) {
		pthread_mutex_unlock(&rw_lock);
		fuse_reply_err(req, ENOMEM);
		leave();
		return;
	}
	memcpy(rw_data + off, data, size);
	pthread_mutex_unlock(&rw_lock);
	fuse_reply_write(req, size);
	leave();
}

static void probe_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	conn->max_write = 4 * 1024 * 1024;
}

static const struct fuse_lowlevel_ops ops = {
	.init = probe_init,
	.lookup = probe_lookup,
	.getattr = probe_getattr,
	.setattr = probe_setattr,
	.open = probe_open,
	.read = probe_read,
	.write = probe_write,
};

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts opts;
	struct fuse_loop_config *config;
	struct fuse_session *se;
	int ret = -1;

	if (fuse_parse_cmdline(&args, &opts) != 0)
		return 1;
	if (opts.show_help || !opts.mountpoint) {
		printf("usage: %s [-s] [-d] [-o no_io_uring] MOUNTPOINT\n", argv[0]);
		fuse_cmdline_help();
		fuse_lowlevel_help();
		free(opts.mountpoint);
		fuse_opt_free_args(&args);
		return opts.show_help ? 0 : 1;
	}
	se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	if (se && fuse_set_signal_handlers(se) == 0) {
		if (fuse_session_mount(se, opts.mountpoint) == 0) {
			fuse_daemonize(opts.foreground);
			if (opts.singlethread) {
				ret = fuse_session_loop(se);
			} else {
				config = fuse_loop_cfg_create();
				fuse_loop_cfg_set_clone_fd(config, opts.clone_fd);
				fuse_loop_cfg_set_max_threads(config, opts.max_threads);
				ret = fuse_session_loop_mt(se, config);
				fuse_loop_cfg_destroy(config);
			}
			fuse_session_unmount(se);
		}
		fuse_remove_signal_handlers(se);
	}
	if (se)
		fuse_session_destroy(se);
	fprintf(stderr, "uring_probe_ll: loop returned %d\n", ret);
	free(opts.mountpoint);
	fuse_opt_free_args(&args);
	free(rw_data);
	/* A positive value is the signal that ended the loop: a clean end. */
	return ret < 0 ? 1 : 0;
}
