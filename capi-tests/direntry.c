/*
 * fuse_add_direntry and fuse_add_direntry_plus from C: prints the sizes
 * they return and a hex dump of every byte they write, for comparing
 * libraries byte for byte (tests/buf_conn_c.rs).
 */
#ifndef FUSE_USE_VERSION
#define FUSE_USE_VERSION 31
#endif
#include <fuse_lowlevel.h>

#include <float.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static unsigned char buf[4096];

static void dump(const char *what, size_t n)
{
	size_t i;

	printf("%s:", what);
	for (i = 0; i < n; i++)
		printf("%s%02x", i % 8 ? "" : " ", buf[i]);
	printf("\n");
}

static void st_fill(struct stat *st, ino_t ino, mode_t mode)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mode = mode;
	st->st_nlink = 0x100000002ULL;
	st->st_uid = 1000;
	st->st_gid = 0xfffffffe;
	st->st_rdev = 0x123456789ULL;
	st->st_size = -5;
	st->st_blksize = 0x10001000;
	st->st_blocks = 77;
	st->st_atim.tv_sec = -1;
	st->st_atim.tv_nsec = 999999999;
	st->st_mtim.tv_sec = 0x7fffffff12345678LL;
	st->st_mtim.tv_nsec = 1;
	st->st_ctim.tv_sec = 3;
	st->st_ctim.tv_nsec = 0x1ffffffffLL;
}

static void plain(void)
{
	static const struct {
		const char *name;
		mode_t mode;
	} ents[] = {
		{ ".", S_IFDIR | 0755 },
		{ "..", S_IFDIR },
		{ "file", S_IFREG | 0644 },
		{ "exactly8", S_IFLNK | 0777 },
		{ "name-of-seventeen", S_IFIFO },
		{ "", S_IFSOCK },
		{ "blk", S_IFBLK },
		{ "chr", S_IFCHR },
		{ "nomode", 0 },
		{ "weird", 0170000 | 0644 },
	};
	struct stat st;
	size_t i, n, total = 0;
	char what[64];

	memset(buf, 0xa5, sizeof(buf));
	for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++) {
		st_fill(&st, 1000 + i, ents[i].mode);
		n = fuse_add_direntry(NULL, NULL, 0, ents[i].name, &st, 0);
		printf("size of '%s': %zu\n", ents[i].name, n);
		n = fuse_add_direntry(NULL, (char *)buf + total,
				      sizeof(buf) - total, ents[i].name, &st,
				      (off_t)i * 3 - 2);
		total += n;
	}
	snprintf(what, sizeof(what), "plain %zu", total);
	dump(what, total + 8);

	/* one byte too small: nothing written, the size returned */
	memset(buf, 0xa5, sizeof(buf));
	st_fill(&st, 1, S_IFREG);
	n = fuse_add_direntry(NULL, (char *)buf, 31, "hello", &st, 1);
	printf("too small: %zu\n", n);
	dump("too small buf", 40);
	n = fuse_add_direntry(NULL, (char *)buf, 32, "hello", &st, 1);
	printf("just fits: %zu\n", n);
	dump("just fits buf", 40);
	/* the size query does not look at stbuf */
	n = fuse_add_direntry(NULL, NULL, 100, "hello", NULL, 0);
	printf("NULL buf: %zu\n", n);
}

static void plus(void)
{
	static const double timeouts[][2] = {
		{ 1.0, 0.0 },
		{ 1.5, 0.25 },
		{ 0.1, 86400.0 },
		{ -1.0, -0.5 },
		{ 2.9999999999, 1e30 },
		{ 1e-10, 0.999999999 },
		{ 18446744073709549568.0, 4294967296.75 },
	};
	struct fuse_entry_param e;
	size_t i, n, total = 0;
	char what[64];
	char name[40];

	memset(buf, 0xa5, sizeof(buf));
	for (i = 0; i < sizeof(timeouts) / sizeof(timeouts[0]); i++) {
		memset(&e, 0, sizeof(e));
		e.ino = 0x1000 + i;
		e.generation = 0xabcdef0000000000ULL + i;
		st_fill(&e.attr, 2000 + i, (i % 2 ? S_IFDIR : S_IFREG) | 0640);
		e.attr_timeout = timeouts[i][0];
		e.entry_timeout = timeouts[i][1];
		snprintf(name, sizeof(name), "%.*s", (int)(i * 3),
			 "entry-name-that-is-long");
		n = fuse_add_direntry_plus(NULL, NULL, 0, name, &e, 0);
		printf("plus size of '%s': %zu\n", name, n);
		n = fuse_add_direntry_plus(NULL, (char *)buf + total,
					   sizeof(buf) - total, name, &e,
					   (off_t)(i + 1) << 40);
		total += n;
	}
	snprintf(what, sizeof(what), "plus %zu", total);
	dump(what, total + 8);

	memset(buf, 0xa5, sizeof(buf));
	n = fuse_add_direntry_plus(NULL, (char *)buf, 159, "abcdefg", &e, 1);
	printf("plus too small: %zu\n", n);
	dump("plus too small buf", 168);
	n = fuse_add_direntry_plus(NULL, NULL, 0, "abcdefg", NULL, 1);
	printf("plus NULL buf: %zu\n", n);
}

int main(void)
{
	plain();
	plus();
	printf("END\n");
	return 0;
}
