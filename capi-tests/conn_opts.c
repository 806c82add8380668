/*
 * fuse_parse_conn_info_opts and fuse_apply_conn_info_opts from C, for
 * comparing libraries (tests/buf_conn_c.rs): for each command line, prints
 * what the parser left in the arguments, any messages logged, and the
 * fuse_conn_info fields after applying the options to two connections (one
 * offering every capability, one offering few).
 *
 * Line prefixes:
 *   "[v]" 3.14 and 3.18 differ (3.18 only enables what the kernel offers);
 *   "[e]" printed only with 3.17+ headers (the _ext fields).
 *
 * The conn sits in the middle of a large zeroed block: libfuse 3.18's
 * feature-flag helpers reach the session around the conn (container_of),
 * which must then be memory we own.
 *
 * With -DWITH_SESSION the program first creates a session through
 * fuse_session_new (so that a 3.14-built caller tells ferrofuse which
 * layouts it uses); if that fails it prints "SKIP" and stops.
 */
#ifndef FUSE_USE_VERSION
#define FUSE_USE_VERSION 31
#endif
#include <fuse_lowlevel.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA (1 << 20)

static void logger(enum fuse_log_level level, const char *fmt, va_list ap)
{
	printf("log %d: ", level);
	vprintf(fmt, ap);
}

/* A fresh conn inside a fresh zeroed block (never freed, so no later conn
 * shares its address). */
static struct fuse_conn_info *new_conn(uint64_t capable, uint64_t want)
{
	char *arena = calloc(1, ARENA);
	struct fuse_conn_info *c;

	if (!arena) {
		perror("calloc");
		exit(1);
	}
	c = (struct fuse_conn_info *)(arena + ARENA / 2);
	c->capable = (unsigned)capable;
	c->want = (unsigned)want;
	c->max_write = 131072;
	c->max_readahead = 131072;
	c->max_background = 0;
	c->congestion_threshold = 0;
	c->time_gran = 1;
#if FUSE_VERSION >= 317
	c->capable_ext = capable;
	c->want_ext = want;
#endif
	return c;
}

static void show(const char *pfx, const char *what, struct fuse_conn_info *c)
{
	printf("%s%s: max_write=%u max_readahead=%u max_background=%u "
	       "congestion_threshold=%u time_gran=%u want=0x%x\n",
	       pfx, what, c->max_write, c->max_readahead, c->max_background,
	       c->congestion_threshold, c->time_gran, c->want);
#if FUSE_VERSION >= 317
	printf("[e] %s%s: want_ext=0x%llx\n", pfx, what,
	       (unsigned long long)c->want_ext);
#endif
}

#define MOST_CAPS                                                        \
	(FUSE_CAP_ASYNC_READ | FUSE_CAP_POSIX_LOCKS | FUSE_CAP_FLOCK_LOCKS | \
	 FUSE_CAP_READDIRPLUS | FUSE_CAP_READDIRPLUS_AUTO |               \
	 FUSE_CAP_AUTO_INVAL_DATA | FUSE_CAP_ASYNC_DIO)

static void scenario(const char *name, const char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_conn_info_opts *opts;
	struct fuse_conn_info *c;
	int i;

	printf("== %s\n", name);
	for (i = 0; argv[i]; i++)
		fuse_opt_add_arg(&args, argv[i]);
	opts = fuse_parse_conn_info_opts(&args);
	printf("parsed: %s\n", opts ? "ok" : "NULL");
	printf("left:");
	for (i = 0; i < args.argc; i++)
		printf(" '%s'", args.argv[i]);
	printf("\n");
	fuse_opt_free_args(&args);
	if (!opts)
		return;

	c = new_conn(0xffffffffull, MOST_CAPS);
	fuse_apply_conn_info_opts(opts, c);
	show("", "all offered", c);

	c = new_conn(FUSE_CAP_SPLICE_READ | FUSE_CAP_ASYNC_READ |
			     FUSE_CAP_POSIX_LOCKS,
		     FUSE_CAP_ASYNC_READ | FUSE_CAP_POSIX_LOCKS);
	fuse_apply_conn_info_opts(opts, c);
	show("[v] ", "few offered", c);
	free(opts);
}

int main(int argc, char **argv)
{
	static const char *numbers[] = {
		"prog", "-o",
		"max_write=4096,max_readahead=65536,max_background=12,"
		"congestion_threshold=9,time_gran=1000",
		NULL
	};
	static const char *reads[] = {
		"prog", "-o", "async_read,sync_read,atomic_o_trunc,no_remote_lock",
		NULL
	};
	static const char *enable[] = {
		"prog", "-o",
		"splice_write,splice_move,splice_read,auto_inval_data,async_dio,"
		"writeback_cache",
		"-o", "readdirplus=no", NULL
	};
	static const char *disable[] = {
		"prog", "-o",
		"no_splice_write,no_splice_move,no_splice_read,"
		"no_auto_inval_data,no_async_dio,no_writeback_cache,"
		"readdirplus=yes",
		NULL
	};
	static const char *both[] = {
		"prog", "-o", "writeback_cache,no_writeback_cache,async_read",
		"-o", "sync_read,splice_read,no_splice_read", NULL
	};
	static const char *mixed[] = {
		"prog", "-o", "readdirplus=auto,no_remote_flock,no_remote_posix_lock",
		"/mnt/point", "-o", "other_opt,splice_read", "-f",
		"-omax_write=1,fsname=x", NULL
	};
	static const char *bad_number[] = { "prog", "-o", "max_write=abc", NULL };
	static const char *unknown_value[] = {
		"prog", "-o", "readdirplus=maybe", NULL
	};
	static const char *empty_number[] = { "prog", "-o", "time_gran=", NULL };
	static const char *missing[] = { "prog", "-o", NULL };
	static const char *nothing[] = { "prog", NULL };
	struct fuse_conn_info_opts *opts;
	struct fuse_conn_info *c;

	(void)argc;
#ifdef WITH_SESSION
	{
		char *av[] = { argv[0], NULL };
		struct fuse_args a = FUSE_ARGS_INIT(1, av);
		struct fuse_lowlevel_ops ops;

		memset(&ops, 0, sizeof(ops));
		if (!fuse_session_new(&a, &ops, sizeof(ops), NULL)) {
			printf("SKIP\n");
			return 0;
		}
	}
#else
	(void)argv;
#endif
	fuse_set_log_func(logger);
	scenario("numbers", numbers);
	scenario("reads", reads);
	scenario("enable", enable);
	scenario("disable", disable);
	scenario("both", both);
	scenario("mixed", mixed);
	scenario("bad number", bad_number);
	scenario("unknown value", unknown_value);
	scenario("empty number", empty_number);
	scenario("missing argument", missing);
	scenario("nothing", nothing);

	printf("== NULL args\n");
	opts = fuse_parse_conn_info_opts(NULL);
	printf("parsed: %s\n", opts ? "ok" : "NULL");
	if (opts) {
		c = new_conn(0xffffffffull, MOST_CAPS);
		fuse_apply_conn_info_opts(opts, c);
		show("", "all offered", c);
		free(opts);
	}
	printf("END\n");
	return 0;
}
