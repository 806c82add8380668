/*
 * ferrofuse: CUSE, character devices implemented in userspace (libfuse's
 * cuse_lowlevel.h).
 *
 * A CUSE server describes its device in struct cuse_info and serves it with
 * the low-level request and reply API, minus inode numbers.
 *
 * struct cuse_info and the functions are generated from the Rust sources
 * (generated/cuse_lowlevel.h); the operations table is written here.
 */
#ifndef CUSE_LOWLEVEL_H_
#define CUSE_LOWLEVEL_H_

/* Without a FUSE_USE_VERSION of its own, a CUSE program is refused by
 * fuse_common.h (29 is older than the oldest supported API, 30). */
#ifndef FUSE_USE_VERSION
#define FUSE_USE_VERSION 29
#endif

#include "fuse_lowlevel.h"

#include <fcntl.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* cuse_info.flags: serve ioctls in unrestricted mode */
#define CUSE_UNRESTRICTED_IOCTL		(1 << 0)

struct fuse_session;
struct cuse_lowlevel_ops;

#include "generated/cuse_lowlevel.h"

/*
 * The operations of a CUSE device: the low-level ones without the inode
 * argument. init_done runs once the device exists; read and write are
 * always direct I/O and may run concurrently.
 */
struct cuse_lowlevel_ops {
	void (*init) (void *userdata, struct fuse_conn_info *conn);
	void (*init_done) (void *userdata);
	void (*destroy) (void *userdata);
	void (*open) (fuse_req_t req, struct fuse_file_info *fi);
	void (*read) (fuse_req_t req, size_t size, off_t off,
		      struct fuse_file_info *fi);
	void (*write) (fuse_req_t req, const char *buf, size_t size, off_t off,
		       struct fuse_file_info *fi);
	void (*flush) (fuse_req_t req, struct fuse_file_info *fi);
	void (*release) (fuse_req_t req, struct fuse_file_info *fi);
	void (*fsync) (fuse_req_t req, int datasync, struct fuse_file_info *fi);
	/* cmd stays an int at every API version here */
	void (*ioctl) (fuse_req_t req, int cmd, void *arg,
		       struct fuse_file_info *fi, unsigned int flags,
		       const void *in_buf, size_t in_bufsz, size_t out_bufsz);
	void (*poll) (fuse_req_t req, struct fuse_file_info *fi,
		      struct fuse_pollhandle *ph);
};

#ifdef __cplusplus
}
#endif

#endif /* CUSE_LOWLEVEL_H_ */
