# ferrofuse: build, install and test.
#
#   make                 build the library into build/lib (libfuse3.so.3 and
#                        libfuse3.so.4) with build/pkgconfig/fuse3.pc for
#                        building against the tree without installing
#   make install         install library, links, headers and fuse3.pc under
#                        PREFIX (default /usr/local), then run ldconfig
#   make uninstall       remove what install put there
#   make demo            the README's main command: build, then run one of
#                        libfuse's own examples on ferrofuse
#   make test            everything the README's test command runs
#   make bench-quick     benchmark ferrofuse against libfuse 3.14/3.18 and the
#                        native directory, quick mode (< 3 min; as root)
#   make bench           the same, full mode (< 30 min on 2 cores)

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR ?=
CARGO ?= cargo
# The libfuse release whose API and ABI ferrofuse provides.
FUSE_VERSION = 3.18.3
REAL = libfuse3.so.$(FUSE_VERSION)
TOP := $(CURDIR)
# What `lib` stages and `install` installs (tests point these elsewhere).
LIBSO ?= target/release/libfuse3.so
BUILDDIR ?= build

.PHONY: all lib install uninstall test demo clean bench bench-quick

all: lib

lib:
	$(CARGO) build --release
	mkdir -p $(BUILDDIR)/lib $(BUILDDIR)/pkgconfig
	cp -f $(LIBSO) $(BUILDDIR)/lib/$(REAL)
	ln -sf $(REAL) $(BUILDDIR)/lib/libfuse3.so.3
	ln -sf $(REAL) $(BUILDDIR)/lib/libfuse3.so.4
	ln -sf $(REAL) $(BUILDDIR)/lib/libfuse3.so
	sed -e 's|@prefix@|$(TOP)|' -e 's|@includedir@|$(TOP)/include|' \
	    -e 's|@libdir@|$(abspath $(BUILDDIR))/lib|' -e 's|@version@|$(FUSE_VERSION)|' \
	    pkgconfig/fuse3.pc.in > $(BUILDDIR)/pkgconfig/fuse3-uninstalled.pc
	cp -f $(BUILDDIR)/pkgconfig/fuse3-uninstalled.pc $(BUILDDIR)/pkgconfig/fuse3.pc

install: lib
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR)/fuse3/generated $(DESTDIR)$(PKGCONFIGDIR)
	install -m 755 $(BUILDDIR)/lib/$(REAL) $(DESTDIR)$(LIBDIR)/$(REAL)
	ln -sf $(REAL) $(DESTDIR)$(LIBDIR)/libfuse3.so.3
	ln -sf $(REAL) $(DESTDIR)$(LIBDIR)/libfuse3.so.4
	ln -sf $(REAL) $(DESTDIR)$(LIBDIR)/libfuse3.so
	install -m 644 include/fuse3/*.h $(DESTDIR)$(INCLUDEDIR)/fuse3/
	install -m 644 include/fuse3/generated/*.h $(DESTDIR)$(INCLUDEDIR)/fuse3/generated/
	sed -e 's|@prefix@|$(PREFIX)|' -e 's|@includedir@|$(INCLUDEDIR)|' \
	    -e 's|@libdir@|$(LIBDIR)|' -e 's|@version@|$(FUSE_VERSION)|' \
	    pkgconfig/fuse3.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/fuse3.pc
	if [ -z "$(DESTDIR)" ]; then ldconfig; fi

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/$(REAL) $(DESTDIR)$(LIBDIR)/libfuse3.so.3 \
	      $(DESTDIR)$(LIBDIR)/libfuse3.so.4 $(DESTDIR)$(LIBDIR)/libfuse3.so \
	      $(DESTDIR)$(PKGCONFIGDIR)/fuse3.pc
	rm -rf $(DESTDIR)$(INCLUDEDIR)/fuse3
	if [ -z "$(DESTDIR)" ]; then ldconfig; fi

demo:
	./tools/demo.sh

test:
	./tools/test.sh

bench: lib
	/usr/bin/python3 benches/run.py --mode full $(BENCH_ARGS)

bench-quick: lib
	/usr/bin/python3 benches/run.py --mode quick $(BENCH_ARGS)

clean:
	$(CARGO) clean
	rm -rf $(BUILDDIR)
