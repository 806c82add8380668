/*
 * ferrofuse: logging (libfuse's fuse_log API).
 *
 * Everything the library reports goes through one process-wide log
 * function, stderr by default. It is written in C (log.c) because fuse_log()
 * is variadic, so this header is hand-written.
 */
#ifndef FUSE_LOG_H_
#define FUSE_LOG_H_

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Severities; the numbers are syslog's LOG_EMERG ... LOG_DEBUG. */
enum fuse_log_level {
	FUSE_LOG_EMERG,
	FUSE_LOG_ALERT,
	FUSE_LOG_CRIT,
	FUSE_LOG_ERR,
	FUSE_LOG_WARNING,
	FUSE_LOG_NOTICE,
	FUSE_LOG_INFO,
	FUSE_LOG_DEBUG
};

/* A log sink: printf-style format (with its newline) and arguments. It may be
 * called from any thread, before or after a session exists. */
typedef void (*fuse_log_func_t)(enum fuse_log_level level, const char *fmt,
				va_list ap);

/* Installs func as the log sink for the whole process; NULL restores the
 * default (stderr, or syslog after fuse_log_enable_syslog()). */
void fuse_set_log_func(fuse_log_func_t func);

/* Logs one message through the installed sink. */
void fuse_log(enum fuse_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Makes the default sink write to syslog; the arguments are openlog(3)'s. */
void fuse_log_enable_syslog(const char *ident, int option, int facility);

/* Closes the syslog connection opened by fuse_log_enable_syslog(). */
void fuse_log_close_syslog(void);

#ifdef __cplusplus
}
#endif

#endif /* FUSE_LOG_H_ */
