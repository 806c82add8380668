/*
 * ferrofuse: the high-level API (libfuse's fuse.h).
 *
 * A high-level filesystem works on paths: it fills in a struct
 * fuse_operations whose callbacks return 0 or -errno, and usually hands it
 * to fuse_main(). The fuse_fs_*() functions let stacked modules
 * (FUSE_REGISTER_MODULE) call the filesystem below them.
 *
 * Plain structs and functions are generated from the Rust sources
 * (generated/fuse.h); this file adds the operations table, enums, macros,
 * inline wrappers and the declarations that depend on FUSE_USE_VERSION.
 */
#ifndef FUSE_H_
#define FUSE_H_

#include "fuse_common.h"

#include <fcntl.h>
#include <time.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

struct statx;
/* A mounted high-level filesystem. */
struct fuse;
/* One filesystem in a stack of modules. */
struct fuse_fs;
struct fuse_operations;

/* Flags of the readdir operation. */
enum fuse_readdir_flags {
	FUSE_READDIR_DEFAULTS = 0,
	/* readdirplus: the filler may pass full attributes */
	FUSE_READDIR_PLUS = (1 << 0)
};

/* Flags for the readdir filler function. */
enum fuse_fill_dir_flags {
	FUSE_FILL_DIR_DEFAULTS = 0,
	/* stbuf holds all attributes, not only the type and inode bits */
	FUSE_FILL_DIR_PLUS = (1 << 1)
};

#include "generated/fuse.h"

/*
 * The operations of a high-level filesystem. Paths are relative to the
 * mountpoint and start with '/'. A callback returns 0 (or a count) on
 * success and -errno on failure; a NULL slot means "not supported".
 * fuse_main() and fuse_new() copy sizeof(struct fuse_operations) of it.
 */
struct fuse_operations {
	int (*getattr) (const char *, struct stat *, struct fuse_file_info *fi);
	int (*readlink) (const char *, char *, size_t);
	int (*mknod) (const char *, mode_t, dev_t);
	int (*mkdir) (const char *, mode_t);
	int (*unlink) (const char *);
	int (*rmdir) (const char *);
	int (*symlink) (const char *, const char *);
	int (*rename) (const char *, const char *, unsigned int flags);
	int (*link) (const char *, const char *);
	int (*chmod) (const char *, mode_t, struct fuse_file_info *fi);
	int (*chown) (const char *, uid_t, gid_t, struct fuse_file_info *fi);
	int (*truncate) (const char *, off_t, struct fuse_file_info *fi);
	int (*open) (const char *, struct fuse_file_info *);
	int (*read) (const char *, char *, size_t, off_t,
		     struct fuse_file_info *);
	int (*write) (const char *, const char *, size_t, off_t,
		      struct fuse_file_info *);
	int (*statfs) (const char *, struct statvfs *);
	int (*flush) (const char *, struct fuse_file_info *);
	int (*release) (const char *, struct fuse_file_info *);
	int (*fsync) (const char *, int, struct fuse_file_info *);
	int (*setxattr) (const char *, const char *, const char *, size_t, int);
	int (*getxattr) (const char *, const char *, char *, size_t);
	int (*listxattr) (const char *, char *, size_t);
	int (*removexattr) (const char *, const char *);
	int (*opendir) (const char *, struct fuse_file_info *);
	int (*readdir) (const char *, void *, fuse_fill_dir_t, off_t,
			struct fuse_file_info *, enum fuse_readdir_flags);
	int (*releasedir) (const char *, struct fuse_file_info *);
	int (*fsyncdir) (const char *, int, struct fuse_file_info *);
	void *(*init) (struct fuse_conn_info *conn, struct fuse_config *cfg);
	void (*destroy) (void *private_data);
	int (*access) (const char *, int);
	int (*create) (const char *, mode_t, struct fuse_file_info *);
	int (*lock) (const char *, struct fuse_file_info *, int cmd,
		     struct flock *);
	int (*utimens) (const char *, const struct timespec tv[2],
			struct fuse_file_info *fi);
	int (*bmap) (const char *, size_t blocksize, uint64_t *idx);
	/* cmd is an int below API 35, unsigned from 35 on (same ABI) */
#if FUSE_USE_VERSION < 35
	int (*ioctl) (const char *, int cmd, void *arg,
		      struct fuse_file_info *, unsigned int flags, void *data);
#else
	int (*ioctl) (const char *, unsigned int cmd, void *arg,
		      struct fuse_file_info *, unsigned int flags, void *data);
#endif
	int (*poll) (const char *, struct fuse_file_info *,
		     struct fuse_pollhandle *ph, unsigned *reventsp);
	int (*write_buf) (const char *, struct fuse_bufvec *buf, off_t off,
			  struct fuse_file_info *);
	int (*read_buf) (const char *, struct fuse_bufvec **bufp,
			 size_t size, off_t off, struct fuse_file_info *);
	int (*flock) (const char *, struct fuse_file_info *, int op);
	int (*fallocate) (const char *, int, off_t, off_t,
			  struct fuse_file_info *);
	ssize_t (*copy_file_range) (const char *path_in,
				    struct fuse_file_info *fi_in,
				    off_t offset_in, const char *path_out,
				    struct fuse_file_info *fi_out,
				    off_t offset_out, size_t size, int flags);
	off_t (*lseek) (const char *, off_t off, int whence,
			struct fuse_file_info *);
	/* new in libfuse 3.18 (3.14 ends at lseek) */
	int (*statx) (const char *path, int flags, int mask,
		      struct statx *stxbuf, struct fuse_file_info *fi);
};

/*
 * fuse_main_real() is libfuse's internal entry point; programs call
 * fuse_main(). Both pass the headers' version along.
 */
static inline int fuse_main_real(int argc, char *argv[],
				 const struct fuse_operations *op,
				 size_t op_size, void *user_data)
{
	struct libfuse_version version = {
		FUSE_MAJOR_VERSION, FUSE_MINOR_VERSION, FUSE_HOTFIX_VERSION, 0
	};

	fuse_log(FUSE_LOG_ERR, "%s: internal function, use fuse_main()\n",
		 __func__);
	return fuse_main_real_versioned(argc, argv, op, op_size, &version,
					user_data);
}

static inline int fuse_main_fn(int argc, char *argv[],
			       const struct fuse_operations *op,
			       void *user_data)
{
	struct libfuse_version version = {
		FUSE_MAJOR_VERSION, FUSE_MINOR_VERSION, FUSE_HOTFIX_VERSION, 0
	};

	return fuse_main_real_versioned(argc, argv, op, sizeof(*(op)),
					&version, user_data);
}

/*
 * Parses the command line, mounts, runs the loop (multi-threaded unless -s)
 * and unmounts: the whole life of a simple filesystem. Returns 0 on
 * success, 1-7 for the stage that failed.
 */
#define fuse_main(argc, argv, op, user_data) \
	fuse_main_fn(argc, argv, op, user_data)

/*
 * Creates a high-level filesystem from args (API 30 also handles --help
 * there). Mount it with fuse_mount().
 */
#if FUSE_USE_VERSION == 30
static inline struct fuse *fuse_new_fn(struct fuse_args *args,
				       const struct fuse_operations *op,
				       size_t op_size, void *user_data)
{
	struct libfuse_version version = {
		FUSE_MAJOR_VERSION, FUSE_MINOR_VERSION, FUSE_HOTFIX_VERSION, 0
	};

	return _fuse_new_30(args, op, op_size, &version, user_data);
}
#else
static inline struct fuse *fuse_new_fn(struct fuse_args *args,
				       const struct fuse_operations *op,
				       size_t op_size, void *user_data)
{
	struct libfuse_version version = {
		FUSE_MAJOR_VERSION, FUSE_MINOR_VERSION, FUSE_HOTFIX_VERSION, 0
	};

	return _fuse_new_31(args, op, op_size, &version, user_data);
}
#endif
#define fuse_new(args, op, size, data) fuse_new_fn(args, op, size, data)

/*
 * Runs the multi-threaded loop; see fuse_session_loop_mt() for how its
 * argument changed with the API version.
 */
#if FUSE_USE_VERSION < 32
int fuse_loop_mt_31(struct fuse *f, int clone_fd);
#define fuse_loop_mt(f, clone_fd) fuse_loop_mt_31(f, clone_fd)
#elif FUSE_USE_VERSION < FUSE_MAKE_VERSION(3, 12)
int fuse_loop_mt_32(struct fuse *f, struct fuse_loop_config *config);
#define fuse_loop_mt(f, config) fuse_loop_mt_32(f, config)
#else
#if (defined(LIBFUSE_BUILT_WITH_VERSIONED_SYMBOLS))
int fuse_loop_mt(struct fuse *f, struct fuse_loop_config *config);
#else
int fuse_loop_mt_312(struct fuse *f, struct fuse_loop_config *config);
#define fuse_loop_mt(f, config) fuse_loop_mt_312(f, config)
#endif
#endif

/* Calls the ioctl operation of fs; cmd's type follows the ops table. */
#if FUSE_USE_VERSION < 35
int fuse_fs_ioctl(struct fuse_fs *fs, const char *path, int cmd, void *arg,
		  struct fuse_file_info *fi, unsigned int flags, void *data);
#else
int fuse_fs_ioctl(struct fuse_fs *fs, const char *path, unsigned int cmd,
		  void *arg, struct fuse_file_info *fi, unsigned int flags,
		  void *data);
#endif

/*
 * Defines the symbol through which "-o modules=name_" finds a module's
 * factory (fuse_module_<name>_factory) when it loads libfusemod_<name>.so.
 */
#define FUSE_REGISTER_MODULE(name_, factory_) \
	fuse_module_factory_t fuse_module_ ## name_ ## _factory = factory_

#ifdef __cplusplus
}
#endif

#endif /* FUSE_H_ */
