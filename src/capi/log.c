/*
 * ferrofuse: the logging entry points.
 *
 * This is the one piece of the C ABI written in C: fuse_log() is variadic and
 * hands its va_list to the installed log function, which stable Rust cannot do.
 * Rust code logs through ferrofuse_log_str() below.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <syslog.h>

/* Same values as enum fuse_log_level (they equal syslog's priorities). */
typedef void (*ff_log_func_t)(int level, const char *fmt, va_list ap);

static bool ff_to_syslog;

static void ff_default_log_func(int level, const char *fmt, va_list ap)
{
	if (__atomic_load_n(&ff_to_syslog, __ATOMIC_RELAXED))
		vsyslog(level, fmt, ap);
	else
		vfprintf(stderr, fmt, ap);
}

static ff_log_func_t ff_log_func = ff_default_log_func;

void fuse_set_log_func(ff_log_func_t func)
{
	if (!func)
		func = ff_default_log_func;
	__atomic_store_n(&ff_log_func, func, __ATOMIC_RELEASE);
}

void fuse_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void fuse_log(int level, const char *fmt, ...)
{
	ff_log_func_t func = __atomic_load_n(&ff_log_func, __ATOMIC_ACQUIRE);
	va_list ap;

	va_start(ap, fmt);
	func(level, fmt, ap);
	va_end(ap);
}

void fuse_log_enable_syslog(const char *ident, int option, int facility)
{
	__atomic_store_n(&ff_to_syslog, true, __ATOMIC_RELAXED);
	openlog(ident, option, facility);
}

void fuse_log_close_syslog(void)
{
	closelog();
}

/* For the Rust side: log a finished message (it carries its own newline). */
void ferrofuse_log_str(int level, const char *msg)
{
	fuse_log(level, "%s", msg);
}
