/*
 * The FUSE_3.17.3 connection functions from C: fuse_set_feature_flag,
 * fuse_unset_feature_flag, fuse_get_feature_flag and
 * fuse_convert_to_conn_want_ext. Needs 3.17+ headers. Prints the conn's
 * want/want_ext after each step and every message logged, for comparing
 * ferrofuse with libfuse 3.18.3 (tests/buf_conn_c.rs).
 *
 * libfuse keeps a record of the flags its helpers changed in the session
 * around the conn (container_of), so each conn here sits in the middle of
 * its own large zeroed block, like a conn in a fresh session.
 */
#ifndef FUSE_USE_VERSION
#define FUSE_USE_VERSION 318
#endif
#include <fuse_lowlevel.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define ARENA (1 << 20)
#define HIGH (1ULL << 40)

static void logger(enum fuse_log_level level, const char *fmt, va_list ap)
{
	printf("log %d: ", level);
	vprintf(fmt, ap);
}

static struct fuse_conn_info *new_conn(uint64_t capable_ext)
{
	char *arena = calloc(1, ARENA);
	struct fuse_conn_info *c;

	if (!arena) {
		perror("calloc");
		exit(1);
	}
	c = (struct fuse_conn_info *)(arena + ARENA / 2);
	c->capable_ext = capable_ext;
	c->capable = (uint32_t)capable_ext;
	return c;
}

static void show(const char *what, struct fuse_conn_info *c)
{
	printf("%s: want=0x%x want_ext=0x%llx\n", what, c->want,
	       (unsigned long long)c->want_ext);
}

/* What libfuse's INIT handling does before calling the filesystem's init. */
static struct fuse_conn_info *init_like(void)
{
	struct fuse_conn_info *c =
		new_conn(FUSE_CAP_ASYNC_READ | FUSE_CAP_POSIX_LOCKS |
			 FUSE_CAP_FLOCK_LOCKS | FUSE_CAP_AUTO_INVAL_DATA |
			 FUSE_CAP_WRITEBACK_CACHE | FUSE_CAP_SPLICE_READ |
			 FUSE_CAP_POSIX_ACL | HIGH);

	fuse_set_feature_flag(c, FUSE_CAP_ASYNC_READ);
	fuse_set_feature_flag(c, FUSE_CAP_AUTO_INVAL_DATA);
	fuse_set_feature_flag(c, FUSE_CAP_ASYNC_DIO); /* not offered */
	fuse_set_feature_flag(c, FUSE_CAP_POSIX_LOCKS);
	return c;
}

int main(void)
{
	struct fuse_conn_info *c;
	int r;

	fuse_set_log_func(logger);

	printf("== set, unset, get\n");
	c = new_conn(FUSE_CAP_ASYNC_READ | FUSE_CAP_SPLICE_READ | HIGH);
	printf("set ASYNC_READ: %d\n", fuse_set_feature_flag(c, FUSE_CAP_ASYNC_READ));
	printf("set HIGH: %d\n", fuse_set_feature_flag(c, HIGH));
	printf("set WRITEBACK_CACHE: %d\n",
	       fuse_set_feature_flag(c, FUSE_CAP_WRITEBACK_CACHE));
	printf("set two at once: %d\n",
	       fuse_set_feature_flag(c, FUSE_CAP_SPLICE_READ | FUSE_CAP_DONT_MASK));
	show("after sets", c);
	printf("get SPLICE_READ (offered, wanted): %d\n",
	       fuse_get_feature_flag(c, FUSE_CAP_SPLICE_READ));
	fuse_unset_feature_flag(c, FUSE_CAP_SPLICE_READ);
	printf("get SPLICE_READ (offered, not wanted): %d\n",
	       fuse_get_feature_flag(c, FUSE_CAP_SPLICE_READ));
	printf("get DONT_MASK (not offered, wanted): %d\n",
	       fuse_get_feature_flag(c, FUSE_CAP_DONT_MASK));
	fuse_unset_feature_flag(c, HIGH | FUSE_CAP_POSIX_ACL);
	show("after unsets", c);
	r = fuse_convert_to_conn_want_ext(c);
	printf("convert: %d\n", r);
	show("converted", c);

	printf("== init changes want only\n");
	c = init_like();
	show("defaults", c);
	c->want |= FUSE_CAP_WRITEBACK_CACHE;
	c->want &= ~FUSE_CAP_ASYNC_READ;
	r = fuse_convert_to_conn_want_ext(c);
	printf("convert: %d\n", r);
	show("converted", c);
	r = fuse_convert_to_conn_want_ext(c);
	printf("convert again: %d\n", r);
	show("converted again", c);

	printf("== init changes want_ext only\n");
	c = init_like();
	c->want_ext |= FUSE_CAP_POSIX_ACL | HIGH;
	r = fuse_convert_to_conn_want_ext(c);
	printf("convert: %d\n", r);
	show("converted", c);

	printf("== init uses the helpers\n");
	c = init_like();
	fuse_set_feature_flag(c, FUSE_CAP_WRITEBACK_CACHE);
	fuse_unset_feature_flag(c, FUSE_CAP_POSIX_LOCKS);
	fuse_set_feature_flag(c, HIGH);
	r = fuse_convert_to_conn_want_ext(c);
	printf("convert: %d\n", r);
	show("converted", c);

	printf("== init changes both\n");
	c = init_like();
	c->want |= FUSE_CAP_FLOCK_LOCKS;
	c->want_ext |= FUSE_CAP_SPLICE_READ;
	r = fuse_convert_to_conn_want_ext(c);
	printf("convert: %d\n", r);
	show("after", c);

	printf("== init changes both the same way\n");
	c = init_like();
	c->want |= FUSE_CAP_FLOCK_LOCKS;
	c->want_ext |= FUSE_CAP_FLOCK_LOCKS | HIGH;
	r = fuse_convert_to_conn_want_ext(c);
	printf("convert: %d\n", r);
	show("converted", c);

	printf("== init clears want entirely\n");
	c = init_like();
	c->want = 0;
	r = fuse_convert_to_conn_want_ext(c);
	printf("convert: %d\n", r);
	show("converted", c);

	printf("== fresh conn, want only\n");
	c = new_conn(0);
	c->want = FUSE_CAP_ASYNC_READ;
	r = fuse_convert_to_conn_want_ext(c);
	printf("convert: %d\n", r);
	show("converted", c);

	printf("== fresh conn, both\n");
	c = new_conn(0);
	c->want = FUSE_CAP_ASYNC_READ;
	c->want_ext = FUSE_CAP_DONT_MASK;
	r = fuse_convert_to_conn_want_ext(c);
	printf("convert: %d\n", r);
	show("after", c);

	printf("END\n");
	return 0;
}
