/*
 * ferrofuse: what the high-level (fuse.h) and the low-level
 * (fuse_lowlevel.h) APIs share: open-file and connection info, capability
 * bits, data buffers, signal handling and the loop configuration.
 *
 * Plain structs and functions are generated from the Rust sources
 * (generated/fuse_common.h); this file adds what C must spell by hand:
 * bit-fields, enums, macros and declarations that depend on
 * FUSE_USE_VERSION.
 */
#if !defined(FUSE_H_) && !defined(FUSE_LOWLEVEL_H_)
#error "<fuse_common.h> is included through <fuse.h> or <fuse_lowlevel.h>, not on its own."
#endif

#ifndef FUSE_COMMON_H_
#define FUSE_COMMON_H_

/* In-tree builds of libfuse's examples read their configuration from here. */
#ifdef HAVE_LIBFUSE_PRIVATE_CONFIG_H
#include "fuse_config.h"
#endif

#include "libfuse_config.h"
#include "fuse_opt.h"
#include "fuse_log.h"
#include <stdint.h>
#include <stdbool.h>
#include <sys/types.h>
#include <assert.h>

/* An API version as FUSE_USE_VERSION writes it: 3.12 is 312. */
#define FUSE_MAKE_VERSION(maj, min)  ((maj) * 100 + (min))
/* The API version of these headers. */
#define FUSE_VERSION FUSE_MAKE_VERSION(FUSE_MAJOR_VERSION, FUSE_MINOR_VERSION)

#ifdef __cplusplus
extern "C" {
#endif

/*
 * An open file or directory, as open/create/opendir set it up and the later
 * requests on it see it. 64 bytes (the 3.17+ layout).
 */
struct fuse_file_info {
	/* open(2) flags */
	int32_t flags;

	/* write: the data comes from the page cache (delayed writeback) */
	uint32_t writepage : 1;
	/* open/create: bypass the page cache for this file */
	uint32_t direct_io : 1;
	/* open/opendir: keep the cached data from the last open */
	uint32_t keep_cache : 1;
	/* release/lock: this is also a flush of the file */
	uint32_t flush : 1;
	/* open/create: the file is not seekable */
	uint32_t nonseekable : 1;
	/* release: drop this owner's flock locks (lock_owner is valid) */
	uint32_t flock_release : 1;
	/* opendir: let the kernel cache the directory's entries */
	uint32_t cache_readdir : 1;
	/* open/create: no flush on close */
	uint32_t noflush : 1;
	/* open/create: direct writes to this file may run in parallel */
	uint32_t parallel_direct_writes : 1;
	/* open/create/write (set by the library, with HANDLE_KILLPRIV_V2):
	 * the caller lacks CAP_FSETID, so the filesystem must clear the
	 * setuid/setgid bits. Only libfuse 3.18.3 and later set it. */
	uint32_t kill_suidgid : 1;
	uint32_t padding : 22;
	uint32_t padding2 : 32;
	uint32_t padding3 : 32;

	/* the filesystem's own handle, returned by open/create/opendir */
	uint64_t fh;
	/* the lock owner of lock, flush and release requests */
	uint64_t lock_owner;
	/* poll: the requested events */
	uint32_t poll_events;
	/* open/create: a backing file id from fuse_passthrough_open() */
	int32_t backing_id;
	/* API/ABI flags of this struct, for the library's use */
	uint64_t compat_flags;
	uint64_t reserved[2];
};

/*
 * Below API 3.12 the multi-threaded loops take this public two-field struct
 * as "struct fuse_loop_config". From 3.12 on that name is an opaque object
 * (fuse_loop_cfg_create()) and the old struct is fuse_loop_config_v1.
 */
#if FUSE_USE_VERSION < FUSE_MAKE_VERSION(3, 12)
struct fuse_loop_config_v1;
struct fuse_loop_config {
#else
struct fuse_loop_config;
struct fuse_loop_config_v1 {
#endif
	int clone_fd;
	unsigned int max_idle_threads;
};

/*
 * Capabilities (fuse_conn_info.capable/want and the _ext fields). These are
 * libfuse's bit numbers, not the kernel's INIT flags.
 */
#define FUSE_CAP_ASYNC_READ (1UL << 0)
#define FUSE_CAP_POSIX_LOCKS (1UL << 1)
#define FUSE_CAP_ATOMIC_O_TRUNC (1UL << 3)
#define FUSE_CAP_EXPORT_SUPPORT (1UL << 4)
#define FUSE_CAP_DONT_MASK (1UL << 6)
#define FUSE_CAP_SPLICE_WRITE (1UL << 7)
#define FUSE_CAP_SPLICE_MOVE (1UL << 8)
#define FUSE_CAP_SPLICE_READ (1UL << 9)
#define FUSE_CAP_FLOCK_LOCKS (1UL << 10)
#define FUSE_CAP_IOCTL_DIR (1UL << 11)
#define FUSE_CAP_AUTO_INVAL_DATA (1UL << 12)
#define FUSE_CAP_READDIRPLUS (1UL << 13)
#define FUSE_CAP_READDIRPLUS_AUTO (1UL << 14)
#define FUSE_CAP_ASYNC_DIO (1UL << 15)
#define FUSE_CAP_WRITEBACK_CACHE (1UL << 16)
#define FUSE_CAP_NO_OPEN_SUPPORT (1UL << 17)
#define FUSE_CAP_PARALLEL_DIROPS (1UL << 18)
#define FUSE_CAP_POSIX_ACL (1UL << 19)
#define FUSE_CAP_HANDLE_KILLPRIV (1UL << 20)
#define FUSE_CAP_HANDLE_KILLPRIV_V2 (1UL << 21)
#define FUSE_CAP_CACHE_SYMLINKS (1UL << 23)
#define FUSE_CAP_NO_OPENDIR_SUPPORT (1UL << 24)
#define FUSE_CAP_EXPLICIT_INVAL_DATA (1UL << 25)
#define FUSE_CAP_EXPIRE_ONLY (1UL << 26)
#define FUSE_CAP_SETXATTR_EXT (1UL << 27)
#define FUSE_CAP_DIRECT_IO_ALLOW_MMAP (1UL << 28)
#define FUSE_CAP_PASSTHROUGH (1UL << 29)
#define FUSE_CAP_NO_EXPORT_SUPPORT (1UL << 30)
#define FUSE_CAP_OVER_IO_URING (1UL << 31)

/* ioctl flags (the flags argument of the ioctl operations). */
#define FUSE_IOCTL_COMPAT	(1 << 0)
#define FUSE_IOCTL_UNRESTRICTED	(1 << 1)
#define FUSE_IOCTL_RETRY	(1 << 2)
#define FUSE_IOCTL_DIR		(1 << 4)

/* The most iovecs an unrestricted ioctl may ask for. */
#define FUSE_IOCTL_MAX_IOV	256

/*
 * The connection, handed to the init operation: what the kernel offers
 * (capable) and what the filesystem asks for (want). 128 bytes.
 */
struct fuse_conn_info {
	uint32_t proto_major;
	uint32_t proto_minor;
	uint32_t max_write;
	uint32_t max_read;
	uint32_t max_readahead;
	/* FUSE_CAP_* bits 0-31; kept for older filesystems, see capable_ext */
	uint32_t capable;
	/* FUSE_CAP_* bits 0-31; kept for older filesystems, see want_ext */
	uint32_t want;
	uint32_t max_background;
	uint32_t congestion_threshold;
	uint32_t time_gran;

/* Values of max_backing_stack_depth. */
#define FUSE_BACKING_STACKED_UNDER	(0)
#define FUSE_BACKING_STACKED_OVER	(1)
	/* passthrough: how deep the backing files may be stacked */
	uint32_t max_backing_stack_depth;

	/* do not send INTERRUPT requests to this filesystem */
	uint32_t no_interrupt : 1;
	uint32_t padding : 31;

	/* every FUSE_CAP_* bit; use fuse_get/set/unset_feature_flag() */
	uint64_t capable_ext;
	uint64_t want_ext;

	/* seconds after which the kernel aborts an unanswered request; 0: never */
	uint16_t request_timeout;
	uint16_t reserved[31];
};

struct fuse_session;
struct fuse_pollhandle;
struct fuse_conn_info_opts;

/* What a struct fuse_buf holds. */
enum fuse_buf_flags {
	/* a file descriptor (fd), not memory (mem) */
	FUSE_BUF_IS_FD		= (1 << 1),
	/* read/write the fd at pos, not at its current offset */
	FUSE_BUF_FD_SEEK	= (1 << 2),
	/* retry short reads/writes on the fd until size bytes are moved */
	FUSE_BUF_FD_RETRY	= (1 << 3)
};

/* How fuse_buf_copy() may move data. */
enum fuse_buf_copy_flags {
	/* never use splice(2) */
	FUSE_BUF_NO_SPLICE	= (1 << 1),
	/* use splice(2) whenever it could work; fail if it does not */
	FUSE_BUF_FORCE_SPLICE	= (1 << 2),
	/* let splice(2) move pages (SPLICE_F_MOVE) */
	FUSE_BUF_SPLICE_MOVE	= (1 << 3),
	/* do not block in splice(2) (SPLICE_F_NONBLOCK) */
	FUSE_BUF_SPLICE_NONBLOCK = (1 << 4)
};

#include "generated/fuse_common.h"

/* A struct fuse_bufvec with one memory buffer of the given size (mem unset). */
#define FUSE_BUFVEC_INIT(size__)					\
	((struct fuse_bufvec) { 1, 0, 0, { {				\
		(size__), (enum fuse_buf_flags) 0, NULL, -1, 0, 0	\
	} } })

#if FUSE_USE_VERSION >= FUSE_MAKE_VERSION(3, 12)
/* The loop configuration object of fuse_session_loop_mt() and
 * fuse_loop_mt() from API 3.12 on. */
struct fuse_loop_config *fuse_loop_cfg_create(void);
void fuse_loop_cfg_destroy(struct fuse_loop_config *config);
/* How many idle worker threads to keep. */
void fuse_loop_cfg_set_idle_threads(struct fuse_loop_config *config,
				    unsigned int value);
/* The most worker threads to start. */
void fuse_loop_cfg_set_max_threads(struct fuse_loop_config *config,
				   unsigned int value);
/* Whether each worker opens its own /dev/fuse fd. */
void fuse_loop_cfg_set_clone_fd(struct fuse_loop_config *config,
				unsigned int value);
/* Copies the settings of a pre-3.12 struct into the object. */
void fuse_loop_cfg_convert(struct fuse_loop_config *config,
			   struct fuse_loop_config_v1 *v1_conf);
#endif

#if !defined(FUSE_USE_VERSION) || FUSE_USE_VERSION < 30
#  error "define FUSE_USE_VERSION as 30 or more (e.g. 31, 312, 318) before including FUSE headers"
#endif

#ifdef __cplusplus
}
#endif

/* The API passes off_t by value: build with -D_FILE_OFFSET_BITS=64 on
 * 32-bit systems. */
#if defined(__cplusplus) && __cplusplus >= 201103L
static_assert(sizeof(off_t) == 8, "fuse: off_t must be 64 bits");
#elif defined(__STDC_VERSION__) && (__STDC_VERSION__ >= 201112L)
_Static_assert(sizeof(off_t) == 8, "fuse: off_t must be 64 bits");
#else
struct fuse_off_t_is_64_bits_check {
	unsigned off_t_is_64_bits : (sizeof(off_t) == 8) ? 1 : -1;
};
#endif

#endif /* FUSE_COMMON_H_ */
