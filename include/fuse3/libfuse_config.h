/*
 * ferrofuse: which libfuse release these headers stand for.
 *
 * libfuse generates this file at build time; ferrofuse provides the API and
 * ABI of libfuse 3.18.3, with libfuse's symbol versions.
 */
#pragma once

#define FUSE_MAJOR_VERSION 3
#define FUSE_MINOR_VERSION 18
#define FUSE_HOTFIX_VERSION 3
/* Empty: this is a final release, not a release candidate. */
#define FUSE_RC_VERSION

/* The library exports versioned symbols (fuse_session_loop_mt@FUSE_3.12...),
 * so fuse_lowlevel.h and fuse.h declare the plain names. */
#define LIBFUSE_BUILT_WITH_VERSIONED_SYMBOLS 1
