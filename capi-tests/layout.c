/*
 * Layout probe for the public structs of fuse.h, fuse_lowlevel.h and
 * cuse_lowlevel.h (libfuse-abi.md section 2), compiled against any set of
 * libfuse-compatible headers with -DFUSE_USE_VERSION=N.
 *
 * Prints one line per fact:
 *   "<struct> <sizeof>"
 *   "<struct>.<field> <offsetof>"
 *   "<struct>.<field> bit <first bit from the struct's start> <width>"
 *     (bit-fields; bits count from the lowest address, LSB first)
 * tests/layout.rs compares the lines with the Rust mirrors and libfuse.
 */
#include <fuse.h>
#include <fuse_lowlevel.h>
#include <cuse_lowlevel.h>

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define SIZE(T) printf("%s %zu\n", #T, sizeof(struct T))
#define OFF(T, F) printf("%s.%s %zu\n", #T, #F, offsetof(struct T, F))

/* Sets every bit of one bit-field in an all-zero struct and reports where
 * the bits landed. */
#define BITS(T, F)                                                  \
	do {                                                        \
		struct T s_;                                        \
		memset(&s_, 0, sizeof(s_));                         \
		s_.F = 0;                                           \
		s_.F -= 1;                                          \
		print_bits(#T "." #F, &s_, sizeof(s_));             \
	} while (0)

static void print_bits(const char *name, const void *p, size_t size)
{
	const unsigned char *b = p;
	size_t first = (size_t)-1, count = 0, i;

	for (i = 0; i < size * 8; i++) {
		if (b[i / 8] & (1u << (i % 8))) {
			if (first == (size_t)-1)
				first = i;
			count++;
		}
	}
	printf("%s bit %zu %zu\n", name, first, count);
}

/* The headers' own version: 3.17+ have the new layouts. */
#if FUSE_VERSION >= FUSE_MAKE_VERSION(3, 17)
#define NEW_LAYOUT 1
#else
#define NEW_LAYOUT 0
#endif

/* The public two-field loop config's name at this FUSE_USE_VERSION. */
#if FUSE_USE_VERSION < FUSE_MAKE_VERSION(3, 12)
#define LOOP_CONFIG_V1 fuse_loop_config
#else
#define LOOP_CONFIG_V1 fuse_loop_config_v1
#endif

static void file_info(void)
{
	SIZE(fuse_file_info);
	OFF(fuse_file_info, flags);
	BITS(fuse_file_info, writepage);
	BITS(fuse_file_info, direct_io);
	BITS(fuse_file_info, keep_cache);
	BITS(fuse_file_info, flush);
	BITS(fuse_file_info, nonseekable);
	BITS(fuse_file_info, flock_release);
	BITS(fuse_file_info, cache_readdir);
	BITS(fuse_file_info, noflush);
#if NEW_LAYOUT
	BITS(fuse_file_info, parallel_direct_writes);
	BITS(fuse_file_info, kill_suidgid);
#endif
	BITS(fuse_file_info, padding);
	BITS(fuse_file_info, padding2);
#if NEW_LAYOUT
	BITS(fuse_file_info, padding3);
#endif
	OFF(fuse_file_info, fh);
	OFF(fuse_file_info, lock_owner);
	OFF(fuse_file_info, poll_events);
#if NEW_LAYOUT
	OFF(fuse_file_info, backing_id);
	OFF(fuse_file_info, compat_flags);
	OFF(fuse_file_info, reserved);
#endif
}

static void conn_info(void)
{
	SIZE(fuse_conn_info);
	OFF(fuse_conn_info, proto_major);
	OFF(fuse_conn_info, proto_minor);
	OFF(fuse_conn_info, max_write);
	OFF(fuse_conn_info, max_read);
	OFF(fuse_conn_info, max_readahead);
	OFF(fuse_conn_info, capable);
	OFF(fuse_conn_info, want);
	OFF(fuse_conn_info, max_background);
	OFF(fuse_conn_info, congestion_threshold);
	OFF(fuse_conn_info, time_gran);
#if NEW_LAYOUT
	OFF(fuse_conn_info, max_backing_stack_depth);
	BITS(fuse_conn_info, no_interrupt);
	BITS(fuse_conn_info, padding);
	OFF(fuse_conn_info, capable_ext);
	OFF(fuse_conn_info, want_ext);
	OFF(fuse_conn_info, request_timeout);
#endif
	OFF(fuse_conn_info, reserved);
}

static void lowlevel_ops(void)
{
	SIZE(fuse_lowlevel_ops);
	OFF(fuse_lowlevel_ops, init);
	OFF(fuse_lowlevel_ops, destroy);
	OFF(fuse_lowlevel_ops, lookup);
	OFF(fuse_lowlevel_ops, forget);
	OFF(fuse_lowlevel_ops, getattr);
	OFF(fuse_lowlevel_ops, setattr);
	OFF(fuse_lowlevel_ops, readlink);
	OFF(fuse_lowlevel_ops, mknod);
	OFF(fuse_lowlevel_ops, mkdir);
	OFF(fuse_lowlevel_ops, unlink);
	OFF(fuse_lowlevel_ops, rmdir);
	OFF(fuse_lowlevel_ops, symlink);
	OFF(fuse_lowlevel_ops, rename);
	OFF(fuse_lowlevel_ops, link);
	OFF(fuse_lowlevel_ops, open);
	OFF(fuse_lowlevel_ops, read);
	OFF(fuse_lowlevel_ops, write);
	OFF(fuse_lowlevel_ops, flush);
	OFF(fuse_lowlevel_ops, release);
	OFF(fuse_lowlevel_ops, fsync);
	OFF(fuse_lowlevel_ops, opendir);
	OFF(fuse_lowlevel_ops, readdir);
	OFF(fuse_lowlevel_ops, releasedir);
	OFF(fuse_lowlevel_ops, fsyncdir);
	OFF(fuse_lowlevel_ops, statfs);
	OFF(fuse_lowlevel_ops, setxattr);
	OFF(fuse_lowlevel_ops, getxattr);
	OFF(fuse_lowlevel_ops, listxattr);
	OFF(fuse_lowlevel_ops, removexattr);
	OFF(fuse_lowlevel_ops, access);
	OFF(fuse_lowlevel_ops, create);
	OFF(fuse_lowlevel_ops, getlk);
	OFF(fuse_lowlevel_ops, setlk);
	OFF(fuse_lowlevel_ops, bmap);
	OFF(fuse_lowlevel_ops, ioctl);
	OFF(fuse_lowlevel_ops, poll);
	OFF(fuse_lowlevel_ops, write_buf);
	OFF(fuse_lowlevel_ops, retrieve_reply);
	OFF(fuse_lowlevel_ops, forget_multi);
	OFF(fuse_lowlevel_ops, flock);
	OFF(fuse_lowlevel_ops, fallocate);
	OFF(fuse_lowlevel_ops, readdirplus);
	OFF(fuse_lowlevel_ops, copy_file_range);
	OFF(fuse_lowlevel_ops, lseek);
#if NEW_LAYOUT
	OFF(fuse_lowlevel_ops, tmpfile);
	OFF(fuse_lowlevel_ops, statx);
#endif
}

static void operations(void)
{
	SIZE(fuse_operations);
	OFF(fuse_operations, getattr);
	OFF(fuse_operations, readlink);
	OFF(fuse_operations, mknod);
	OFF(fuse_operations, mkdir);
	OFF(fuse_operations, unlink);
	OFF(fuse_operations, rmdir);
	OFF(fuse_operations, symlink);
	OFF(fuse_operations, rename);
	OFF(fuse_operations, link);
	OFF(fuse_operations, chmod);
	OFF(fuse_operations, chown);
	OFF(fuse_operations, truncate);
	OFF(fuse_operations, open);
	OFF(fuse_operations, read);
	OFF(fuse_operations, write);
	OFF(fuse_operations, statfs);
	OFF(fuse_operations, flush);
	OFF(fuse_operations, release);
	OFF(fuse_operations, fsync);
	OFF(fuse_operations, setxattr);
	OFF(fuse_operations, getxattr);
	OFF(fuse_operations, listxattr);
	OFF(fuse_operations, removexattr);
	OFF(fuse_operations, opendir);
	OFF(fuse_operations, readdir);
	OFF(fuse_operations, releasedir);
	OFF(fuse_operations, fsyncdir);
	OFF(fuse_operations, init);
	OFF(fuse_operations, destroy);
	OFF(fuse_operations, access);
	OFF(fuse_operations, create);
	OFF(fuse_operations, lock);
	OFF(fuse_operations, utimens);
	OFF(fuse_operations, bmap);
	OFF(fuse_operations, ioctl);
	OFF(fuse_operations, poll);
	OFF(fuse_operations, write_buf);
	OFF(fuse_operations, read_buf);
	OFF(fuse_operations, flock);
	OFF(fuse_operations, fallocate);
	OFF(fuse_operations, copy_file_range);
	OFF(fuse_operations, lseek);
#if NEW_LAYOUT
	OFF(fuse_operations, statx);
#endif
}

static void cuse_ops(void)
{
	SIZE(cuse_lowlevel_ops);
	OFF(cuse_lowlevel_ops, init);
	OFF(cuse_lowlevel_ops, init_done);
	OFF(cuse_lowlevel_ops, destroy);
	OFF(cuse_lowlevel_ops, open);
	OFF(cuse_lowlevel_ops, read);
	OFF(cuse_lowlevel_ops, write);
	OFF(cuse_lowlevel_ops, flush);
	OFF(cuse_lowlevel_ops, release);
	OFF(cuse_lowlevel_ops, fsync);
	OFF(cuse_lowlevel_ops, ioctl);
	OFF(cuse_lowlevel_ops, poll);
}

static void config(void)
{
	SIZE(fuse_config);
	OFF(fuse_config, set_gid);
	OFF(fuse_config, gid);
	OFF(fuse_config, set_uid);
	OFF(fuse_config, uid);
	OFF(fuse_config, set_mode);
	OFF(fuse_config, umask);
	OFF(fuse_config, entry_timeout);
	OFF(fuse_config, negative_timeout);
	OFF(fuse_config, attr_timeout);
	OFF(fuse_config, intr);
	OFF(fuse_config, intr_signal);
	OFF(fuse_config, remember);
	OFF(fuse_config, hard_remove);
	OFF(fuse_config, use_ino);
	OFF(fuse_config, readdir_ino);
	OFF(fuse_config, direct_io);
	OFF(fuse_config, kernel_cache);
	OFF(fuse_config, auto_cache);
	OFF(fuse_config, no_rofd_flush);
	OFF(fuse_config, ac_attr_timeout_set);
	OFF(fuse_config, ac_attr_timeout);
	OFF(fuse_config, nullpath_ok);
	OFF(fuse_config, show_help);
	OFF(fuse_config, modules);
	OFF(fuse_config, debug);
#if NEW_LAYOUT
	OFF(fuse_config, fmask);
	OFF(fuse_config, dmask);
	OFF(fuse_config, parallel_direct_writes);
	OFF(fuse_config, flags);
	OFF(fuse_config, reserved);
#endif
}

static void small_structs(void)
{
	SIZE(fuse_entry_param);
	OFF(fuse_entry_param, ino);
	OFF(fuse_entry_param, generation);
	OFF(fuse_entry_param, attr);
	OFF(fuse_entry_param, attr_timeout);
	OFF(fuse_entry_param, entry_timeout);

	SIZE(fuse_ctx);
	OFF(fuse_ctx, uid);
	OFF(fuse_ctx, gid);
	OFF(fuse_ctx, pid);
	OFF(fuse_ctx, umask);

	SIZE(fuse_context);
	OFF(fuse_context, fuse);
	OFF(fuse_context, uid);
	OFF(fuse_context, gid);
	OFF(fuse_context, pid);
	OFF(fuse_context, private_data);
	OFF(fuse_context, umask);

	SIZE(fuse_buf);
	OFF(fuse_buf, size);
	OFF(fuse_buf, flags);
	OFF(fuse_buf, mem);
	OFF(fuse_buf, fd);
	OFF(fuse_buf, pos);
#if NEW_LAYOUT
	OFF(fuse_buf, mem_size);
#endif

	SIZE(fuse_bufvec);
	OFF(fuse_bufvec, count);
	OFF(fuse_bufvec, idx);
	OFF(fuse_bufvec, off);
	OFF(fuse_bufvec, buf);

	SIZE(fuse_args);
	OFF(fuse_args, argc);
	OFF(fuse_args, argv);
	OFF(fuse_args, allocated);

	SIZE(fuse_opt);
	OFF(fuse_opt, templ);
	OFF(fuse_opt, offset);
	OFF(fuse_opt, value);

	SIZE(fuse_cmdline_opts);
	OFF(fuse_cmdline_opts, singlethread);
	OFF(fuse_cmdline_opts, foreground);
	OFF(fuse_cmdline_opts, debug);
	OFF(fuse_cmdline_opts, nodefault_subtype);
	OFF(fuse_cmdline_opts, mountpoint);
	OFF(fuse_cmdline_opts, show_version);
	OFF(fuse_cmdline_opts, show_help);
	OFF(fuse_cmdline_opts, clone_fd);
	OFF(fuse_cmdline_opts, max_idle_threads);
	OFF(fuse_cmdline_opts, max_threads);

	/* printed under one name whatever this version calls it */
	printf("fuse_loop_config_v1 %zu\n", sizeof(struct LOOP_CONFIG_V1));
	printf("fuse_loop_config_v1.clone_fd %zu\n",
	       offsetof(struct LOOP_CONFIG_V1, clone_fd));
	printf("fuse_loop_config_v1.max_idle_threads %zu\n",
	       offsetof(struct LOOP_CONFIG_V1, max_idle_threads));

	SIZE(fuse_custom_io);
	OFF(fuse_custom_io, writev);
	OFF(fuse_custom_io, read);
	OFF(fuse_custom_io, splice_receive);
	OFF(fuse_custom_io, splice_send);
#if NEW_LAYOUT
	OFF(fuse_custom_io, clone_fd);

	SIZE(libfuse_version);
	OFF(libfuse_version, major);
	OFF(libfuse_version, minor);
	OFF(libfuse_version, hotfix);
	OFF(libfuse_version, padding);
#endif

	SIZE(fuse_forget_data);
	OFF(fuse_forget_data, ino);
	OFF(fuse_forget_data, nlookup);

	SIZE(cuse_info);
	OFF(cuse_info, dev_major);
	OFF(cuse_info, dev_minor);
	OFF(cuse_info, dev_info_argc);
	OFF(cuse_info, dev_info_argv);
	OFF(cuse_info, flags);
}

int main(void)
{
	file_info();
	conn_info();
	lowlevel_ops();
	operations();
	cuse_ops();
	config();
	small_structs();
	return 0;
}
