/*
 * fuse_loop_cfg_* from C: prints the loop configuration object's contents
 * after each call (the object is opaque, but its layout is the same in
 * libfuse 3.12 to 3.18: four ints) and every message logged, for comparing
 * libraries (tests/buf_conn_c.rs).
 *
 * Lines starting with "[v]" differ between libfuse 3.14 and 3.18 (3.18 no
 * longer complains about UINT_MAX idle threads).
 */
#ifndef FUSE_USE_VERSION
#define FUSE_USE_VERSION 312
#endif
#include <fuse_lowlevel.h>

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct cfg_v2 {
	int version_id;
	int clone_fd;
	int max_idle_threads;
	unsigned int max_threads;
};

static const char *tag = "";

static void logger(enum fuse_log_level level, const char *fmt, va_list ap)
{
	printf("%slog %d: ", tag, level);
	vprintf(fmt, ap);
}

static void show(const char *what, struct fuse_loop_config *c)
{
	const struct cfg_v2 *v = (const void *)c;

	printf("%s: version_id=%d clone_fd=%d max_idle_threads=%d max_threads=%u\n",
	       what, v->version_id, v->clone_fd, v->max_idle_threads,
	       v->max_threads);
}

int main(void)
{
	struct fuse_loop_config *c;
	struct fuse_loop_config_v1 v1;

	fuse_set_log_func(logger);
	c = fuse_loop_cfg_create();
	if (!c) {
		printf("create failed\n");
		return 1;
	}
	show("created", c);

	fuse_loop_cfg_set_idle_threads(c, 5);
	show("idle 5", c);
	fuse_loop_cfg_set_idle_threads(c, 100000);
	show("idle 100000", c);
	fuse_loop_cfg_set_idle_threads(c, 100001);
	show("idle 100001", c);
	tag = "[v] ";
	fuse_loop_cfg_set_idle_threads(c, UINT_MAX);
	tag = "";
	show("idle UINT_MAX", c);
	fuse_loop_cfg_set_idle_threads(c, 0);
	show("idle 0", c);

	fuse_loop_cfg_set_max_threads(c, 0);
	show("max 0", c);
	fuse_loop_cfg_set_max_threads(c, 4000000000u);
	show("max 4000000000", c);

	fuse_loop_cfg_set_clone_fd(c, 1);
	show("clone_fd 1", c);
	fuse_loop_cfg_set_clone_fd(c, 7);
	show("clone_fd 7", c);
	fuse_loop_cfg_set_clone_fd(c, UINT_MAX);
	show("clone_fd UINT_MAX", c);

	v1.clone_fd = 1;
	v1.max_idle_threads = 42;
	fuse_loop_cfg_convert(c, &v1);
	show("convert {1, 42}", c);
	v1.clone_fd = 0;
	v1.max_idle_threads = 200000;
	fuse_loop_cfg_convert(c, &v1);
	show("convert {0, 200000}", c);
	v1.clone_fd = -3;
	v1.max_idle_threads = UINT_MAX;
	tag = "[v] ";
	fuse_loop_cfg_convert(c, &v1);
	tag = "";
	show("convert {-3, UINT_MAX}", c);

	fuse_loop_cfg_destroy(c);
	printf("END\n");
	return 0;
}
