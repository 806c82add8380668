/*
 * fuse_buf_copy and fuse_buf_size from C, for comparing libraries: prints
 * one line per observation (return values, cursors, bytes copied, file and
 * pipe contents). tests/buf_conn_c.rs builds it against each library with
 * that library's headers, so vectors use the headers' struct fuse_buf stride
 * (40 bytes for 3.14, 48 for 3.17+), and compares the outputs.
 *
 * Lines starting with "[v]" show a difference between libfuse 3.14 and
 * 3.18 (fuse_buf_size's overflow check); they are compared only among
 * 3.18-behaving libraries.
 *
 * With -DWITH_SESSION the program first creates a session through
 * fuse_session_new (so that a 3.14-built caller tells ferrofuse which
 * layouts it uses); if that fails it prints "SKIP" and stops.
 */
#ifndef FUSE_USE_VERSION
#define FUSE_USE_VERSION 31
#endif
#include <fuse_lowlevel.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* A vector with room for several buffers, at the headers' stride. */
struct vec {
	size_t count;
	size_t idx;
	size_t off;
	struct fuse_buf buf[4];
};

#define FBV(v) ((struct fuse_bufvec *)(v))

static void vinit(struct vec *v, size_t count)
{
	memset(v, 0, sizeof(*v));
	v->count = count;
}

static void mem(struct vec *v, int i, void *p, size_t size)
{
	v->buf[i].size = size;
	v->buf[i].flags = 0;
	v->buf[i].mem = p;
	v->buf[i].fd = -1;
	v->buf[i].pos = 0;
}

static void fdb(struct vec *v, int i, int fd, size_t size, int flags, off_t pos)
{
	v->buf[i].size = size;
	v->buf[i].flags = FUSE_BUF_IS_FD | flags;
	v->buf[i].mem = NULL;
	v->buf[i].fd = fd;
	v->buf[i].pos = pos;
}

static void show(const char *what, ssize_t res, struct vec *d, struct vec *s)
{
	printf("%s: res=%zd dst=%zu/%zu src=%zu/%zu\n", what, res, d->idx,
	       d->off, s->idx, s->off);
}

static void hexs(const char *what, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	printf("%s: ", what);
	for (i = 0; i < n; i++)
		printf("%c", b[i] >= 32 && b[i] < 127 ? b[i] : '.');
	printf("\n");
}

static int memfile(const char *data)
{
	int fd = memfd_create("buf_copy", 0);

	if (fd < 0 || write(fd, data, strlen(data)) != (ssize_t)strlen(data)) {
		perror("memfd");
		exit(1);
	}
	return fd;
}

static void file_contents(const char *what, int fd)
{
	char b[256];
	ssize_t n = pread(fd, b, sizeof(b), 0);

	if (n < 0)
		n = 0;
	hexs(what, b, n);
}

static void mem_cases(void)
{
	struct vec d, s;
	char a[] = "hello ", b[] = "world!", c[] = "xy";
	char o1[5], o2[12], big[40];
	ssize_t r;

	/* one to one */
	vinit(&s, 1);
	mem(&s, 0, a, 6);
	vinit(&d, 1);
	memset(big, '.', sizeof(big));
	mem(&d, 0, big, sizeof(big));
	r = fuse_buf_copy(FBV(&d), FBV(&s), 0);
	show("mem 1:1", r, &d, &s);
	hexs("mem 1:1 data", big, 10);

	/* three sources into two destinations, cursors midway */
	vinit(&s, 3);
	mem(&s, 0, a, 6);
	mem(&s, 1, b, 6);
	mem(&s, 2, c, 2);
	s.off = 2;
	vinit(&d, 2);
	memset(o1, '.', sizeof(o1));
	memset(o2, '.', sizeof(o2));
	mem(&d, 0, o1, sizeof(o1));
	mem(&d, 1, o2, sizeof(o2));
	d.off = 1;
	printf("size src=%zu dst=%zu\n", fuse_buf_size(FBV(&s)),
	       fuse_buf_size(FBV(&d)));
	r = fuse_buf_copy(FBV(&d), FBV(&s), 0);
	show("mem 3:2", r, &d, &s);
	hexs("mem 3:2 o1", o1, sizeof(o1));
	hexs("mem 3:2 o2", o2, sizeof(o2));
	/* again: the source is used up */
	r = fuse_buf_copy(FBV(&d), FBV(&s), 0);
	show("mem 3:2 again", r, &d, &s);

	/* destination runs out first */
	vinit(&s, 2);
	mem(&s, 0, a, 6);
	mem(&s, 1, b, 6);
	vinit(&d, 1);
	memset(o1, '.', sizeof(o1));
	mem(&d, 0, o1, sizeof(o1));
	r = fuse_buf_copy(FBV(&d), FBV(&s), 0);
	show("mem dst short", r, &d, &s);

	/* zero-sized buffers in between */
	vinit(&s, 3);
	mem(&s, 0, a, 0);
	mem(&s, 1, b, 3);
	mem(&s, 2, c, 0);
	vinit(&d, 2);
	memset(o1, '.', sizeof(o1));
	mem(&d, 0, o1, 0);
	mem(&d, 1, o1, sizeof(o1));
	r = fuse_buf_copy(FBV(&d), FBV(&s), 0);
	show("mem zero sized", r, &d, &s);
	hexs("mem zero sized data", o1, sizeof(o1));

	/* overlapping memory: memmove semantics */
	memcpy(big, "abcdefghij", 10);
	vinit(&s, 1);
	mem(&s, 0, big, 8);
	vinit(&d, 1);
	mem(&d, 0, big + 2, 8);
	r = fuse_buf_copy(FBV(&d), FBV(&s), 0);
	show("mem overlap", r, &d, &s);
	hexs("mem overlap data", big, 10);

	/* the same vector twice */
	vinit(&s, 2);
	mem(&s, 0, a, 6);
	mem(&s, 1, b, 4);
	s.idx = 1;
	r = fuse_buf_copy(FBV(&s), FBV(&s), 0);
	show("same vector", r, &s, &s);

	/* sizes near SIZE_MAX */
	vinit(&s, 2);
	fdb(&s, 0, -1, SIZE_MAX - 3, 0, 0);
	fdb(&s, 1, -1, 3, 0, 0);
	printf("size max-3+3=%zu\n", fuse_buf_size(FBV(&s)));
	fdb(&s, 1, -1, 5, 0, 0);
	printf("[v] size max-3+5=%zu\n", fuse_buf_size(FBV(&s)));
	fdb(&s, 1, -1, 2, 0, 0);
	printf("size max-3+2=%zu\n", fuse_buf_size(FBV(&s)));
}

static void fd_cases(void)
{
	struct vec d, s;
	char data[] = "0123456789abcdef";
	char out[32];
	ssize_t r;
	int f, g, p[2];

	/* memory to a file at a position */
	f = memfile("................");
	vinit(&s, 1);
	mem(&s, 0, data, 5);
	vinit(&d, 1);
	fdb(&d, 0, f, 8, FUSE_BUF_FD_SEEK, 4);
	d.off = 2;
	r = fuse_buf_copy(FBV(&d), FBV(&s), 0);
	show("mem->fd seek", r, &d, &s);
	file_contents("mem->fd seek file", f);

	/* memory to a file at its own position */
	lseek(f, 1, SEEK_SET);
	vinit(&s, 2);
	mem(&s, 0, data, 3);
	mem(&s, 1, data + 10, 3);
	vinit(&d, 1);
	fdb(&d, 0, f, 16, 0, 0);
	r = fuse_buf_copy(FBV(&d), FBV(&s), 0);
	show("mem->fd stream", r, &d, &s);
	file_contents("mem->fd stream file", f);
	printf("mem->fd stream pos=%ld\n", (long)lseek(f, 0, SEEK_CUR));

	/* a file into memory, hitting EOF */
	vinit(&s, 1);
	fdb(&s, 0, f, 30, FUSE_BUF_FD_SEEK, 10);
	vinit(&d, 2);
	memset(out, '.', sizeof(out));
	mem(&d, 0, out, 4);
	mem(&d, 1, out + 4, 20);
	r = fuse_buf_copy(FBV(&d), FBV(&s), 0);
	show("fd->mem eof", r, &d, &s);
	hexs("fd->mem eof data", out, 24);
	r = fuse_buf_copy(FBV(&d), FBV(&s), 0);
	show("fd->mem eof again", r, &d, &s);

	/* file to file without splice, and with splice (EINVAL fallback) */
	g = memfile("");
	vinit(&s, 1);
	fdb(&s, 0, f, 10, FUSE_BUF_FD_SEEK, 3);
	vinit(&d, 1);
	fdb(&d, 0, g, 10, FUSE_BUF_FD_SEEK, 2);
	r = fuse_buf_copy(FBV(&d), FBV(&s), FUSE_BUF_NO_SPLICE);
	show("fd->fd no splice", r, &d, &s);
	file_contents("fd->fd no splice file", g);
	vinit(&s, 1);
	fdb(&s, 0, f, 6, FUSE_BUF_FD_SEEK, 0);
	vinit(&d, 1);
	fdb(&d, 0, g, 6, FUSE_BUF_FD_SEEK, 12);
	r = fuse_buf_copy(FBV(&d), FBV(&s), 0);
	show("fd->fd splice fallback", r, &d, &s);
	file_contents("fd->fd splice fallback file", g);
	vinit(&s, 1);
	fdb(&s, 0, f, 6, FUSE_BUF_FD_SEEK, 0);
	vinit(&d, 1);
	fdb(&d, 0, g, 6, FUSE_BUF_FD_SEEK, 0);
	r = fuse_buf_copy(FBV(&d), FBV(&s), FUSE_BUF_FORCE_SPLICE);
	show("fd->fd force splice", r, &d, &s);

	/* file to pipe and pipe to file with splice */
	if (pipe(p) != 0) {
		perror("pipe");
		exit(1);
	}
	vinit(&s, 1);
	fdb(&s, 0, f, 7, FUSE_BUF_FD_SEEK, 5);
	vinit(&d, 1);
	fdb(&d, 0, p[1], 7, 0, 0);
	r = fuse_buf_copy(FBV(&d), FBV(&s),
			  FUSE_BUF_SPLICE_MOVE | FUSE_BUF_SPLICE_NONBLOCK);
	show("file->pipe splice", r, &d, &s);
	vinit(&s, 1);
	fdb(&s, 0, p[0], 20, 0, 0);
	vinit(&d, 1);
	fdb(&d, 0, g, 20, FUSE_BUF_FD_SEEK, 0);
	r = fuse_buf_copy(FBV(&d), FBV(&s), 0);
	show("pipe->file splice", r, &d, &s);
	file_contents("pipe->file splice file", g);

	/* an empty pipe with SPLICE_NONBLOCK */
	vinit(&s, 1);
	fdb(&s, 0, p[0], 4, 0, 0);
	vinit(&d, 1);
	fdb(&d, 0, g, 4, FUSE_BUF_FD_SEEK, 0);
	r = fuse_buf_copy(FBV(&d), FBV(&s), FUSE_BUF_SPLICE_NONBLOCK);
	show("empty pipe nonblock", r, &d, &s);

	/* pipe to memory: short reads unless FD_RETRY */
	vinit(&s, 1);
	mem(&s, 0, data, 3);
	vinit(&d, 1);
	fdb(&d, 0, p[1], 3, 0, 0);
	r = fuse_buf_copy(FBV(&d), FBV(&s), 0);
	mem(&s, 0, data + 3, 4);
	fdb(&d, 0, p[1], 4, 0, 0);
	d.idx = 0;
	d.off = 0;
	s.idx = 0;
	s.off = 0;
	r += fuse_buf_copy(FBV(&d), FBV(&s), 0);
	printf("pipe filled: %zd\n", r);
	close(p[1]);
	vinit(&s, 1);
	fdb(&s, 0, p[0], 20, FUSE_BUF_FD_RETRY, 0);
	vinit(&d, 1);
	memset(out, '.', sizeof(out));
	mem(&d, 0, out, 20);
	r = fuse_buf_copy(FBV(&d), FBV(&s), 0);
	show("pipe->mem retry", r, &d, &s);
	hexs("pipe->mem retry data", out, 10);
	close(p[0]);

	/* errors */
	vinit(&s, 1);
	mem(&s, 0, data, 4);
	vinit(&d, 1);
	fdb(&d, 0, -1, 4, 0, 0);
	r = fuse_buf_copy(FBV(&d), FBV(&s), 0);
	show("bad fd", r, &d, &s);
	vinit(&d, 2);
	fdb(&d, 0, g, 2, FUSE_BUF_FD_SEEK, 0);
	fdb(&d, 1, -1, 2, 0, 0);
	r = fuse_buf_copy(FBV(&d), FBV(&s), 0);
	show("error after progress", r, &d, &s);
	vinit(&s, 1);
	fdb(&s, 0, -1, 4, 0, 0);
	vinit(&d, 1);
	fdb(&d, 0, g, 4, 0, 0);
	r = fuse_buf_copy(FBV(&d), FBV(&s), FUSE_BUF_NO_SPLICE);
	show("bad fd no splice", r, &d, &s);
	r = fuse_buf_copy(FBV(&d), FBV(&s), 0);
	show("bad fd splice", r, &d, &s);

	close(f);
	close(g);
}

int main(int argc, char **argv)
{
	(void)argc;
#ifdef WITH_SESSION
	{
		char *av[] = { argv[0], NULL };
		struct fuse_args args = FUSE_ARGS_INIT(1, av);
		struct fuse_lowlevel_ops ops;
		struct fuse_session *se;

		memset(&ops, 0, sizeof(ops));
		se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
		if (!se) {
			printf("SKIP\n");
			return 0;
		}
	}
#else
	(void)argv;
#endif
	printf("[h] sizeof(struct fuse_buf)=%zu\n", sizeof(struct fuse_buf));
	mem_cases();
	fd_cases();
	printf("END\n");
	return 0;
}
