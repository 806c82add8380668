/*
 * misuse_ll: a low-level filesystem that answers wrongly on purpose, to show
 * that ferrofuse logs such mistakes and keeps serving (libfuse would use
 * freed memory or crash).
 *
 *   /twice   lookup replies twice (entry, then an error)
 *   /null    lookup replies with a NULL entry
 *   /bad     lookup replies with an error value the kernel would reject
 *   /late    lookup is answered from another thread, after the callback
 *   /file    an ordinary file, to show the filesystem still works
 *
 * Build: cc misuse_ll.c $(pkg-config --cflags --libs fuse3) -lpthread
 * Run:   misuse_ll -f MOUNTPOINT
 */
#define FUSE_USE_VERSION 318
#include <fuse_lowlevel.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char file_data[] = "still serving\n";

static void fill(struct stat *st, fuse_ino_t ino)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	if (ino == FUSE_ROOT_ID) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	} else {
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
		st->st_size = sizeof(file_data) - 1;
	}
}

static void reply_entry_for(fuse_req_t req, fuse_ino_t ino)
{
	struct fuse_entry_param e;

	memset(&e, 0, sizeof(e));
	e.ino = ino;
	e.attr_timeout = 0;
	e.entry_timeout = 0;
	fill(&e.attr, ino);
	fuse_reply_entry(req, &e);
}

static void *late_reply(void *arg)
{
	usleep(1000);
	reply_entry_for(arg, 2);
	return NULL;
}

static void ml_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	if (parent != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOENT);
	} else if (strcmp(name, "twice") == 0) {
		reply_entry_for(req, 2);
		/* The second answer must be refused, not sent or crash. */
		if (fuse_reply_err(req, EIO) == 0)
			fprintf(stderr, "misuse_ll: second reply accepted!\n");
	} else if (strcmp(name, "null") == 0) {
		fuse_reply_entry(req, NULL);
	} else if (strcmp(name, "bad") == 0) {
		fuse_reply_err(req, 100000);
	} else if (strcmp(name, "late") == 0) {
		pthread_t t;
		pthread_create(&t, NULL, late_reply, req);
		pthread_detach(t);
	} else if (strcmp(name, "file") == 0) {
		reply_entry_for(req, 2);
	} else {
		fuse_reply_err(req, ENOENT);
	}
}

static void ml_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;

	(void)fi;
	fill(&st, ino);
	fuse_reply_attr(req, &st, 0);
}

static void ml_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	size_t len = sizeof(file_data) - 1;

	(void)ino;
	(void)fi;
	if ((size_t)off >= len)
		fuse_reply_buf(req, NULL, 0);
	else
		fuse_reply_buf(req, file_data + off, size < len - off ? size : len - off);
}

static const struct fuse_lowlevel_ops ops = {
	.lookup = ml_lookup,
	.getattr = ml_getattr,
	.read = ml_read,
};

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts opts;
	struct fuse_session *se;
	int ret = 1;

	if (fuse_parse_cmdline(&args, &opts) != 0 || !opts.mountpoint)
		return 1;
	se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	if (se && fuse_set_signal_handlers(se) == 0) {
		if (fuse_session_mount(se, opts.mountpoint) == 0) {
			ret = fuse_session_loop(se);
			fuse_session_unmount(se);
		}
		fuse_remove_signal_handlers(se);
	}
	if (se)
		fuse_session_destroy(se);
	free(opts.mountpoint);
	fuse_opt_free_args(&args);
	return ret ? 1 : 0;
}
