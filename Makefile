# collectd-taskstats: plain make, Debian-friendly (CFLAGS/LDFLAGS/CPPFLAGS from
# the environment are kept; flags the build needs go into ALL_CFLAGS).
CC         ?= cc
CFLAGS     ?= -O2 -g
PKG_CONFIG ?= pkg-config
PREFIX     ?= /usr
BINDIR     ?= $(PREFIX)/bin
PLUGINDIR  ?= $(PREFIX)/lib/collectd
MANDIR     ?= $(PREFIX)/share/man
CONFDIR    ?= /etc/collectd/collectd.conf.d
DOCDIR     ?= $(PREFIX)/share/doc/collectd-taskstats
BUILD      ?= build
V          ?= 0
# kernels `make check` runs the suite on: "host" (the running kernel) and
# names from tests/vm/kernels (booted under qemu, see docs/kernels.md)
KERNELS    ?= host 6.1
VM_KERNELS ?= 6.1

ifeq ($(SANITIZE),1)
BUILD      := build-asan
CFLAGS     += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS    += -fsanitize=address,undefined
endif

WARN            = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
                  -Wformat=2 -Wno-unused-parameter
COLLECTD_CFLAGS = -DHAVE_CONFIG_H -I/usr/include/collectd -I/usr/include/collectd/core \
                  -I/usr/include/collectd/core/daemon
ALL_CFLAGS      = -std=gnu11 -D_GNU_SOURCE -Iinclude $(WARN) -fPIC -fvisibility=hidden \
                  $(CPPFLAGS) $(CFLAGS)
MNL_LIBS       := $(shell $(PKG_CONFIG) --libs libmnl 2>/dev/null || echo -lmnl)
LIBS            = $(MNL_LIBS) -lpthread -lm

GLUE      = plugin/taskstats.c
DUMP      = plugin/taskstats_dump.c
LIB_SRCS  = $(sort $(filter-out $(GLUE) $(DUMP),$(wildcard plugin/*.c)))
LIB_OBJS  = $(LIB_SRCS:plugin/%.c=$(BUILD)/obj/%.o)
HEADERS   = $(wildcard include/*.h)
UNIT_SRCS = $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS = $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
HELPERS   = $(sort $(wildcard tests/helpers/*.c))
HELPER_BINS = $(HELPERS:tests/helpers/%.c=$(BUILD)/helpers/%)
FUZZ_SRCS = $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS = $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_SECONDS ?= 60

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.PHONY: all lib plugin tools tests check check-host check-vm unit fuzz install uninstall clean deps help
all: plugin tools

help:
	@echo "make            build build/taskstats.so and build/taskstats-dump"
	@echo "make check      unit tests (ASan/UBSan) + live and end-to-end tests (root), on KERNELS ($(KERNELS))"
	@echo "make check-host the same on the running kernel only"
	@echo "make check-vm   the same inside Debian kernels under qemu: VM_KERNELS ($(VM_KERNELS))"
	@echo "make unit       unit tests only (no root needed)"
	@echo "make fuzz       run every fuzz target for FUZZ_SECONDS (default 60)"
	@echo "make deps       install build and test dependencies (Debian 12, root)"
	@echo "make install    install into DESTDIR (uninstall removes it again)"

deps:
	tools/install-deps --all

$(BUILD)/obj/%.o: plugin/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(call msg,CC,$@)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/obj/taskstats.o: $(GLUE) $(HEADERS)
	@mkdir -p $(@D)
	$(call msg,CC,$@)$(CC) $(ALL_CFLAGS) $(COLLECTD_CFLAGS) -c -o $@ $<

lib: $(LIB_OBJS)
plugin: $(BUILD)/taskstats.so
tools: $(BUILD)/taskstats-dump

$(BUILD)/taskstats.so: $(BUILD)/obj/taskstats.o $(LIB_OBJS) plugin/taskstats.map
	$(call msg,LD,$@)$(CC) $(ALL_CFLAGS) -shared -Wl,--version-script=plugin/taskstats.map \
		$(LDFLAGS) -o $@ $(BUILD)/obj/taskstats.o $(LIB_OBJS) $(LIBS)

$(BUILD)/taskstats-dump: $(DUMP) $(LIB_OBJS) $(HEADERS)
	$(call msg,LD,$@)$(CC) $(ALL_CFLAGS) -fPIE $(LDFLAGS) -o $@ $(DUMP) $(LIB_OBJS) $(LIBS)

# Unit tests link the library objects; tests of the glue #include it and
# stub the daemon's symbols, so they get the collectd include flags too.
$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJS) $(HEADERS) $(wildcard tests/unit/*.h)
	@mkdir -p $(@D)
	$(call msg,CC,$@)$(CC) $(ALL_CFLAGS) $(COLLECTD_CFLAGS) -Itests/unit -Iplugin -DSRCDIR='"$(CURDIR)"' \
		$(LDFLAGS) -o $@ $< $(LIB_OBJS) -lcmocka $(LIBS)

$(BUILD)/helpers/%: tests/helpers/%.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)$(CC) -std=gnu11 -D_GNU_SOURCE -O1 -g -Wall -o $@ $< -lpthread -lm

tests: $(UNIT_BINS) $(HELPER_BINS)

unit:
	$(MAKE) SANITIZE=1 tests
	tests/run --unit-only

check: all tests
	$(MAKE) SANITIZE=1 tests
	tests/run $(addprefix --kernel ,$(KERNELS))

check-host: all tests
	$(MAKE) SANITIZE=1 tests
	tests/run --kernel host

check-vm: all tests
	$(MAKE) SANITIZE=1 tests
	tests/run $(addprefix --kernel ,$(VM_KERNELS))

$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIB_SRCS) $(HEADERS)
	@mkdir -p $(@D)
	$(call msg,FUZZ,$@)clang -std=gnu11 -D_GNU_SOURCE -Iinclude -g -O1 \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o $@ $< $(LIB_SRCS) $(LIBS)

fuzz: $(FUZZ_BINS)
	@set -e; for f in $(FUZZ_BINS); do \
		n=$$(basename $$f); c=$(BUILD)/fuzz/corpus-$$n; mkdir -p $$c; \
		if [ -d tests/fuzz/seeds/$$n ]; then cp tests/fuzz/seeds/$$n/* $$c/ 2>/dev/null || true; fi; \
		echo "fuzzing $$n for $(FUZZ_SECONDS) s"; \
		if ! $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-artifact_prefix=$(BUILD)/fuzz/$$n- $$c > $(BUILD)/fuzz/$$n.log 2>&1; then \
			tail -n 40 $(BUILD)/fuzz/$$n.log; echo "FUZZ FINDING in $$n"; exit 1; fi; \
		grep -E '^(Done|stat::number_of_executed_units)' $(BUILD)/fuzz/$$n.log; \
	done

# Files only; never starts, stops or enables anything (no systemctl).
MAN5     = man/collectd-taskstats.5
MAN1     = man/taskstats-dump.1
DOCS     = $(wildcard README README.md) $(wildcard docs/*.md)
EXAMPLES = $(filter-out conf/taskstats.conf,$(wildcard conf/*.conf)) $(wildcard tools/taskstats-graph)

install: all
	install -D -m 0644 $(BUILD)/taskstats.so $(DESTDIR)$(PLUGINDIR)/taskstats.so
	install -D -m 0755 $(BUILD)/taskstats-dump $(DESTDIR)$(BINDIR)/taskstats-dump
	install -D -m 0644 conf/taskstats.conf $(DESTDIR)$(CONFDIR)/taskstats.conf
	install -D -m 0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/collectd-taskstats.5
	install -D -m 0644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/taskstats-dump.1
	install -d -m 0755 $(DESTDIR)$(DOCDIR)/examples
	for f in $(DOCS); do install -m 0644 $$f $(DESTDIR)$(DOCDIR)/ || exit 1; done
	for f in $(EXAMPLES); do install -m 0644 $$f $(DESTDIR)$(DOCDIR)/examples/ || exit 1; done

uninstall:
	rm -f $(DESTDIR)$(PLUGINDIR)/taskstats.so $(DESTDIR)$(BINDIR)/taskstats-dump \
	      $(DESTDIR)$(CONFDIR)/taskstats.conf \
	      $(DESTDIR)$(MANDIR)/man5/collectd-taskstats.5 $(DESTDIR)$(MANDIR)/man1/taskstats-dump.1
	rm -rf $(DESTDIR)$(DOCDIR)

clean:
	rm -rf build build-asan
