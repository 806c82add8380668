/*
 * ferrofuse: option parsing (libfuse's fuse_opt API).
 *
 * Declarations of the functions and of struct fuse_opt / struct fuse_args
 * are generated from the Rust sources (generated/fuse_opt.h); this file adds
 * the macros C code uses with them.
 */
#ifndef FUSE_OPT_H_
#define FUSE_OPT_H_

#include <stddef.h>

#include "generated/fuse_opt.h"

/*
 * An option template matches an argument exactly ("-f", "debug"), by prefix
 * ("--name="), or with a scanf-like conversion ("max_read=%u", "name=%s").
 * On a match, value is stored at the offset into the data struct, or, for a
 * template made with FUSE_OPT_KEY, the key is passed to the processing
 * function instead.
 */

/* A template whose matches go to the processing function with this key. */
#define FUSE_OPT_KEY(templ, key) { templ, -1U, key }

/* Terminates an option table. */
#define FUSE_OPT_END { NULL, 0, 0 }

/* An empty argument list, or one over argv that fuse_opt_* will copy on change. */
#define FUSE_ARGS_INIT(argc, argv) { argc, argv, 0 }

/* Keys handed to the processing function. */
#define FUSE_OPT_KEY_OPT     -1 /* an option that matched no template */
#define FUSE_OPT_KEY_NONOPT  -2 /* an argument that is not an option */
#define FUSE_OPT_KEY_KEEP    -3 /* keep the argument, do not call the function */
#define FUSE_OPT_KEY_DISCARD -4 /* drop the argument, do not call the function */

#endif /* FUSE_OPT_H_ */
