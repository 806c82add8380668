/*
 * The fuse_opt and command-line helper API from C, for comparing libraries
 * (tests/opt_diff.rs): the same program is built against Debian's libfuse
 * 3.14 and against ferrofuse (and, when available, libfuse 3.18.3), and the
 * transcripts it prints must be identical.
 *
 * Usage: opt_diff BASE    (BASE: a directory holding dir/ and link -> dir;
 *                          paths under it are printed as $BASE)
 * It reports the file of the libfuse it runs with on stderr ("lib: PATH").
 *
 * Each case starts with "=== CASE <n> <name>" and then prints what it
 * observes: return values, the resulting argc/argv, the data struct fields,
 * every call of the processing function (argument, key, outargs size, its
 * return value), and every message logged through fuse_log. Functions that
 * print to stdout, fork or touch signal dispositions run in a child process
 * whose stdout ("out|"), stderr ("err|") and exit status are shown.
 *
 * Cases tagged DIFF_314 are where libfuse 3.18 behaves differently from
 * 3.14 (versions, help texts, the 3.18-only fail signal handlers, the exit
 * handler without a session). ferrofuse follows 3.18.3 there, so the test
 * compares those cases with libfuse 3.18.3's behaviour, written out in
 * tests/opt_diff.rs, instead of with Debian's 3.14.
 */
#ifndef FUSE_USE_VERSION
#define FUSE_USE_VERSION 31
#endif
#include <fuse_lowlevel.h>
#include <fuse_opt.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Both versions of fuse_parse_cmdline, called by their own names. */
int fuse_parse_cmdline_30(struct fuse_args *args,
			  struct fuse_cmdline_opts *opts);
int fuse_parse_cmdline_312(struct fuse_args *args,
			   struct fuse_cmdline_opts *opts);

static char base[PATH_MAX];
static size_t baselen;
static int ncase;

/* ---- printing ---------------------------------------------------------- */

static void put_str(const char *s)
{
	if (!s) {
		fputs("NULL", stdout);
		return;
	}
	if (baselen && strncmp(s, base, baselen) == 0) {
		fputs("$BASE", stdout);
		s += baselen;
	}
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			printf("\\x%02x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static void put_hex(const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		printf("%02x", b[i]);
}

static void logger(enum fuse_log_level level, const char *fmt, va_list ap)
{
	char buf[4096];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	printf("log[%d] ", (int)level);
	put_str(buf);
	putchar('\n');
}

static void header(const char *name, int diff314)
{
	printf("=== CASE %d %s%s\n", ++ncase, name,
	       diff314 ? " DIFF_314" : "");
}

static void print_argv(const char *what, int argc, char **argv)
{
	printf("%s argc=%d ", what, argc);
	if (!argv) {
		printf("argv=NULL");
		return;
	}
	putchar('[');
	for (int i = 0; i < argc; i++) {
		if (i)
			putchar(' ');
		put_str(argv[i]);
	}
	putchar(']');
}

static void print_args(const struct fuse_args *a)
{
	print_argv("args", a->argc, a->argv);
	printf(" allocated=%d", a->allocated);
	if (a->allocated && a->argv)
		printf(" end=%s", a->argv[a->argc] ? "set" : "NULL");
	putchar('\n');
}

/* ---- the data struct and option table ---------------------------------- */

struct data {
	int i1, i2, i3;
	unsigned u;
	long l;
	unsigned long lu;
	long long ll;
	unsigned long long llu;
	short h;
	unsigned short hu;
	signed char hh;
	unsigned char hhu;
	int o, x, ii, n;
	float f;
	double d;
	long double ld;
	char *s;
	char *s2;
	char *ms;
	void *p;
	char arr[16];
	char c3[3];
};

static void init_data(struct data *d)
{
	memset(d, 0x5a, sizeof(*d));
	d->s = d->s2 = d->ms = NULL;
}

/* True when the field's bytes still hold init_data's filler. */
static int filler(const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0x5a)
			return 1 == 0;
	return 1;
}

/* Prints the fields a parse changed (all others still hold the filler). */
static void print_data(const struct data *d)
{
#define INT_FIELD(f, fmt)                                                  \
	if (!filler(&d->f, sizeof(d->f)))                                  \
		printf(" " #f "=" fmt, d->f);
#define HEX_FIELD(f)                                                       \
	if (!filler(&d->f, sizeof(d->f))) {                                \
		printf(" " #f "=");                                        \
		put_hex(&d->f, sizeof(d->f));                              \
	}
#define STR_FIELD(f)                                                       \
	if (d->f) {                                                        \
		printf(" " #f "=");                                        \
		put_str(d->f);                                             \
	}
	printf("data");
	INT_FIELD(i1, "%d")
	INT_FIELD(i2, "%d")
	INT_FIELD(i3, "%d")
	INT_FIELD(u, "%u")
	INT_FIELD(l, "%ld")
	INT_FIELD(lu, "%lu")
	INT_FIELD(ll, "%lld")
	INT_FIELD(llu, "%llu")
	INT_FIELD(h, "%d")
	INT_FIELD(hu, "%u")
	INT_FIELD(hh, "%d")
	INT_FIELD(hhu, "%u")
	INT_FIELD(o, "%d")
	INT_FIELD(x, "%d")
	INT_FIELD(ii, "%d")
	INT_FIELD(n, "%d")
	HEX_FIELD(f)
	HEX_FIELD(d)
	HEX_FIELD(ld)
	HEX_FIELD(p)
	HEX_FIELD(arr)
	HEX_FIELD(c3)
	STR_FIELD(s)
	STR_FIELD(s2)
	STR_FIELD(ms)
	putchar('\n');
#undef INT_FIELD
#undef HEX_FIELD
#undef STR_FIELD
}

#define O(t, f, v) { t, offsetof(struct data, f), v }

static const struct fuse_opt opts[] = {
	O("-a", i1, 11),
	O("--long", i2, 22),
	O("flag", i3, 33),
	O("flag", i1, 44),
	O("num=%d", i2, 0),
	O("unum=%u", u, 0),
	O("str=%s", s, 0),
	O("-s %s", s2, 0),
	O("-n %d", i3, 0),
	O("lng=%ld", l, 0),
	O("ulng=%lu", lu, 0),
	O("ll=%lld", ll, 0),
	O("ull=%llu", llu, 0),
	O("h=%hd", h, 0),
	O("hu=%hu", hu, 0),
	O("hh=%hhd", hh, 0),
	O("hhu=%hhu", hhu, 0),
	O("oct=%o", o, 0),
	O("hex=%x", x, 0),
	O("int=%i", ii, 0),
	O("flt=%f", f, 0),
	O("dbl=%lf", d, 0),
	O("ldbl=%Lf", ld, 0),
	O("exp=%le", d, 0),
	O("gen=%lg", d, 0),
	O("hexf=%la", d, 0),
	O("arr=%15s", arr, 0),
	O("set=%15[a-z]", arr, 0),
	O("chars=%3c", c3, 0),
	O("ptr=%p", p, 0),
	O("nonly=%n", n, 0),
	O("mstr=%ms", ms, 0),
	O("pct=%%%d", i1, 0),
	O("bad=%", i1, 0),
	O("lit=%dk", i1, 0),
	O("wid=%2d", i2, 0),
	O("x=", i1, 5),
	O("exact=val", i2, 6),
	O("=%d", i3, 77),
	FUSE_OPT_KEY("-k", 100),
	FUSE_OPT_KEY("key=", 101),
	FUSE_OPT_KEY("-K ", 102),
	FUSE_OPT_KEY("keep", FUSE_OPT_KEY_KEEP),
	FUSE_OPT_KEY("discard", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("nonopt", FUSE_OPT_KEY_NONOPT),
	FUSE_OPT_KEY("optkey", FUSE_OPT_KEY_OPT),
	FUSE_OPT_KEY("-d", FUSE_OPT_KEY_KEEP),
	O("-d", i1, 1),
	FUSE_OPT_END
};

/*
 * The processing function: records every call. Arguments starting with
 * '@' steer it: @discard returns 0, @fail -1, @keep2 2, @neg2 -2, @add
 * appends "ADDED" to outargs (and returns 0), @ins inserts "INSERTED" at
 * position 1, @log logs a message, @set writes data->i1; anything else 1.
 */
static int opt_proc(void *data, const char *arg, int key,
		    struct fuse_args *outargs)
{
	int ret = 1;

	if (!strncmp(arg, "@discard", 8)) {
		ret = 0;
	} else if (!strncmp(arg, "@fail", 5)) {
		ret = -1;
	} else if (!strcmp(arg, "@keep2")) {
		ret = 2;
	} else if (!strcmp(arg, "@neg2")) {
		ret = -2;
	} else if (!strncmp(arg, "@add", 4)) {
		printf("proc add -> %d\n", fuse_opt_add_arg(outargs, "ADDED"));
		ret = 0;
	} else if (!strncmp(arg, "@ins", 4)) {
		printf("proc insert -> %d\n",
		       fuse_opt_insert_arg(outargs, 1, "INSERTED"));
	} else if (!strncmp(arg, "@log", 4)) {
		fuse_log(FUSE_LOG_WARNING, "proc says %s\n", arg);
	} else if (!strncmp(arg, "@set", 4)) {
		((struct data *)data)->i1 = 999;
	}
	printf("proc arg=");
	put_str(arg);
	printf(" key=%d outargc=%d -> %d\n", key, outargs->argc, ret);
	return ret;
}

/* ---- case runners ------------------------------------------------------ */

#define ARGV(...) ((const char *[]){ __VA_ARGS__, NULL })

static int count(const char **argv)
{
	int n = 0;

	while (argv[n])
		n++;
	return n;
}

static char **copy_argv(const char **argv)
{
	int n = count(argv);
	char **copy = calloc(n + 1, sizeof(char *));

	memcpy(copy, argv, n * sizeof(char *));
	return copy;
}

static void free_data(struct data *d)
{
	free(d->s);
	free(d->s2);
	free(d->ms);
}

/* fuse_opt_parse on a caller-owned (not allocated) argv. */
static void parse_with(const char *name, const struct fuse_opt *table,
		       int with_proc, const char **argv)
{
	struct data d;
	char **copy = copy_argv(argv);
	struct fuse_args args = FUSE_ARGS_INIT(count(argv), copy);
	int ret;

	init_data(&d);
	header(name, 0);
	print_argv("in", args.argc, args.argv);
	putchar('\n');
	ret = fuse_opt_parse(&args, &d, table, with_proc ? opt_proc : NULL);
	printf("ret=%d\n", ret);
	print_args(&args);
	print_data(&d);
	fuse_opt_free_args(&args);
	free_data(&d);
	free(copy);
}

static void parse(const char *name, const char **argv)
{
	parse_with(name, opts, 1, argv);
}

static const unsigned char untouched[8] = {
	0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5
};

static void print_cmdline(const struct fuse_cmdline_opts *o, int v312)
{
	printf("opts singlethread=%d foreground=%d debug=%d "
	       "nodefault_subtype=%d show_version=%d show_help=%d "
	       "clone_fd=%d max_idle_threads=%u\n",
	       o->singlethread, o->foreground, o->debug,
	       o->nodefault_subtype, o->show_version, o->show_help,
	       o->clone_fd, o->max_idle_threads);
	printf("opts mountpoint=");
	if (!memcmp(&o->mountpoint, untouched, sizeof(o->mountpoint)))
		printf("untouched");
	else
		put_str(o->mountpoint);
	printf(" bytes40..48=");
	put_hex((const char *)o + 40, 8);
	if (v312)
		printf(" max_threads=%u", o->max_threads);
	putchar('\n');
}

static void cmdline_case(const char *name, int v312, const char **argv)
{
	struct fuse_cmdline_opts o;
	char **copy = copy_argv(argv);
	struct fuse_args args = FUSE_ARGS_INIT(count(argv), copy);
	int ret;

	memset(&o, 0xa5, sizeof(o));
	header(name, 0);
	printf("fuse_parse_cmdline_%s ", v312 ? "312" : "30");
	print_argv("in", args.argc, args.argv);
	putchar('\n');
	ret = v312 ? fuse_parse_cmdline_312(&args, &o) :
		     fuse_parse_cmdline_30(&args, &o);
	printf("ret=%d\n", ret);
	print_args(&args);
	print_cmdline(&o, v312);
	if (memcmp(&o.mountpoint, untouched, sizeof(o.mountpoint)))
		free(o.mountpoint);
	fuse_opt_free_args(&args);
	free(copy);
}

/* Reads fd to EOF into a malloc'ed string. */
static char *slurp(int fd)
{
	size_t len = 0, cap = 256;
	char *buf = malloc(cap);
	ssize_t n;

	for (;;) {
		if (len + 1 >= cap)
			buf = realloc(buf, cap *= 2);
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	return buf;
}

static void print_lines(const char *prefix, const char *text)
{
	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t n = nl ? (size_t)(nl - text) : strlen(text);
		char *line = strndup(text, n);

		printf("%s ", prefix);
		put_str(line);
		printf(nl ? "\n" : " (no newline)\n");
		free(line);
		text += n + (nl ? 1 : 0);
	}
}

static int report_fd = -1;

/*
 * Runs fn in a child whose stdout and stderr are pipes; prints what it
 * wrote and how it ended. With assert_only, stderr is only checked for an
 * assertion message (its wording is the C library's and the build's).
 * A report pipe (report_fd in the child) outlives the child, for daemons.
 */
static void in_child(void (*fn)(void), int assert_only)
{
	int out[2], err[2], rep[2];
	struct pollfd pfd[2];
	char *bufs[2] = { NULL, NULL };
	size_t lens[2] = { 0, 0 };
	int status;
	pid_t pid;
	char *report;

	fflush(stdout);
	fflush(stderr);
	if (pipe(out) || pipe(err) || pipe(rep)) {
		perror("pipe");
		exit(1);
	}
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(err[1], 2);
		close(out[0]);
		close(out[1]);
		close(err[0]);
		close(err[1]);
		close(rep[0]);
		report_fd = rep[1];
		fn();
		fflush(stdout);
		fflush(stderr);
		_exit(0);
	}
	close(out[1]);
	close(err[1]);
	close(rep[1]);
	pfd[0].fd = out[0];
	pfd[1].fd = err[0];
	pfd[0].events = pfd[1].events = POLLIN;
	while (pfd[0].fd >= 0 || pfd[1].fd >= 0) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("poll");
			exit(1);
		}
		for (int i = 0; i < 2; i++) {
			char chunk[4096];
			ssize_t n;

			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			n = read(pfd[i].fd, chunk, sizeof(chunk));
			if (n <= 0) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
				continue;
			}
			bufs[i] = realloc(bufs[i], lens[i] + n + 1);
			memcpy(bufs[i] + lens[i], chunk, n);
			lens[i] += n;
			bufs[i][lens[i]] = '\0';
		}
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	report = slurp(rep[0]);
	close(rep[0]);
	if (bufs[0])
		print_lines("out|", bufs[0]);
	if (assert_only)
		printf("err has assertion: %d\n",
		       bufs[1] && strstr(bufs[1], "Assertion") != NULL);
	else if (bufs[1])
		print_lines("err|", bufs[1]);
	print_lines("report|", report);
	if (WIFEXITED(status))
		printf("exit %d\n", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		printf("signal %d\n", WTERMSIG(status));
	free(bufs[0]);
	free(bufs[1]);
	free(report);
}

/* ---- children ---------------------------------------------------------- */

static void child_cmdline_help(void)
{
	fuse_cmdline_help();
}

static void child_lowlevel_help(void)
{
	fuse_lowlevel_help();
}

static void child_lowlevel_version(void)
{
	fuse_lowlevel_version();
}

static void child_add_arg_unallocated(void)
{
	char *argv[] = { "prog", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(1, argv);

	printf("before\n");
	fflush(stdout);
	fuse_opt_add_arg(&args, "x");
	printf("not reached\n");
}

static void child_insert_past_end(void)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);

	fuse_opt_add_arg(&args, "a");
	printf("before\n");
	fflush(stdout);
	fuse_opt_insert_arg(&args, 2, "x");
	printf("not reached\n");
}

static const int sigs_teardown[] = { SIGHUP, SIGINT, SIGTERM, SIGPIPE };
static const int sigs_fail[] = { SIGILL, SIGTRAP, SIGABRT,
				 SIGBUS, SIGFPE,  SIGSEGV };

static void other_handler(int sig)
{
	(void)sig;
}

static void print_disp(const int *sigs, int n)
{
	for (int i = 0; i < n; i++) {
		struct sigaction sa;
		const char *h;

		sigaction(sigs[i], NULL, &sa);
		if (sa.sa_handler == SIG_DFL)
			h = "DFL";
		else if (sa.sa_handler == SIG_IGN)
			h = "IGN";
		else if (sa.sa_handler == other_handler)
			h = "other";
		else
			h = "lib";
		printf("sig %d %s flags=%#x masked=%d\n", sigs[i], h,
		       (unsigned)sa.sa_flags & ~0x04000000u /* SA_RESTORER */,
		       !sigisemptyset(&sa.sa_mask));
	}
}

/* A session pointer the handlers store but, with no signal sent, never use. */
#define FAKE_SE ((struct fuse_session *)&ncase)
#define FAKE_SE2 ((struct fuse_session *)&baselen)

static void child_signals_basic(void)
{
	fuse_set_log_func(logger);
	print_disp(sigs_teardown, 4);
	printf("set -> %d\n", fuse_set_signal_handlers(FAKE_SE));
	print_disp(sigs_teardown, 4);
	raise(SIGPIPE);
	printf("survived SIGPIPE\n");
	fuse_remove_signal_handlers(FAKE_SE);
	printf("removed\n");
	print_disp(sigs_teardown, 4);
}

static void child_signals_preset(void)
{
	struct sigaction sa;

	fuse_set_log_func(logger);
	signal(SIGINT, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = other_handler;
	sigaction(SIGTERM, &sa, NULL);
	printf("set -> %d\n", fuse_set_signal_handlers(FAKE_SE));
	print_disp(sigs_teardown, 4);
	fuse_remove_signal_handlers(FAKE_SE);
	printf("removed\n");
	print_disp(sigs_teardown, 4);
}

static void child_signals_unknown_session(void)
{
	fuse_set_log_func(logger);
	printf("set -> %d\n", fuse_set_signal_handlers(FAKE_SE));
	printf("set again -> %d\n", fuse_set_signal_handlers(FAKE_SE2));
	fuse_remove_signal_handlers(FAKE_SE);
	printf("removed first\n");
	print_disp(sigs_teardown, 4);
	fuse_remove_signal_handlers(FAKE_SE2);
	printf("removed second\n");
	fuse_remove_signal_handlers(NULL);
}

static void child_signal_null_session(void)
{
	fuse_set_log_func(logger);
	printf("set -> %d\n", fuse_set_signal_handlers(NULL));
	fflush(stdout);
	raise(SIGINT);
	printf("survived SIGINT\n");
	fuse_remove_signal_handlers(NULL);
	print_disp(sigs_teardown, 4);
}

static void child_fail_signals(void)
{
	int (*set_fail)(struct fuse_session *) = (int (*)(struct fuse_session *))
		dlsym(RTLD_DEFAULT, "fuse_set_fail_signal_handlers");

	fuse_set_log_func(logger);
	if (!set_fail) {
		printf("fuse_set_fail_signal_handlers absent\n");
		return;
	}
	signal(SIGBUS, SIG_IGN);
	printf("set fail -> %d\n", set_fail(FAKE_SE));
	print_disp(sigs_fail, 6);
	fuse_remove_signal_handlers(FAKE_SE);
	printf("removed\n");
	print_disp(sigs_fail, 6);
}

static void report(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (write(report_fd, buf, n) != n)
		_exit(3);
}

static int is_dev_null(int fd)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat("/dev/null", &b) == 0 &&
	       S_ISCHR(a.st_mode) && a.st_rdev == b.st_rdev;
}

static void child_daemonize(int foreground)
{
	pid_t me = getpid();
	char cwd[PATH_MAX];
	int ret;

	printf("daemonize(%d)\n", foreground);
	fflush(stdout);
	ret = fuse_daemonize(foreground);
	report("ret=%d\n", ret);
	report("same process=%d session leader=%d\n", getpid() == me,
	       getsid(0) == getpid());
	report("cwd=%s\n", getcwd(cwd, sizeof(cwd)) ? cwd : "?");
	report("stdio to /dev/null=%d%d%d\n", is_dev_null(0), is_dev_null(1),
	       is_dev_null(2));
}

static void child_daemonize_fg(void)
{
	child_daemonize(1);
}

static void child_daemonize_bg(void)
{
	child_daemonize(0);
}

/* ---- cases of the argument-vector functions ----------------------------- */

static void case_add_insert_free(void)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);

	header("add_insert_free", 0);
	printf("add -> %d\n", fuse_opt_add_arg(&args, "a"));
	printf("add -> %d\n", fuse_opt_add_arg(&args, "b c"));
	print_args(&args);
	printf("insert 0 -> %d\n", fuse_opt_insert_arg(&args, 0, "x"));
	printf("insert end -> %d\n", fuse_opt_insert_arg(&args, 3, "y"));
	printf("insert 2 -> %d\n", fuse_opt_insert_arg(&args, 2, "z"));
	print_args(&args);
	fuse_opt_free_args(&args);
	printf("freed ");
	print_args(&args);
	fuse_opt_free_args(&args);
	fuse_opt_free_args(NULL);
	printf("free twice and NULL ok\n");
}

static void case_insert_into_empty(void)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);

	header("insert_into_empty", 0);
	printf("insert 0 -> %d\n", fuse_opt_insert_arg(&args, 0, "only"));
	printf("insert 1 -> %d\n", fuse_opt_insert_arg(&args, 1, ""));
	print_args(&args);
	fuse_opt_free_args(&args);
}

static void case_free_unallocated(void)
{
	char *argv[] = { "p", "q", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(2, argv);

	header("free_unallocated", 0);
	fuse_opt_free_args(&args);
	print_args(&args);
	printf("argv intact: %s %s\n", argv[0], argv[1]);
}

static void case_add_opt(void)
{
	char *s = NULL;
	char *e = strdup("");

	header("add_opt", 0);
	printf("add a -> %d ", fuse_opt_add_opt(&s, "a"));
	put_str(s);
	printf("\nadd b,c -> %d ", fuse_opt_add_opt(&s, "b,c"));
	put_str(s);
	printf("\nadd empty -> %d ", fuse_opt_add_opt(&s, ""));
	put_str(s);
	printf("\nadd x\\y -> %d ", fuse_opt_add_opt(&s, "x\\y"));
	put_str(s);
	printf("\nto empty string -> %d ", fuse_opt_add_opt(&e, "x"));
	put_str(e);
	printf("\nto empty string again -> %d ", fuse_opt_add_opt(&e, ""));
	put_str(e);
	putchar('\n');
	free(s);
	free(e);
}

static void case_add_opt_escaped(void)
{
	char *s = NULL;

	header("add_opt_escaped", 0);
	printf("esc a,b -> %d ", fuse_opt_add_opt_escaped(&s, "a,b"));
	put_str(s);
	printf("\nesc c\\d -> %d ", fuse_opt_add_opt_escaped(&s, "c\\d"));
	put_str(s);
	printf("\nesc empty -> %d ", fuse_opt_add_opt_escaped(&s, ""));
	put_str(s);
	printf("\nplain ,\\ -> %d ", fuse_opt_add_opt(&s, ",\\"));
	put_str(s);
	putchar('\n');
	free(s);
}

static void case_match(void)
{
	static const char *tries[] = {
		"flag", "num=5", "num=", "num", "-s", "-sfoo", "-s foo",
		"exact=val", "exact=v", "x=", "x", "=9", "", "-K", "-Kz",
		"key=", "key", "keep", "--long", "-n", NULL
	};

	header("match", 0);
	for (int i = 0; tries[i]; i++) {
		printf("match ");
		put_str(tries[i]);
		printf(" -> %d\n", fuse_opt_match(opts, tries[i]));
	}
	printf("match NULL table -> %d\n", fuse_opt_match(NULL, "flag"));
}

static void case_parse_allocated(void)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct data d;

	init_data(&d);
	header("parse_allocated_input", 0);
	fuse_opt_add_arg(&args, "prog");
	fuse_opt_add_arg(&args, "-oflag,other");
	fuse_opt_add_arg(&args, "file");
	printf("ret=%d\n", fuse_opt_parse(&args, &d, opts, opt_proc));
	print_args(&args);
	print_data(&d);
	printf("parse again -> %d\n",
	       fuse_opt_parse(&args, &d, opts, opt_proc));
	print_args(&args);
	fuse_opt_free_args(&args);
	free_data(&d);
}

static void case_parse_empty(void)
{
	struct data d;
	char *argv[] = { "prog", NULL };
	struct fuse_args zero = FUSE_ARGS_INIT(0, argv);
	struct fuse_args noargv = FUSE_ARGS_INIT(2, NULL);

	init_data(&d);
	header("parse_empty", 0);
	printf("NULL args -> %d\n", fuse_opt_parse(NULL, &d, opts, opt_proc));
	printf("argc 0 -> %d ", fuse_opt_parse(&zero, &d, opts, opt_proc));
	print_args(&zero);
	printf("argv NULL -> %d ",
	       fuse_opt_parse(&noargv, &d, opts, opt_proc));
	print_args(&noargv);
}

static void case_parse_nodata(void)
{
	char **copy = copy_argv(ARGV("prog", "-k", "-ounknown", "file"));
	struct fuse_args args = FUSE_ARGS_INIT(4, copy);

	header("parse_keys_without_data", 0);
	printf("ret=%d\n", fuse_opt_parse(&args, NULL, opts, opt_proc));
	print_args(&args);
	fuse_opt_free_args(&args);
	free(copy);
}

/* ---- main --------------------------------------------------------------- */

int main(int argc, char *argv[])
{
	if (argc != 2 || !realpath(argv[1], base) || chdir(base)) {
		fprintf(stderr, "usage: %s BASE (an existing directory)\n",
			argv[0]);
		return 2;
	}
	baselen = strlen(base);
	{
		/* Which library answered, for the test to check (stderr). */
		Dl_info info;
		char lib[PATH_MAX];

		if (dladdr((void *)fuse_opt_parse, &info) && info.dli_fname &&
		    realpath(info.dli_fname, lib))
			fprintf(stderr, "lib: %s\n", lib);
	}
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	fuse_set_log_func(logger);

	/* fuse_opt_parse: plain arguments and option lists */
	parse("no_options", ARGV("prog"));
	parse("flags", ARGV("prog", "-a", "--long"));
	parse("every_matching_template", ARGV("prog", "-o", "flag"));
	parse("o_attached", ARGV("prog", "-oflag,num=5"));
	parse("o_separate", ARGV("prog", "-o", "num=-3,unum=7"));
	parse("o_missing_argument", ARGV("prog", "-a", "-o"));
	parse("o_lists_joined", ARGV("prog", "-o", "foo,bar=1", "x", "-o",
				     "baz", "-obq"));
	parse("nonoptions", ARGV("prog", "a", "b", "", "c"));
	parse("unknown_dash_options", ARGV("prog", "-z", "--zz", "-", "-oz"));
	parse("double_dash", ARGV("prog", "-a", "--", "-a", "-o", "x", "--"));
	parse("double_dash_last", ARGV("prog", "x", "--"));
	parse("double_dash_after_o", ARGV("prog", "-ofoo", "--"));
	parse("double_dash_only", ARGV("prog", "--"));
	parse("triple_dash", ARGV("prog", "---", "-oa"));
	parse("escapes", ARGV("prog", "-o", "a\\,b,c\\\\d,e\\101f,g\\9,\\x"));
	parse("escape_nul", ARGV("prog", "-o", "ab\\000cd,ef"));
	parse("escape_octal_range",
	      ARGV("prog", "-o", "\\400,\\377,\\0,\\07,\\18"));
	parse("escape_trailing_backslash", ARGV("prog", "-o", "x\\"));
	parse("escaped_option_matches", ARGV("prog", "-o", "fl\\ag,num\\=4"));
	parse("empty_options", ARGV("prog", "-o", ",,"));
	parse("empty_option_list", ARGV("prog", "-o", ""));
	parse("kept_options_escaped", ARGV("prog", "-o", "a\\,b,c\\\\d"));
	parse("string_param", ARGV("prog", "-o", "str=hello", "-ostr=world"));
	parse("string_param_empty", ARGV("prog", "-ostr="));
	parse("string_with_format_chars", ARGV("prog", "-ostr=%d %s"));
	parse("sep_arg", ARGV("prog", "-s", "value", "-n", "12"));
	parse("sep_arg_attached", ARGV("prog", "-svalue", "-n7"));
	parse("sep_arg_missing", ARGV("prog", "-a", "-s"));
	parse("sep_arg_bad_number", ARGV("prog", "-n", "x1"));
	parse("sep_arg_inside_o", ARGV("prog", "-o", "-s", "next", "after"));
	parse("sep_key", ARGV("prog", "-K", "val", "-Kattached", "-K", ""));
	parse("sep_key_missing", ARGV("prog", "-K"));
	parse("int_conversions",
	      ARGV("prog", "-o", "num=-42,unum=4000000000,lng=-9000000000,"
				 "ulng=18446744073709551615,ll=-5,ull=77"));
	parse("short_char_conversions",
	      ARGV("prog", "-oh=-2,hu=65535,hh=-7,hhu=255"));
	parse("wraparound", ARGV("prog", "-onum=99999999999,unum=-1,"
					 "hh=300,hu=70000,lng=99999999999999999999"));
	parse("base_conversions",
	      ARGV("prog", "-ooct=0777,hex=0x1F,int=010", "-oint=0x10"));
	parse("int_i_forms", ARGV("prog", "-oint=-0x8,hex=ff,oct=9"));
	parse("int_leading_space_and_suffix",
	      ARGV("prog", "-o", "num= 12xyz,unum=+5"));
	parse("float_conversions",
	      ARGV("prog", "-oflt=0.1,dbl=1e-310,ldbl=1.2"));
	parse("float_forms",
	      ARGV("prog", "-oexp=-1.5e3", "-ogen=inf", "-ohexf=0x1.8p1"));
	parse("float_odd", ARGV("prog", "-odbl=1e,flt=nan,ldbl=-infinity"));
	parse("float_hex_prefix_only", ARGV("prog", "-odbl=0x"));
	parse("float_rounding",
	      ARGV("prog", "-odbl=2.4703282292062328e-324",
		   "-oflt=3.4028236e38", "-oldbl=1e-4951"));
	parse("width_and_set", ARGV("prog", "-oarr=hello world"));
	parse("width_truncates", ARGV("prog", "-oarr=abcdefghijklmnopqrstuvwxyz"));
	parse("scanset", ARGV("prog", "-oset=abc123"));
	parse("scanset_no_match", ARGV("prog", "-oset=123"));
	parse("chars", ARGV("prog", "-ochars=abcdef"));
	parse("chars_short", ARGV("prog", "-ochars=a"));
	parse("pointer", ARGV("prog", "-optr=0x1234abcd"));
	parse("pointer_nil", ARGV("prog", "-optr=(nil)"));
	parse("count_only_fails", ARGV("prog", "-ononly=abc"));
	parse("malloc_string", ARGV("prog", "-omstr=xyz"));
	parse("malloc_string_empty", ARGV("prog", "-omstr="));
	parse("percent_literal", ARGV("prog", "-opct=%12"));
	parse("percent_literal_missing", ARGV("prog", "-opct=12"));
	parse("bare_percent_format", ARGV("prog", "-obad=1"));
	parse("literal_suffix", ARGV("prog", "-olit=5k", "-olit=6"));
	parse("field_width", ARGV("prog", "-owid=12345"));
	parse("invalid_number", ARGV("prog", "-a", "-onum=abc", "file"));
	parse("invalid_empty_number", ARGV("prog", "-ounum="));
	parse("invalid_float", ARGV("prog", "-odbl=."));
	parse("prefix_without_format", ARGV("prog", "-ox=anything,x="));
	parse("prefix_needs_separator", ARGV("prog", "-ox", "-oxy"));
	parse("exact_with_equals", ARGV("prog", "-oexact=val,exact=other"));
	parse("separator_at_zero", ARGV("prog", "-o=9", "-o=x"));
	parse("keys", ARGV("prog", "-k", "-okey=1,key=", "-okeep,discard",
			   "-ononopt,optkey"));
	parse("dash_d_keep_and_store", ARGV("prog", "-d", "-o", "-d"));
	parse("proc_discard_and_fail", ARGV("prog", "a", "@discard", "-o",
					    "@discard2,b", "@fail", "c"));
	parse("proc_fail_in_list", ARGV("prog", "-o", "x,@failnow,y"));
	parse("proc_other_returns", ARGV("prog", "@keep2", "-o@neg2,@keep2",
					 "@neg2"));
	parse("proc_adds_arguments", ARGV("prog", "x", "-o@add,y", "@add", "z"));
	parse("proc_inserts_arguments", ARGV("prog", "x", "@ins", "-o@ins"));
	parse("proc_logs", ARGV("prog", "-o@log1", "@log2"));
	parse("proc_writes_data", ARGV("prog", "@set", "-onum=3"));
	parse("options_after_nonoptions", ARGV("prog", "file", "-a", "-ofoo"));
	parse_with("no_proc", opts, 0,
		   ARGV("prog", "-k", "-ounknown,key=3", "file", "-z"));
	parse_with("no_table", NULL, 1, ARGV("prog", "-a", "-oflag", "x"));
	parse_with("no_table_no_proc", NULL, 0,
		   ARGV("prog", "-a", "-oflag", "--", "x"));
	case_parse_allocated();
	case_parse_empty();
	case_parse_nodata();

	/* the argument-vector and option-string helpers */
	case_add_insert_free();
	case_insert_into_empty();
	case_free_unallocated();
	case_add_opt();
	case_add_opt_escaped();
	case_match();
	header("add_arg_to_unallocated_asserts", 0);
	in_child(child_add_arg_unallocated, 1);
	header("insert_past_end_asserts", 0);
	in_child(child_insert_past_end, 1);

	/* fuse_parse_cmdline, both versions */
	cmdline_case("cmdline_typical", 1,
		     ARGV("/usr/bin/myfs", "-f", "-o", "allow_other", "dir"));
	cmdline_case("cmdline_typical_30", 0,
		     ARGV("/usr/bin/myfs", "-f", "-o", "allow_other", "dir"));
	cmdline_case("cmdline_help", 1, ARGV("prog", "-h"));
	cmdline_case("cmdline_long_help_version", 1,
		     ARGV("prog", "--help", "--version"));
	cmdline_case("cmdline_version", 1, ARGV("prog", "-V", "dir"));
	cmdline_case("cmdline_debug", 1, ARGV("prog", "-d", "dir"));
	cmdline_case("cmdline_o_debug", 1, ARGV("prog", "-o", "debug,ro", "dir"));
	cmdline_case("cmdline_foreground_single", 1,
		     ARGV("prog", "-f", "-s", "-o", "clone_fd", "dir"));
	cmdline_case("cmdline_threads", 1,
		     ARGV("prog", "-omax_idle_threads=5,max_threads=4", "dir"));
	cmdline_case("cmdline_threads_30", 0,
		     ARGV("prog", "-omax_idle_threads=5,max_threads=4", "dir"));
	cmdline_case("cmdline_bad_threads", 1,
		     ARGV("prog", "-f", "-omax_threads=many", "dir"));
	cmdline_case("cmdline_bad_threads_30", 0,
		     ARGV("prog", "-f", "-omax_threads=many", "dir"));
	cmdline_case("cmdline_idle_threads_minus_one", 1,
		     ARGV("prog", "-omax_idle_threads=-1", "dir"));
	cmdline_case("cmdline_two_mountpoints", 1, ARGV("prog", "dir", "link"));
	cmdline_case("cmdline_two_mountpoints_30", 0,
		     ARGV("prog", "dir", "link"));
	cmdline_case("cmdline_missing_mountpoint", 1,
		     ARGV("prog", "-f", "missing/x"));
	cmdline_case("cmdline_not_a_dir", 1, ARGV("prog", "dir/../nothere/.."));
	cmdline_case("cmdline_symlink_mountpoint", 1,
		     ARGV("prog", "./link/../link"));
	cmdline_case("cmdline_absolute", 1, ARGV("prog", "/"));
	cmdline_case("cmdline_fd_mountpoint", 1, ARGV("prog", "/dev/fd/5"));
	cmdline_case("cmdline_fd_odd_forms", 1, ARGV("prog", "/dev/fd/ +7"));
	cmdline_case("cmdline_fd_negative", 1, ARGV("prog", "/dev/fd/-2"));
	cmdline_case("cmdline_fd_minus_one", 1, ARGV("prog", "/dev/fd/-1"));
	cmdline_case("cmdline_fd_trailing", 1, ARGV("prog", "/dev/fd/5x"));
	cmdline_case("cmdline_fsname", 1,
		     ARGV("prog", "-o", "fsname=foo", "dir"));
	cmdline_case("cmdline_subtype", 1, ARGV("prog", "-osubtype=bar,ro"));
	cmdline_case("cmdline_fsname_no_value", 1, ARGV("prog", "-ofsname"));
	cmdline_case("cmdline_progname_trailing_slash", 1,
		     ARGV("some/dir/", "dir"));
	cmdline_case("cmdline_progname_plain", 1, ARGV("myfs"));
	cmdline_case("cmdline_progname_empty", 1, ARGV(""));
	cmdline_case("cmdline_unknown_kept", 1,
		     ARGV("prog", "-x", "--foo", "-o", "a,b=c", "dir", "-y"));
	cmdline_case("cmdline_double_dash", 1,
		     ARGV("prog", "-f", "--", "-dir-like"));
	cmdline_case("cmdline_double_dash_mountpoint", 1,
		     ARGV("prog", "--", "dir"));
	cmdline_case("cmdline_missing_o_argument", 1, ARGV("prog", "dir", "-o"));

	/* texts, versions, daemonize, signals */
	header("cmdline_help_text", 0);
	in_child(child_cmdline_help, 0);
	header("lowlevel_help_text", 1);
	in_child(child_lowlevel_help, 0);
	header("lowlevel_version_text", 1);
	in_child(child_lowlevel_version, 0);
	header("pkgversion", 1);
	printf("pkgversion ");
	put_str(fuse_pkgversion());
	putchar('\n');
	header("version", 1);
	printf("version %d\n", fuse_version());
	header("daemonize_foreground", 0);
	in_child(child_daemonize_fg, 0);
	header("daemonize_background", 0);
	in_child(child_daemonize_bg, 0);
	header("signals_install_remove", 0);
	in_child(child_signals_basic, 0);
	header("signals_respect_existing", 0);
	in_child(child_signals_preset, 0);
	header("signals_unknown_session", 0);
	in_child(child_signals_unknown_session, 0);
	header("signal_without_session", 1);
	in_child(child_signal_null_session, 0);
	header("fail_signal_handlers", 1);
	in_child(child_fail_signals, 0);

	printf("=== END %d cases\n", ncase);
	return 0;
}
