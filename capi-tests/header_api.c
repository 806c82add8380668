/*
 * Source-compatibility probe for fuse.h, fuse_lowlevel.h and
 * cuse_lowlevel.h. Built with -DFUSE_USE_VERSION=N as C and as C++, with
 * -Wall -Wextra -Werror, against our headers and against libfuse's.
 *
 * - exercise() uses the API whose spelling depends on FUSE_USE_VERSION the
 *   way a program of that version does (fuse_session_new(), fuse_new(),
 *   fuse_main(), the *_loop_mt() arguments, custom I/O, the ioctl cmd
 *   type...); it is compiled and linked but never run, so the imported
 *   symbols show which library entry points each call binds to.
 * - API_FUNCTIONS lists every function the headers declare at this
 *   version; the table below references them all.
 * - With -DEXERCISE_ONLY the program is exercise() alone.
 * - main() prints the value of every constant and, in C++, the type of
 *   every constant, function, typedef and struct member, so that two
 *   header sets can be compared line by line.
 */
#include <fuse.h>
#include <fuse_lowlevel.h>
#include <cuse_lowlevel.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#ifdef __cplusplus
#include <typeinfo>
#define TYPE(x) typeid(x).name()
#else
#define TYPE(x) "-"
#endif

#define STR_(x) #x
#define STR(x) STR_(x)

/* ---- callbacks whose types depend on FUSE_USE_VERSION ---------------- */

#if FUSE_USE_VERSION < 35
typedef int ioctl_cmd_t;
#else
typedef unsigned int ioctl_cmd_t;
#endif

static void ll_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	conn->no_interrupt = 1;
	fuse_set_feature_flag(conn, FUSE_CAP_PASSTHROUGH);
}

static void ll_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;

	(void)parent;
	(void)name;
	memset(&e, 0, sizeof(e));
	fuse_reply_entry(req, &e);
}

static void ll_ioctl(fuse_req_t req, fuse_ino_t ino, ioctl_cmd_t cmd,
		     void *arg, struct fuse_file_info *fi, unsigned flags,
		     const void *in_buf, size_t in_bufsz, size_t out_bufsz)
{
	(void)ino;
	(void)cmd;
	(void)arg;
	(void)fi;
	(void)flags;
	(void)in_buf;
	(void)in_bufsz;
	(void)out_bufsz;
	fuse_reply_ioctl(req, 0, NULL, 0);
}

static void ll_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	fi->direct_io = 1;
	fi->keep_cache = 0;
	fi->parallel_direct_writes = 1;
	fi->backing_id = fuse_passthrough_open(req, 0);
	fuse_reply_open(req, fi);
}

static int hl_getattr(const char *path, struct stat *st,
		      struct fuse_file_info *fi)
{
	(void)path;
	(void)fi;
	memset(st, 0, sizeof(*st));
	return 0;
}

static int hl_readdir(const char *path, void *buf, fuse_fill_dir_t filler,
		      off_t off, struct fuse_file_info *fi,
		      enum fuse_readdir_flags flags)
{
	(void)path;
	(void)off;
	(void)fi;
	(void)flags;
	filler(buf, ".", NULL, 0, FUSE_FILL_DIR_DEFAULTS);
	filler(buf, "..", NULL, 0, FUSE_FILL_DIR_PLUS);
	return 0;
}

static void *hl_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	(void)conn;
	cfg->use_ino = 1;
	cfg->parallel_direct_writes = 1;
	return NULL;
}

static int hl_ioctl(const char *path, ioctl_cmd_t cmd, void *arg,
		    struct fuse_file_info *fi, unsigned int flags, void *data)
{
	(void)path;
	(void)cmd;
	(void)arg;
	(void)fi;
	(void)flags;
	(void)data;
	return -ENOTTY;
}

/* CUSE's ioctl takes an int cmd at every version. */
static void cuse_ioctl(fuse_req_t req, int cmd, void *arg,
		       struct fuse_file_info *fi, unsigned int flags,
		       const void *in_buf, size_t in_bufsz, size_t out_bufsz)
{
	(void)cmd;
	(void)arg;
	(void)fi;
	(void)flags;
	(void)in_buf;
	(void)in_bufsz;
	(void)out_bufsz;
	fuse_reply_err(req, ENOTTY);
}

static struct fuse_fs *probe_factory(struct fuse_args *args,
				     struct fuse_fs *fs[])
{
	(void)args;
	return fs[0];
}

FUSE_REGISTER_MODULE(probe, probe_factory);

/* ---- the version-dependent API, as programs of this version use it ---- */

static int exercise(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts opts;
	struct fuse_lowlevel_ops llops;
	struct fuse_operations ops;
	struct cuse_lowlevel_ops cops;
	struct cuse_info ci;
	struct fuse_custom_io io;
	struct fuse_session *se;
	struct fuse *f;
	int ret = 0;

	memset(&llops, 0, sizeof(llops));
	llops.init = ll_init;
	llops.lookup = ll_lookup;
	llops.open = ll_open;
	llops.ioctl = ll_ioctl;
	memset(&ops, 0, sizeof(ops));
	ops.getattr = hl_getattr;
	ops.readdir = hl_readdir;
	ops.init = hl_init;
	ops.ioctl = hl_ioctl;
	memset(&cops, 0, sizeof(cops));
	cops.ioctl = cuse_ioctl;
	memset(&ci, 0, sizeof(ci));
	ci.flags = CUSE_UNRESTRICTED_IOCTL;
	memset(&io, 0, sizeof(io));

	if (fuse_parse_cmdline(&args, &opts) != 0)
		return 1;

	se = fuse_session_new(&args, &llops, sizeof(llops), NULL);
#if FUSE_USE_VERSION >= FUSE_MAKE_VERSION(3, 17)
	ret |= fuse_session_custom_io(se, &io, sizeof(io), 3);
#else
	ret |= fuse_session_custom_io(se, &io, 3);
#endif
	ret |= fuse_lowlevel_notify_expire_entry(se, FUSE_ROOT_ID, "a", 1);

#if FUSE_USE_VERSION < 32
	ret |= fuse_session_loop_mt(se, opts.clone_fd);
#elif FUSE_USE_VERSION < FUSE_MAKE_VERSION(3, 12)
	{
		struct fuse_loop_config config;

		config.clone_fd = opts.clone_fd;
		config.max_idle_threads = opts.max_idle_threads;
		ret |= fuse_session_loop_mt(se, &config);
	}
#else
	{
		struct fuse_loop_config *config = fuse_loop_cfg_create();
		struct fuse_loop_config_v1 v1;

		v1.clone_fd = 0;
		v1.max_idle_threads = 10;
		fuse_loop_cfg_convert(config, &v1);
		fuse_loop_cfg_set_clone_fd(config, opts.clone_fd);
		fuse_loop_cfg_set_idle_threads(config, opts.max_idle_threads);
		fuse_loop_cfg_set_max_threads(config, opts.max_threads);
		ret |= fuse_session_loop_mt(se, config);
		fuse_loop_cfg_destroy(config);
	}
#endif
	fuse_session_destroy(se);

	f = fuse_new(&args, &ops, sizeof(ops), NULL);
#if FUSE_USE_VERSION < 32
	ret |= fuse_loop_mt(f, 0);
#elif FUSE_USE_VERSION < FUSE_MAKE_VERSION(3, 12)
	{
		struct fuse_loop_config config = { 0, 10 };

		ret |= fuse_loop_mt(f, &config);
	}
#else
	ret |= fuse_loop_mt(f, NULL);
#endif
	{
		ioctl_cmd_t cmd = 0;

		ret |= fuse_fs_ioctl(NULL, "/", cmd, NULL, NULL, 0, NULL);
	}
	fuse_destroy(f);

	ret |= fuse_main(argc, argv, &ops, NULL);
	ret |= fuse_main_real(argc, argv, &ops, sizeof(ops), NULL);
	ret |= cuse_lowlevel_main(argc, argv, &ci, &cops, NULL);
	fuse_opt_free_args(&args);
	return ret;
}

/* With -DEXERCISE_ONLY, the program is exercise() alone: what it imports
 * is then exactly what the version-dependent calls bind to. */
#ifndef EXERCISE_ONLY

/* ---- every declared function ----------------------------------------- */

#if FUSE_USE_VERSION < 32
#define LOOP_MT_FUNCTIONS(X) X(fuse_session_loop_mt_31) X(fuse_loop_mt_31)
#elif FUSE_USE_VERSION < FUSE_MAKE_VERSION(3, 12)
#define LOOP_MT_FUNCTIONS(X) X(fuse_session_loop_mt_32) X(fuse_loop_mt_32)
#else
#define LOOP_MT_FUNCTIONS(X)                                               \
	X(fuse_session_loop_mt) X(fuse_loop_mt)                            \
	X(fuse_loop_cfg_create) X(fuse_loop_cfg_destroy)                   \
	X(fuse_loop_cfg_set_idle_threads) X(fuse_loop_cfg_set_max_threads) \
	X(fuse_loop_cfg_set_clone_fd) X(fuse_loop_cfg_convert)
#endif

#define API_FUNCTIONS(X)                                                   \
	LOOP_MT_FUNCTIONS(X)                                               \
	X(fuse_set_log_func) X(fuse_log) X(fuse_log_enable_syslog)         \
	X(fuse_log_close_syslog)                                           \
	X(fuse_opt_parse) X(fuse_opt_add_opt) X(fuse_opt_add_opt_escaped)  \
	X(fuse_opt_add_arg) X(fuse_opt_insert_arg) X(fuse_opt_free_args)   \
	X(fuse_opt_match)                                                  \
	X(fuse_parse_conn_info_opts) X(fuse_apply_conn_info_opts)          \
	X(fuse_daemonize) X(fuse_version) X(fuse_pkgversion)               \
	X(fuse_pollhandle_destroy) X(fuse_buf_size) X(fuse_buf_copy)       \
	X(fuse_set_signal_handlers) X(fuse_set_fail_signal_handlers)       \
	X(fuse_remove_signal_handlers) X(fuse_set_feature_flag)            \
	X(fuse_unset_feature_flag) X(fuse_get_feature_flag)                \
	X(fuse_convert_to_conn_want_ext)                                   \
	X(fuse_reply_err) X(fuse_reply_none) X(fuse_reply_entry)           \
	X(fuse_reply_create) X(fuse_reply_attr) X(fuse_reply_readlink)     \
	X(fuse_passthrough_open) X(fuse_passthrough_close)                 \
	X(fuse_reply_open) X(fuse_reply_write) X(fuse_reply_buf)           \
	X(fuse_reply_data) X(fuse_reply_iov) X(fuse_reply_statfs)          \
	X(fuse_reply_xattr) X(fuse_reply_lock) X(fuse_reply_bmap)          \
	X(fuse_add_direntry) X(fuse_add_direntry_plus)                     \
	X(fuse_reply_ioctl_retry) X(fuse_reply_ioctl)                      \
	X(fuse_reply_ioctl_iov) X(fuse_reply_poll) X(fuse_reply_lseek)     \
	X(fuse_reply_statx)                                                \
	X(fuse_lowlevel_notify_poll) X(fuse_lowlevel_notify_inval_inode)   \
	X(fuse_lowlevel_notify_increment_epoch)                            \
	X(fuse_lowlevel_notify_inval_entry)                                \
	X(fuse_lowlevel_notify_expire_entry) X(fuse_lowlevel_notify_delete) \
	X(fuse_lowlevel_notify_store) X(fuse_lowlevel_notify_retrieve)     \
	X(fuse_req_userdata) X(fuse_req_ctx) X(fuse_req_getgroups)         \
	X(fuse_req_interrupt_func) X(fuse_req_interrupted)                 \
	X(fuse_lowlevel_version) X(fuse_lowlevel_help) X(fuse_cmdline_help) \
	X(fuse_parse_cmdline) X(fuse_session_new_versioned)                \
	X(fuse_session_new_fn) X(fuse_session_custom_io_317)               \
	X(fuse_session_custom_io) X(fuse_session_mount) X(fuse_session_loop) \
	X(fuse_session_exit) X(fuse_session_reset) X(fuse_session_exited)  \
	X(fuse_session_unmount) X(fuse_session_destroy) X(fuse_session_fd) \
	X(fuse_session_process_buf) X(fuse_session_receive_buf)            \
	X(fuse_req_is_uring) X(fuse_req_get_payload)                       \
	X(fuse_main_real_versioned) X(fuse_main_real) X(fuse_main_fn)      \
	X(fuse_lib_help) X(_fuse_new_30) X(_fuse_new_31) X(fuse_new_fn)    \
	X(fuse_mount) X(fuse_unmount) X(fuse_destroy) X(fuse_loop)         \
	X(fuse_exit) X(fuse_get_context) X(fuse_getgroups)                 \
	X(fuse_interrupted) X(fuse_invalidate_path)                        \
	X(fuse_start_cleanup_thread) X(fuse_stop_cleanup_thread)           \
	X(fuse_clean_cache)                                                \
	X(fuse_fs_getattr) X(fuse_fs_rename) X(fuse_fs_unlink)             \
	X(fuse_fs_rmdir) X(fuse_fs_symlink) X(fuse_fs_link)                \
	X(fuse_fs_release) X(fuse_fs_open) X(fuse_fs_read)                 \
	X(fuse_fs_read_buf) X(fuse_fs_write) X(fuse_fs_write_buf)          \
	X(fuse_fs_fsync) X(fuse_fs_flush) X(fuse_fs_statfs)                \
	X(fuse_fs_opendir) X(fuse_fs_readdir) X(fuse_fs_fsyncdir)          \
	X(fuse_fs_releasedir) X(fuse_fs_create) X(fuse_fs_lock)            \
	X(fuse_fs_flock) X(fuse_fs_chmod) X(fuse_fs_chown)                 \
	X(fuse_fs_truncate) X(fuse_fs_utimens) X(fuse_fs_access)           \
	X(fuse_fs_readlink) X(fuse_fs_mknod) X(fuse_fs_mkdir)              \
	X(fuse_fs_setxattr) X(fuse_fs_getxattr) X(fuse_fs_listxattr)       \
	X(fuse_fs_removexattr) X(fuse_fs_bmap) X(fuse_fs_ioctl)            \
	X(fuse_fs_poll) X(fuse_fs_fallocate) X(fuse_fs_copy_file_range)    \
	X(fuse_fs_lseek) X(fuse_fs_statx) X(fuse_fs_init)                  \
	X(fuse_fs_destroy) X(fuse_notify_poll) X(fuse_fs_new)              \
	X(fuse_get_session) X(fuse_open_channel)                           \
	X(cuse_lowlevel_new) X(cuse_lowlevel_setup)                        \
	X(cuse_lowlevel_teardown) X(cuse_lowlevel_main)

/* void (*)(void) is the one function pointer type any other casts to
 * without a -Wcast-function-type warning. */
typedef void (*any_fn)(void);
#define AS_ENTRY(f) (any_fn)f,
static any_fn const api[] = { API_FUNCTIONS(AS_ENTRY) };

/* ---- constants ------------------------------------------------------- */

#define CONSTANTS(X)                                                       \
	X(FUSE_MAJOR_VERSION) X(FUSE_MINOR_VERSION) X(FUSE_HOTFIX_VERSION) \
	X(LIBFUSE_BUILT_WITH_VERSIONED_SYMBOLS) X(FUSE_VERSION)            \
	X(FUSE_MAKE_VERSION(3, 12)) X(FUSE_USE_VERSION)                    \
	X(FUSE_CAP_ASYNC_READ) X(FUSE_CAP_POSIX_LOCKS)                     \
	X(FUSE_CAP_ATOMIC_O_TRUNC) X(FUSE_CAP_EXPORT_SUPPORT)              \
	X(FUSE_CAP_DONT_MASK) X(FUSE_CAP_SPLICE_WRITE)                     \
	X(FUSE_CAP_SPLICE_MOVE) X(FUSE_CAP_SPLICE_READ)                    \
	X(FUSE_CAP_FLOCK_LOCKS) X(FUSE_CAP_IOCTL_DIR)                      \
	X(FUSE_CAP_AUTO_INVAL_DATA) X(FUSE_CAP_READDIRPLUS)                \
	X(FUSE_CAP_READDIRPLUS_AUTO) X(FUSE_CAP_ASYNC_DIO)                 \
	X(FUSE_CAP_WRITEBACK_CACHE) X(FUSE_CAP_NO_OPEN_SUPPORT)            \
	X(FUSE_CAP_PARALLEL_DIROPS) X(FUSE_CAP_POSIX_ACL)                  \
	X(FUSE_CAP_HANDLE_KILLPRIV) X(FUSE_CAP_HANDLE_KILLPRIV_V2)         \
	X(FUSE_CAP_CACHE_SYMLINKS) X(FUSE_CAP_NO_OPENDIR_SUPPORT)          \
	X(FUSE_CAP_EXPLICIT_INVAL_DATA) X(FUSE_CAP_EXPIRE_ONLY)            \
	X(FUSE_CAP_SETXATTR_EXT) X(FUSE_CAP_DIRECT_IO_ALLOW_MMAP)          \
	X(FUSE_CAP_PASSTHROUGH) X(FUSE_CAP_NO_EXPORT_SUPPORT)              \
	X(FUSE_CAP_OVER_IO_URING)                                          \
	X(FUSE_IOCTL_COMPAT) X(FUSE_IOCTL_UNRESTRICTED) X(FUSE_IOCTL_RETRY) \
	X(FUSE_IOCTL_DIR) X(FUSE_IOCTL_MAX_IOV)                            \
	X(FUSE_BACKING_STACKED_UNDER) X(FUSE_BACKING_STACKED_OVER)         \
	X(FUSE_BUF_IS_FD) X(FUSE_BUF_FD_SEEK) X(FUSE_BUF_FD_RETRY)         \
	X(FUSE_BUF_NO_SPLICE) X(FUSE_BUF_FORCE_SPLICE)                     \
	X(FUSE_BUF_SPLICE_MOVE) X(FUSE_BUF_SPLICE_NONBLOCK)                \
	X(FUSE_LOG_EMERG) X(FUSE_LOG_ALERT) X(FUSE_LOG_CRIT) X(FUSE_LOG_ERR) \
	X(FUSE_LOG_WARNING) X(FUSE_LOG_NOTICE) X(FUSE_LOG_INFO)            \
	X(FUSE_LOG_DEBUG)                                                  \
	X(FUSE_OPT_KEY_OPT) X(FUSE_OPT_KEY_NONOPT) X(FUSE_OPT_KEY_KEEP)    \
	X(FUSE_OPT_KEY_DISCARD)                                            \
	X(FUSE_ROOT_ID) X(FUSE_LL_INVALIDATE) X(FUSE_LL_EXPIRE_ONLY)       \
	X(FUSE_SET_ATTR_MODE) X(FUSE_SET_ATTR_UID) X(FUSE_SET_ATTR_GID)    \
	X(FUSE_SET_ATTR_SIZE) X(FUSE_SET_ATTR_ATIME) X(FUSE_SET_ATTR_MTIME) \
	X(FUSE_SET_ATTR_ATIME_NOW) X(FUSE_SET_ATTR_MTIME_NOW)              \
	X(FUSE_SET_ATTR_FORCE) X(FUSE_SET_ATTR_CTIME)                      \
	X(FUSE_SET_ATTR_KILL_SUID) X(FUSE_SET_ATTR_KILL_SGID)              \
	X(FUSE_SET_ATTR_FILE) X(FUSE_SET_ATTR_KILL_PRIV)                   \
	X(FUSE_SET_ATTR_OPEN) X(FUSE_SET_ATTR_TIMES_SET)                   \
	X(FUSE_SET_ATTR_TOUCH)                                             \
	X(FUSE_READDIR_DEFAULTS) X(FUSE_READDIR_PLUS)                      \
	X(FUSE_FILL_DIR_DEFAULTS) X(FUSE_FILL_DIR_PLUS)                    \
	X(CUSE_UNRESTRICTED_IOCTL)

#define PRINT_CONSTANT(c) \
	printf("const %s %s %lld\n", #c, TYPE(c), (long long)(c));

/* ---- C++ only: the types of functions, typedefs and struct members --- */

#ifdef __cplusplus
#define PRINT_FUNCTION(f) printf("fn %s %s\n", #f, typeid(f).name());
#define MEMBER(s, m) \
	printf("member %s.%s %s\n", #s, #m, typeid(decltype(((s *)0)->m)).name());
#define TYPEDEF(t) printf("typedef %s %s\n", #t, typeid(t).name());

static void print_types(void)
{
	API_FUNCTIONS(PRINT_FUNCTION)

	TYPEDEF(fuse_ino_t) TYPEDEF(fuse_req_t) TYPEDEF(fuse_opt_proc_t)
	TYPEDEF(fuse_log_func_t) TYPEDEF(fuse_interrupt_func_t)
	TYPEDEF(fuse_fill_dir_t) TYPEDEF(fuse_module_factory_t)
	TYPEDEF(fuse_module_probe_factory)

	MEMBER(struct fuse_lowlevel_ops, init) MEMBER(struct fuse_lowlevel_ops, destroy)
	MEMBER(struct fuse_lowlevel_ops, lookup) MEMBER(struct fuse_lowlevel_ops, forget)
	MEMBER(struct fuse_lowlevel_ops, getattr) MEMBER(struct fuse_lowlevel_ops, setattr)
	MEMBER(struct fuse_lowlevel_ops, readlink) MEMBER(struct fuse_lowlevel_ops, mknod)
	MEMBER(struct fuse_lowlevel_ops, mkdir) MEMBER(struct fuse_lowlevel_ops, unlink)
	MEMBER(struct fuse_lowlevel_ops, rmdir) MEMBER(struct fuse_lowlevel_ops, symlink)
	MEMBER(struct fuse_lowlevel_ops, rename) MEMBER(struct fuse_lowlevel_ops, link)
	MEMBER(struct fuse_lowlevel_ops, open) MEMBER(struct fuse_lowlevel_ops, read)
	MEMBER(struct fuse_lowlevel_ops, write) MEMBER(struct fuse_lowlevel_ops, flush)
	MEMBER(struct fuse_lowlevel_ops, release) MEMBER(struct fuse_lowlevel_ops, fsync)
	MEMBER(struct fuse_lowlevel_ops, opendir) MEMBER(struct fuse_lowlevel_ops, readdir)
	MEMBER(struct fuse_lowlevel_ops, releasedir)
	MEMBER(struct fuse_lowlevel_ops, fsyncdir) MEMBER(struct fuse_lowlevel_ops, statfs)
	MEMBER(struct fuse_lowlevel_ops, setxattr)
	MEMBER(struct fuse_lowlevel_ops, getxattr)
	MEMBER(struct fuse_lowlevel_ops, listxattr)
	MEMBER(struct fuse_lowlevel_ops, removexattr)
	MEMBER(struct fuse_lowlevel_ops, access) MEMBER(struct fuse_lowlevel_ops, create)
	MEMBER(struct fuse_lowlevel_ops, getlk) MEMBER(struct fuse_lowlevel_ops, setlk)
	MEMBER(struct fuse_lowlevel_ops, bmap) MEMBER(struct fuse_lowlevel_ops, ioctl)
	MEMBER(struct fuse_lowlevel_ops, poll) MEMBER(struct fuse_lowlevel_ops, write_buf)
	MEMBER(struct fuse_lowlevel_ops, retrieve_reply)
	MEMBER(struct fuse_lowlevel_ops, forget_multi)
	MEMBER(struct fuse_lowlevel_ops, flock)
	MEMBER(struct fuse_lowlevel_ops, fallocate)
	MEMBER(struct fuse_lowlevel_ops, readdirplus)
	MEMBER(struct fuse_lowlevel_ops, copy_file_range)
	MEMBER(struct fuse_lowlevel_ops, lseek) MEMBER(struct fuse_lowlevel_ops, tmpfile)
	MEMBER(struct fuse_lowlevel_ops, statx)

	MEMBER(struct fuse_operations, getattr) MEMBER(struct fuse_operations, readlink)
	MEMBER(struct fuse_operations, mknod) MEMBER(struct fuse_operations, mkdir)
	MEMBER(struct fuse_operations, unlink) MEMBER(struct fuse_operations, rmdir)
	MEMBER(struct fuse_operations, symlink) MEMBER(struct fuse_operations, rename)
	MEMBER(struct fuse_operations, link) MEMBER(struct fuse_operations, chmod)
	MEMBER(struct fuse_operations, chown) MEMBER(struct fuse_operations, truncate)
	MEMBER(struct fuse_operations, open) MEMBER(struct fuse_operations, read)
	MEMBER(struct fuse_operations, write) MEMBER(struct fuse_operations, statfs)
	MEMBER(struct fuse_operations, flush) MEMBER(struct fuse_operations, release)
	MEMBER(struct fuse_operations, fsync) MEMBER(struct fuse_operations, setxattr)
	MEMBER(struct fuse_operations, getxattr) MEMBER(struct fuse_operations, listxattr)
	MEMBER(struct fuse_operations, removexattr)
	MEMBER(struct fuse_operations, opendir) MEMBER(struct fuse_operations, readdir)
	MEMBER(struct fuse_operations, releasedir)
	MEMBER(struct fuse_operations, fsyncdir) MEMBER(struct fuse_operations, init)
	MEMBER(struct fuse_operations, destroy) MEMBER(struct fuse_operations, access)
	MEMBER(struct fuse_operations, create) MEMBER(struct fuse_operations, lock)
	MEMBER(struct fuse_operations, utimens) MEMBER(struct fuse_operations, bmap)
	MEMBER(struct fuse_operations, ioctl) MEMBER(struct fuse_operations, poll)
	MEMBER(struct fuse_operations, write_buf) MEMBER(struct fuse_operations, read_buf)
	MEMBER(struct fuse_operations, flock) MEMBER(struct fuse_operations, fallocate)
	MEMBER(struct fuse_operations, copy_file_range)
	MEMBER(struct fuse_operations, lseek) MEMBER(struct fuse_operations, statx)

	MEMBER(struct cuse_lowlevel_ops, init) MEMBER(struct cuse_lowlevel_ops, init_done)
	MEMBER(struct cuse_lowlevel_ops, destroy) MEMBER(struct cuse_lowlevel_ops, open)
	MEMBER(struct cuse_lowlevel_ops, read) MEMBER(struct cuse_lowlevel_ops, write)
	MEMBER(struct cuse_lowlevel_ops, flush) MEMBER(struct cuse_lowlevel_ops, release)
	MEMBER(struct cuse_lowlevel_ops, fsync) MEMBER(struct cuse_lowlevel_ops, ioctl)
	MEMBER(struct cuse_lowlevel_ops, poll)

	MEMBER(struct fuse_file_info, flags) MEMBER(struct fuse_file_info, writepage)
	MEMBER(struct fuse_file_info, direct_io) MEMBER(struct fuse_file_info, keep_cache)
	MEMBER(struct fuse_file_info, flush) MEMBER(struct fuse_file_info, nonseekable)
	MEMBER(struct fuse_file_info, flock_release)
	MEMBER(struct fuse_file_info, cache_readdir)
	MEMBER(struct fuse_file_info, noflush)
	MEMBER(struct fuse_file_info, parallel_direct_writes)
	MEMBER(struct fuse_file_info, kill_suidgid) MEMBER(struct fuse_file_info, padding)
	MEMBER(struct fuse_file_info, padding2) MEMBER(struct fuse_file_info, padding3)
	MEMBER(struct fuse_file_info, fh) MEMBER(struct fuse_file_info, lock_owner)
	MEMBER(struct fuse_file_info, poll_events)
	MEMBER(struct fuse_file_info, backing_id)
	MEMBER(struct fuse_file_info, compat_flags)
	MEMBER(struct fuse_file_info, reserved)

	MEMBER(struct fuse_conn_info, proto_major) MEMBER(struct fuse_conn_info, proto_minor)
	MEMBER(struct fuse_conn_info, max_write) MEMBER(struct fuse_conn_info, max_read)
	MEMBER(struct fuse_conn_info, max_readahead) MEMBER(struct fuse_conn_info, capable)
	MEMBER(struct fuse_conn_info, want) MEMBER(struct fuse_conn_info, max_background)
	MEMBER(struct fuse_conn_info, congestion_threshold)
	MEMBER(struct fuse_conn_info, time_gran)
	MEMBER(struct fuse_conn_info, max_backing_stack_depth)
	MEMBER(struct fuse_conn_info, no_interrupt) MEMBER(struct fuse_conn_info, padding)
	MEMBER(struct fuse_conn_info, capable_ext) MEMBER(struct fuse_conn_info, want_ext)
	MEMBER(struct fuse_conn_info, request_timeout)
	MEMBER(struct fuse_conn_info, reserved)

	MEMBER(struct fuse_config, set_gid) MEMBER(struct fuse_config, gid)
	MEMBER(struct fuse_config, set_uid) MEMBER(struct fuse_config, uid)
	MEMBER(struct fuse_config, set_mode) MEMBER(struct fuse_config, umask)
	MEMBER(struct fuse_config, entry_timeout)
	MEMBER(struct fuse_config, negative_timeout)
	MEMBER(struct fuse_config, attr_timeout) MEMBER(struct fuse_config, intr)
	MEMBER(struct fuse_config, intr_signal) MEMBER(struct fuse_config, remember)
	MEMBER(struct fuse_config, hard_remove) MEMBER(struct fuse_config, use_ino)
	MEMBER(struct fuse_config, readdir_ino) MEMBER(struct fuse_config, direct_io)
	MEMBER(struct fuse_config, kernel_cache) MEMBER(struct fuse_config, auto_cache)
	MEMBER(struct fuse_config, ac_attr_timeout_set)
	MEMBER(struct fuse_config, ac_attr_timeout)
	MEMBER(struct fuse_config, nullpath_ok) MEMBER(struct fuse_config, show_help)
	MEMBER(struct fuse_config, modules) MEMBER(struct fuse_config, debug)
	MEMBER(struct fuse_config, fmask) MEMBER(struct fuse_config, dmask)
	MEMBER(struct fuse_config, no_rofd_flush)
	MEMBER(struct fuse_config, parallel_direct_writes)
	MEMBER(struct fuse_config, flags) MEMBER(struct fuse_config, reserved)

#if FUSE_USE_VERSION < FUSE_MAKE_VERSION(3, 12)
	MEMBER(struct fuse_loop_config, clone_fd)
	MEMBER(struct fuse_loop_config, max_idle_threads)
#else
	MEMBER(struct fuse_loop_config_v1, clone_fd)
	MEMBER(struct fuse_loop_config_v1, max_idle_threads)
#endif
	MEMBER(struct fuse_buf, size) MEMBER(struct fuse_buf, flags)
	MEMBER(struct fuse_buf, mem) MEMBER(struct fuse_buf, fd)
	MEMBER(struct fuse_buf, pos) MEMBER(struct fuse_buf, mem_size)
	MEMBER(struct fuse_bufvec, count) MEMBER(struct fuse_bufvec, idx)
	MEMBER(struct fuse_bufvec, off) MEMBER(struct fuse_bufvec, buf)
	MEMBER(struct libfuse_version, major) MEMBER(struct libfuse_version, minor)
	MEMBER(struct libfuse_version, hotfix) MEMBER(struct libfuse_version, padding)
	MEMBER(struct fuse_args, argc) MEMBER(struct fuse_args, argv)
	MEMBER(struct fuse_args, allocated)
	MEMBER(struct fuse_opt, templ) MEMBER(struct fuse_opt, offset)
	MEMBER(struct fuse_opt, value)
	MEMBER(struct fuse_entry_param, ino) MEMBER(struct fuse_entry_param, generation)
	MEMBER(struct fuse_entry_param, attr)
	MEMBER(struct fuse_entry_param, attr_timeout)
	MEMBER(struct fuse_entry_param, entry_timeout)
	MEMBER(struct fuse_ctx, uid) MEMBER(struct fuse_ctx, gid)
	MEMBER(struct fuse_ctx, pid) MEMBER(struct fuse_ctx, umask)
	MEMBER(struct fuse_forget_data, ino) MEMBER(struct fuse_forget_data, nlookup)
	MEMBER(struct fuse_custom_io, writev) MEMBER(struct fuse_custom_io, read)
	MEMBER(struct fuse_custom_io, splice_receive)
	MEMBER(struct fuse_custom_io, splice_send)
	MEMBER(struct fuse_custom_io, clone_fd)
	MEMBER(struct fuse_cmdline_opts, singlethread)
	MEMBER(struct fuse_cmdline_opts, foreground)
	MEMBER(struct fuse_cmdline_opts, debug)
	MEMBER(struct fuse_cmdline_opts, nodefault_subtype)
	MEMBER(struct fuse_cmdline_opts, mountpoint)
	MEMBER(struct fuse_cmdline_opts, show_version)
	MEMBER(struct fuse_cmdline_opts, show_help)
	MEMBER(struct fuse_cmdline_opts, clone_fd)
	MEMBER(struct fuse_cmdline_opts, max_idle_threads)
	MEMBER(struct fuse_cmdline_opts, max_threads)
	MEMBER(struct fuse_context, fuse) MEMBER(struct fuse_context, uid)
	MEMBER(struct fuse_context, gid) MEMBER(struct fuse_context, pid)
	MEMBER(struct fuse_context, private_data) MEMBER(struct fuse_context, umask)
	MEMBER(struct cuse_info, dev_major) MEMBER(struct cuse_info, dev_minor)
	MEMBER(struct cuse_info, dev_info_argc)
	MEMBER(struct cuse_info, dev_info_argv) MEMBER(struct cuse_info, flags)
}
#endif

#endif /* !EXERCISE_ONLY */

int main(int argc, char *argv[])
{
#ifdef EXERCISE_ONLY
	/* Never true: exercise() is here to be compiled and linked. */
	if (argc > 1000)
		return exercise(argc, argv);
	return 0;
#else
	struct fuse_bufvec bv = FUSE_BUFVEC_INIT(4096);
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_opt opts[] = {
		FUSE_OPT_KEY("-k", 7),
		FUSE_OPT_END
	};

	/* Never true: exercise() is here to be compiled and linked. */
	if (argc > 1000)
		return exercise(argc, argv) + (api[argc - 1000] != NULL);

	printf("functions %zu\n", sizeof(api) / sizeof(api[0]));
	CONSTANTS(PRINT_CONSTANT)
	printf("FUSE_RC_VERSION [%s]\n", STR(FUSE_RC_VERSION));
	printf("FUSE_BUFVEC_INIT %zu %zu %zu %zu %d %d %d %lld %zu\n",
	       bv.count, bv.idx, bv.off, bv.buf[0].size, (int)bv.buf[0].flags,
	       bv.buf[0].mem == NULL, bv.buf[0].fd, (long long)bv.buf[0].pos,
	       bv.buf[0].mem_size);
	printf("FUSE_ARGS_INIT %d %d %d\n", args.argc, args.argv == NULL,
	       args.allocated);
	printf("FUSE_OPT_KEY %s %lu %d\n", opts[0].templ, opts[0].offset,
	       opts[0].value);
	printf("FUSE_OPT_END %d %lu %d\n", opts[1].templ == NULL,
	       opts[1].offset, opts[1].value);
	printf("module %d\n", fuse_module_probe_factory == probe_factory);
#ifdef __cplusplus
	print_types();
#endif
	return 0;
#endif
}
