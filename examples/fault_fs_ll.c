/*
 * fault_fs_ll: a low-level filesystem that misbehaves on demand, for the
 * fault tests (tests/faults.rs, tests/fds.rs, tests/valgrind.rs). The name
 * looked up or read chooses the misbehaviour.
 *
 *   /data        an ordinary in-memory file (read, write, truncate, fsync)
 *   /intr        a read never replies by itself; its interrupt function
 *                (fuse_req_interrupt_func) replies EINTR
 *   /poll        a read is handed to a thread that waits until
 *                fuse_req_interrupted() says the kernel interrupted it, and
 *                only then registers its interrupt function, which must run
 *                at once (the interrupt already came) and replies EINTR
 *   /hang        a read is never answered at all (no interrupt function):
 *                only aborting the connection frees its caller
 *   /spliced     read-only, answered by fuse_reply_data from an fd buffer
 *                (a memfd), so the library may splice
 *   /oversize    a read replies 4096 bytes more than the kernel asked for
 *   /huge        a read replies 32 MiB (more than any request may carry)
 *   /nullbuf     a read replies fuse_reply_buf(req, NULL, 4096)
 *   /none_release  an ordinary file whose release calls fuse_reply_none
 *                and then fuse_reply_err(req, 0): the second is refused
 *   /fds         reading it forks and execs `ls -l /proc/self/fd` and
 *                returns its output: the fds an exec'd child inherits
 *   /gate        a read waits in its callback (holding its worker) until
 *                the name open_gate is looked up; /stats counts the
 *                waiting ones as gated=N
 *   /stats       key=value counters
 *
 * Lookups of these names answer wrongly (stat fails or succeeds as noted):
 *   twice        entry, then fuse_reply_err(EIO) (refused): stat succeeds
 *   twice_entry  entry, then entry again (refused): stat succeeds
 *   null_entry   fuse_reply_entry(req, NULL): stat fails
 *   err_neg      fuse_reply_err(req, -EIO): stat fails
 *   err_huge     fuse_reply_err(req, INT_MAX): stat fails
 *   err_min      fuse_reply_err(req, INT_MIN): stat fails
 *   err_big      fuse_reply_err(req, 100000): stat fails
 *   null_req     fuse_reply_err(NULL, EIO) (refused), then the entry of
 *                /data: stat succeeds
 *   open_gate    lets every /gate read reply (ENOENT)
 *   exit         calls fuse_session_exit() from the callback (ENOENT)
 *
 * Every refused reply (a fuse_reply_* returning nonzero where it must be
 * refused) counts in /stats as refused=N; one that was accepted counts as
 * accepted_twice=N, which must stay 0.
 *
 * Every file but /data and /none_release is opened with direct_io.
 *
 * Build: cc fault_fs_ll.c $(pkg-config --cflags --libs fuse3) -lpthread
 * Run:   fault_fs_ll [-s] [-d] [-o clone_fd,max_idle_threads=N] MOUNTPOINT
 */
#define FUSE_USE_VERSION 317
#include <fuse_lowlevel.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum {
	INO_DATA = 2,
	INO_INTR,
	INO_POLL,
	INO_HANG,
	INO_SPLICED,
	INO_OVERSIZE,
	INO_HUGE,
	INO_NULLBUF,
	INO_NONE_RELEASE,
	INO_FDS,
	INO_STATS,
	INO_GATE,
	INO_END
};

static const char *const names[INO_END] = {
	[INO_DATA] = "data",	     [INO_INTR] = "intr",
	[INO_POLL] = "poll",	     [INO_HANG] = "hang",
	[INO_SPLICED] = "spliced",
	[INO_OVERSIZE] = "oversize", [INO_HUGE] = "huge",
	[INO_NULLBUF] = "nullbuf",   [INO_NONE_RELEASE] = "none_release",
	[INO_FDS] = "fds",	     [INO_STATS] = "stats",
	[INO_GATE] = "gate",
};

#define SPLICED_SIZE (1024 * 1024)
#define HUGE_SIZE (32 * 1024 * 1024)

static unsigned long blocked_now, interrupts, polled, refused, accepted_twice;
static unsigned long none_releases, ring_reqs, dev_reqs, hung, gated;

static struct fuse_session *se;

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static int gate_open;

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define INC(x) __atomic_add_fetch(&(x), 1, __ATOMIC_SEQ_CST)
#define DEC(x) __atomic_sub_fetch(&(x), 1, __ATOMIC_SEQ_CST)

static pthread_mutex_t data_lock = PTHREAD_MUTEX_INITIALIZER;
static char *data;
static size_t data_size;

static int spliced_fd = -1;

/* The last /fds listing, made by a read at offset 0. */
static pthread_mutex_t fds_lock = PTHREAD_MUTEX_INITIALIZER;
static char fds_text[16384];
static size_t fds_len;

static void count_second(int res)
{
	if (res != 0)
		INC(refused);
	else
		INC(accepted_twice);
}

static void count_req(fuse_req_t req)
{
	if (fuse_req_is_uring(req))
		INC(ring_reqs);
	else
		INC(dev_reqs);
}

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
	if (ino == INO_DATA) {
		st->st_mode = S_IFREG | 0666;
		pthread_mutex_lock(&data_lock);
		st->st_size = (off_t)data_size;
		pthread_mutex_unlock(&data_lock);
	} else if (ino == INO_SPLICED) {
		st->st_mode = S_IFREG | 0444;
		st->st_size = SPLICED_SIZE;
	} else if (ino == INO_NONE_RELEASE) {
		st->st_mode = S_IFREG | 0444;
		st->st_size = 0;
	} else {
		st->st_mode = S_IFREG | 0444;
		st->st_size = 0;
	}
}

static void entry_for(fuse_req_t req, fuse_ino_t ino, int twice)
{
	struct fuse_entry_param e;

	memset(&e, 0, sizeof(e));
	e.ino = ino;
	fill_attr(&e.attr, ino);
	fuse_reply_entry(req, &e);
	if (twice)
		count_second(fuse_reply_entry(req, &e));
}

static void ff_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	fuse_ino_t ino;

	count_req(req);
	if (parent != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	for (ino = INO_DATA; ino < INO_END; ino++)
		if (strcmp(name, names[ino]) == 0) {
			entry_for(req, ino, 0);
			return;
		}
	if (strcmp(name, "twice") == 0) {
		entry_for(req, INO_DATA, 0);
		count_second(fuse_reply_err(req, EIO));
	} else if (strcmp(name, "twice_entry") == 0) {
		entry_for(req, INO_DATA, 1);
	} else if (strcmp(name, "null_entry") == 0) {
		fuse_reply_entry(req, NULL);
	} else if (strcmp(name, "err_neg") == 0) {
		fuse_reply_err(req, -EIO);
	} else if (strcmp(name, "err_huge") == 0) {
		fuse_reply_err(req, INT_MAX);
	} else if (strcmp(name, "err_min") == 0) {
		fuse_reply_err(req, INT_MIN);
	} else if (strcmp(name, "err_big") == 0) {
		fuse_reply_err(req, 100000);
	} else if (strcmp(name, "null_req") == 0) {
		count_second(fuse_reply_err(NULL, EIO));
		entry_for(req, INO_DATA, 0);
	} else if (strcmp(name, "open_gate") == 0) {
		pthread_mutex_lock(&gate_lock);
		gate_open = 1;
		pthread_cond_broadcast(&gate_cond);
		pthread_mutex_unlock(&gate_lock);
		fuse_reply_err(req, ENOENT);
	} else if (strcmp(name, "exit") == 0) {
		fuse_session_exit(se);
		fuse_reply_err(req, ENOENT);
	} else {
		fuse_reply_err(req, ENOENT);
	}
}

static void ff_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;

	(void)fi;
	count_req(req);
	fill_attr(&st, ino);
	fuse_reply_attr(req, &st, 0);
}

/* Grows /data to at least n bytes, the new ones zero; data_lock held. */
static int grow_data(size_t n)
{
	char *p;

	if (n <= data_size)
		return 0;
	p = realloc(data, n);
	if (!p)
		return -1;
	memset(p + data_size, 0, n - data_size);
	data = p;
	data_size = n;
	return 0;
}

static void ff_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		       int to_set, struct fuse_file_info *fi)
{
	struct stat st;

	(void)fi;
	count_req(req);
	if (to_set & FUSE_SET_ATTR_SIZE) {
		if (ino != INO_DATA) {
			fuse_reply_err(req, EACCES);
			return;
		}
		pthread_mutex_lock(&data_lock);
		if (grow_data((size_t)attr->st_size) != 0) {
			pthread_mutex_unlock(&data_lock);
			fuse_reply_err(req, ENOMEM);
			return;
		}
		data_size = (size_t)attr->st_size;
		pthread_mutex_unlock(&data_lock);
	}
	fill_attr(&st, ino);
	fuse_reply_attr(req, &st, 0);
}

static void ff_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	count_req(req);
	if (ino == FUSE_ROOT_ID) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if (ino != INO_DATA && (fi->flags & O_ACCMODE) != O_RDONLY) {
		fuse_reply_err(req, EACCES);
		return;
	}
	if (ino == INO_DATA && (fi->flags & O_TRUNC)) {
		pthread_mutex_lock(&data_lock);
		data_size = 0;
		pthread_mutex_unlock(&data_lock);
	}
	if (ino != INO_DATA && ino != INO_NONE_RELEASE)
		fi->direct_io = 1;
	fuse_reply_open(req, fi);
}

static void ff_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)fi;
	count_req(req);
	if (ino == INO_NONE_RELEASE) {
		fuse_reply_none(req);
		count_second(fuse_reply_err(req, 0));
		/* Last, so a test that waits for none_releases also sees
		 * the refused second reply counted. */
		INC(none_releases);
		return;
	}
	fuse_reply_err(req, 0);
}

static void intr_reply(fuse_req_t req, void *arg)
{
	(void)arg;
	DEC(blocked_now);
	INC(interrupts);
	fuse_reply_err(req, EINTR);
}

/* /poll: waits for fuse_req_interrupted(), then registers the function. */
static void *poll_thread(void *arg)
{
	fuse_req_t req = arg;
	struct timespec ts = { 0, 1000 * 1000 };

	while (!fuse_req_interrupted(req))
		nanosleep(&ts, NULL);
	INC(polled);
	fuse_req_interrupt_func(req, intr_reply, NULL);
	return NULL;
}

/* Runs `ls -l /proc/self/fd` and keeps its output in fds_text. */
static void list_child_fds(void)
{
	int p[2];
	pid_t pid;
	ssize_t n;

	fds_len = 0;
	if (pipe2(p, O_CLOEXEC) != 0)
		return;
	pid = fork();
	if (pid == 0) {
		/* dup2 clears FD_CLOEXEC on fd 1 only. */
		if (dup2(p[1], 1) == 1)
			execlp("ls", "ls", "-l", "/proc/self/fd", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while (pid > 0 && fds_len < sizeof(fds_text) &&
	       (n = read(p[0], fds_text + fds_len, sizeof(fds_text) - fds_len)) > 0)
		fds_len += (size_t)n;
	close(p[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

static void reply_text(fuse_req_t req, const char *text, size_t len, size_t size,
		       off_t off)
{
	if ((size_t)off >= len)
		fuse_reply_buf(req, NULL, 0);
	else
		fuse_reply_buf(req, text + off,
			       size < len - (size_t)off ? size : len - (size_t)off);
}

static void reply_stats(fuse_req_t req, size_t size, off_t off)
{
	char text[512];
	int len;

	len = snprintf(text, sizeof(text),
		       "blocked_now=%lu\ninterrupts=%lu\npolled=%lu\n"
		       "refused=%lu\naccepted_twice=%lu\nnone_releases=%lu\n"
		       "ring_requests=%lu\ndev_requests=%lu\nhung=%lu\n"
		       "gated=%lu\n",
		       LOAD(blocked_now), LOAD(interrupts), LOAD(polled),
		       LOAD(refused), LOAD(accepted_twice), LOAD(none_releases),
		       LOAD(ring_reqs), LOAD(dev_reqs), LOAD(hung), LOAD(gated));
	reply_text(req, text, (size_t)len, size, off);
}

static void ff_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	char *buf;

	(void)fi;
	count_req(req);
	switch (ino) {
	case INO_DATA:
		pthread_mutex_lock(&data_lock);
		if ((size_t)off >= data_size)
			fuse_reply_buf(req, NULL, 0);
		else
			fuse_reply_buf(req, data + off,
				       size < data_size - (size_t)off ?
					       size : data_size - (size_t)off);
		pthread_mutex_unlock(&data_lock);
		break;
	case INO_INTR:
		INC(blocked_now);
		/* Runs at once if the interrupt already came. */
		fuse_req_interrupt_func(req, intr_reply, NULL);
		break;
	case INO_POLL: {
		pthread_t t;

		INC(blocked_now);
		if (pthread_create(&t, NULL, poll_thread, req) != 0) {
			DEC(blocked_now);
			fuse_reply_err(req, EAGAIN);
		} else {
			pthread_detach(t);
		}
		break;
	}
	case INO_HANG:
		/* Never answered: the request stays with us for good. */
		INC(hung);
		break;
	case INO_SPLICED: {
		struct fuse_bufvec bv = FUSE_BUFVEC_INIT(size);

		if (off >= SPLICED_SIZE) {
			fuse_reply_buf(req, NULL, 0);
			break;
		}
		if (size > (size_t)(SPLICED_SIZE - off))
			bv.buf[0].size = (size_t)(SPLICED_SIZE - off);
		bv.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
		bv.buf[0].fd = spliced_fd;
		bv.buf[0].pos = off;
		fuse_reply_data(req, &bv, FUSE_BUF_SPLICE_MOVE);
		break;
	}
	case INO_OVERSIZE:
	case INO_HUGE: {
		size_t n = ino == INO_HUGE ? HUGE_SIZE : size + 4096;

		buf = calloc(1, n);
		if (!buf) {
			fuse_reply_err(req, ENOMEM);
			break;
		}
		fuse_reply_buf(req, buf, n);
		free(buf);
		break;
	}
	case INO_NULLBUF:
		fuse_reply_buf(req, NULL, 4096);
		break;
	case INO_FDS:
		pthread_mutex_lock(&fds_lock);
		if (off == 0)
			list_child_fds();
		reply_text(req, fds_text, fds_len, size, off);
		pthread_mutex_unlock(&fds_lock);
		break;
	case INO_STATS:
		reply_stats(req, size, off);
		break;
	case INO_GATE:
		pthread_mutex_lock(&gate_lock);
		INC(gated);
		while (!gate_open)
			pthread_cond_wait(&gate_cond, &gate_lock);
		DEC(gated);
		pthread_mutex_unlock(&gate_lock);
		fuse_reply_buf(req, NULL, 0);
		break;
	case INO_NONE_RELEASE:
		fuse_reply_buf(req, NULL, 0);
		break;
	default:
		fuse_reply_err(req, EISDIR);
	}
}

static void ff_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
		     off_t off, struct fuse_file_info *fi)
{
	(void)fi;
	count_req(req);
	if (ino != INO_DATA) {
		fuse_reply_err(req, EACCES);
		return;
	}
	pthread_mutex_lock(&data_lock);
	if (grow_data((size_t)off + size) != 0) {
		pthread_mutex_unlock(&data_lock);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	memcpy(data + off, buf, size);
	pthread_mutex_unlock(&data_lock);
	fuse_reply_write(req, size);
}

static void ff_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		     struct fuse_file_info *fi)
{
	(void)ino;
	(void)datasync;
	(void)fi;
	count_req(req);
	fuse_reply_err(req, 0);
}

/* Splice both ways where the kernel allows it (as passthrough_hp asks),
 * so the library's pipes exist for the fd tests. */
static void ff_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	fuse_set_feature_flag(conn, FUSE_CAP_SPLICE_WRITE);
	fuse_set_feature_flag(conn, FUSE_CAP_SPLICE_MOVE);
	fuse_set_feature_flag(conn, FUSE_CAP_SPLICE_READ);
}

static const struct fuse_lowlevel_ops ops = {
	.init = ff_init,
	.lookup = ff_lookup,
	.getattr = ff_getattr,
	.setattr = ff_setattr,
	.open = ff_open,
	.release = ff_release,
	.read = ff_read,
	.write = ff_write,
	.fsync = ff_fsync,
};

/* /spliced's contents: byte i is i % 253. */
static int make_spliced(void)
{
	char *buf = malloc(SPLICED_SIZE);
	size_t done = 0;
	ssize_t n;

	spliced_fd = memfd_create("fault_fs_ll", MFD_CLOEXEC);
	if (spliced_fd < 0 || !buf) {
		free(buf);
		return -1;
	}
	for (size_t i = 0; i < SPLICED_SIZE; i++)
		buf[i] = (char)(i % 253);
	while (done < SPLICED_SIZE &&
	       (n = write(spliced_fd, buf + done, SPLICED_SIZE - done)) > 0)
		done += (size_t)n;
	free(buf);
	return done == SPLICED_SIZE ? 0 : -1;
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts opts;
	struct fuse_loop_config *config;
	int ret = -1;

	if (fuse_parse_cmdline(&args, &opts) != 0)
		return 1;
	if (opts.show_help || !opts.mountpoint) {
		printf("usage: %s [-s] [-d] [-o clone_fd] MOUNTPOINT\n", argv[0]);
		free(opts.mountpoint);
		fuse_opt_free_args(&args);
		return opts.show_help ? 0 : 1;
	}
	if (make_spliced() != 0) {
		perror("fault_fs_ll: memfd");
		free(opts.mountpoint);
		fuse_opt_free_args(&args);
		return 1;
	}
	se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	if (se && fuse_set_signal_handlers(se) == 0) {
		if (fuse_session_mount(se, opts.mountpoint) == 0) {
			if (opts.singlethread) {
				ret = fuse_session_loop(se);
			} else {
				config = fuse_loop_cfg_create();
				fuse_loop_cfg_set_clone_fd(config, opts.clone_fd);
				fuse_loop_cfg_set_max_threads(config, opts.max_threads);
				if (opts.max_idle_threads != UINT_MAX)
					fuse_loop_cfg_set_idle_threads(
						config, opts.max_idle_threads);
				ret = fuse_session_loop_mt(se, config);
				fuse_loop_cfg_destroy(config);
			}
			fuse_session_unmount(se);
		}
		fuse_remove_signal_handlers(se);
	}
	if (se)
		fuse_session_destroy(se);
	fprintf(stderr, "fault_fs_ll: loop returned %d\n", ret);
	free(opts.mountpoint);
	fuse_opt_free_args(&args);
	free(data);
	close(spliced_fd);
	/* A positive value is the signal that ended the loop: a clean end. */
	return ret < 0 ? 1 : 0;
}
