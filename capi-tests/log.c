/* fuse_log and friends, from C: the installed function sees every message
 * with its arguments, NULL restores the default (stderr), and the syslog
 * switch can be turned on and off. */
#define FUSE_USE_VERSION 318
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <fuse_log.h>

static char seen[4096];
static int seen_level = -1;

static void capture(enum fuse_log_level level, const char *fmt, va_list ap)
{
	size_t n = strlen(seen);
	vsnprintf(seen + n, sizeof(seen) - n, fmt, ap);
	seen_level = level;
}

int main(void)
{
	fuse_set_log_func(capture);
	fuse_log(FUSE_LOG_WARNING, "%s=%d %5.2f|", "x", 42, 1.5);
	if (strcmp(seen, "x=42  1.50|") != 0 || seen_level != FUSE_LOG_WARNING) {
		printf("FAIL capture: '%s' level %d\n", seen, seen_level);
		return 1;
	}
	fuse_set_log_func(NULL);
	fuse_log(FUSE_LOG_ERR, "to stderr %d\n", 7);
	fuse_log_enable_syslog("ferrofuse-log-test", LOG_PID, LOG_USER);
	fuse_log(FUSE_LOG_DEBUG, "to syslog\n");
	fuse_log_close_syslog();
	printf("OK\n");
	return 0;
}
