# ipsecguard — plain Makefile.  `make V=1` shows the commands.
CC       ?= cc
CLANG    ?= clang
PREFIX   ?= /usr/local
SBINDIR  ?= $(PREFIX)/sbin
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
DATADIR  ?= $(PREFIX)/share/ipsecguard
UNITDIR  ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= /etc
MANPAGES := $(wildcard nfqd/man/*.[58])
DESTDIR  ?=
PKG_CONFIG ?= pkg-config
XTLIBDIR ?= $(shell $(PKG_CONFIG) --variable=xtlibdir xtables 2>/dev/null || echo /usr/lib/xtables)
B        ?= build

PKGS     := libnetfilter_queue libmnl libnftnl
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
XT_CFLAGS  := $(shell $(PKG_CONFIG) --cflags xtables 2>/dev/null)
XT_LIBS    := $(shell $(PKG_CONFIG) --libs xtables 2>/dev/null)

# CFLAGS, CPPFLAGS and LDFLAGS are the user's (as Debian's build tools set them);
# the project's own flags live in IGD_CFLAGS and always apply.  WERROR=1 (set by
# `make check`) turns warnings into errors.
CFLAGS   ?= -O2 -g
IGD_CFLAGS := -std=gnu11 -Wall -Wextra -Wno-unused-parameter -D_GNU_SOURCE \
	    -fno-strict-aliasing -Ikmod-free -MMD -MP
ifeq ($(WERROR),1)
IGD_CFLAGS += -Werror
endif
LDLIBS   += -lpthread
# SANITIZE=1: the daemon, the CLI, the library and the tests built with AddressSanitizer
# and UndefinedBehaviorSanitizer (`make check SANITIZE=1` runs every suite with them;
# the iptables plugin stays without: iptables itself is not built with them).
ifeq ($(SANITIZE),1)
IGD_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
IGD_LDFLAGS := -fsanitize=address,undefined
endif
# SANITIZE=thread: ThreadSanitizer instead (the queue threads against the loop thread);
# a report makes the daemon exit 66, which the tests see as a failed exit status.
ifeq ($(SANITIZE),thread)
IGD_CFLAGS += -fsanitize=thread -fno-omit-frame-pointer
IGD_LDFLAGS := -fsanitize=thread
endif
ALL_CFLAGS = $(IGD_CFLAGS) $(CPPFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(IGD_LDFLAGS) $(LDFLAGS)
# Objects remember the flags they were built with: other flags, a fresh build
# (-Werror changes no object).
FLAGS_STAMP := $(B)/.flags-$(shell printf '%s' '$(filter-out -Werror,$(ALL_CFLAGS)) $(ALL_LDFLAGS)' | cksum | cut -d' ' -f1)

# Debian keeps ip, nft, iptables and conntrack in sbin; a user's PATH may not.
export PATH := $(PATH):/usr/local/sbin:/usr/sbin:/sbin

ifeq ($(V),1)
Q :=
else
Q := @
endif

LIB_SRCS   := $(wildcard kmod-free/*/*.c)
LIB_OBJS   := $(LIB_SRCS:%.c=$(B)/obj/%.o)
DAEMON_SRCS := $(wildcard nfqd/daemon/*.c)
DAEMON_OBJS := $(DAEMON_SRCS:%.c=$(B)/obj/%.o)
CLI_SRCS   := $(wildcard nfqd/cli/*.c)
CLI_OBJS   := $(CLI_SRCS:%.c=$(B)/obj/%.o)
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)
BENCH_SRCS := $(wildcard tests/bench/bench_*.c)
BENCH_BINS := $(BENCH_SRCS:tests/bench/%.c=$(B)/tests/%)
FUZZ_SRCS  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS  := $(FUZZ_SRCS:tests/fuzz/%.c=$(B)/fuzz/%)
NETNS_TOOLS := $(patsubst tests/netns/%.c,$(B)/tests/%,$(wildcard tests/netns/*_tool.c))
XT_SRCS    := $(wildcard xt_plugin/libxt_*.c)
XT_SOS     := $(XT_SRCS:xt_plugin/%.c=$(B)/%.so)

.PHONY: all check check-unit check-vm demo deps deps-vm install uninstall clean fuzz tests bench deb rpm
all: $(B)/ipsecguardd $(B)/ipsecguard $(XT_SOS)

# The libraries are found through pkg-config when this file is read; without them
# the build cannot start, so say which and how to get them.
ifneq ($(filter-out deps deps-vm check demo check-vm clean uninstall,$(or $(MAKECMDGOALS),all)),)
ifneq ($(shell $(PKG_CONFIG) --exists $(PKGS) xtables 2>/dev/null && echo ok),ok)
$(error libnetfilter_queue, libmnl, libnftnl or xtables not found by $(PKG_CONFIG): run `make deps` as root first (or `make check` / `make demo`, which do))
endif
endif

$(FLAGS_STAMP):
	@mkdir -p $(B) && rm -f $(B)/.flags-* && touch $@

$(B)/obj/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

$(B)/libkmodfree.a: $(LIB_OBJS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/ipsecguardd: $(DAEMON_OBJS) $(B)/libkmodfree.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(LDLIBS)

$(B)/ipsecguard: $(CLI_OBJS) $(B)/libkmodfree.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(LDLIBS)

$(B)/libxt_%.so: xt_plugin/libxt_%.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(filter-out -fsanitize%,$(ALL_CFLAGS)) $(XT_CFLAGS) -fPIC -shared -o $@ $< $(XT_LIBS)

# the daemon's parts, for unit tests of its judgement
$(B)/libdaemon.a: $(filter-out %/main.o,$(DAEMON_OBJS))
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/tests/%: tests/unit/%.c $(B)/libdaemon.a $(B)/libkmodfree.a $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -Itests/unit -Infqd/daemon -o $@ $< $(B)/libdaemon.a $(B)/libkmodfree.a $(PKG_LIBS) $(LDLIBS)

# Test-only drivers of the netns suites (tests/netns/*_tool.c).
$(B)/tests/%_tool: tests/netns/%_tool.c $(B)/libkmodfree.a $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -o $@ $< $(B)/libkmodfree.a $(PKG_LIBS) $(LDLIBS)

$(B)/tests/bench_%: tests/bench/bench_%.c $(B)/libkmodfree.a $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -o $@ $< $(B)/libkmodfree.a $(PKG_LIBS) $(LDLIBS)

# libFuzzer harnesses: the library built once more with the fuzzer's sanitizers
# (its own objects and archive), each harness linked against it.
FUZZ_CFLAGS := -g -O1 -std=gnu11 -D_GNU_SOURCE -Ikmod-free -fsanitize=fuzzer,address,undefined
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(B)/fuzzobj/%.o)
$(B)/fuzzobj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZCC  $<")
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -MMD -MP $(PKG_CFLAGS) -c -o $@ $<

$(B)/libkmodfree-fuzz.a: $(FUZZ_LIB_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/fuzz/fuzz_opts: tests/fuzz/fuzz_opts.c nfqd/daemon/opts.c nfqd/daemon/config.c $(B)/libkmodfree-fuzz.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -Infqd/daemon $(PKG_CFLAGS) -o $@ $^ $(PKG_LIBS)

$(B)/fuzz/%: tests/fuzz/%.c $(B)/libkmodfree-fuzz.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(PKG_CFLAGS) -o $@ $^ $(PKG_LIBS)

tests: all $(UNIT_BINS) $(BENCH_BINS) $(NETNS_TOOLS)

# Install the missing Debian packages of tests/deps.list (the one list: CI uses it
# too) and check that every program and library they promise is there.
deps:
	$(Q)sh tests/deps.sh build test

deps-vm:
	$(Q)sh tests/deps.sh build test vm

check: deps
	$(Q)$(MAKE) --no-print-directory WERROR=1 tests $(FUZZ_BINS)
	$(Q)sh tests/run.sh

check-unit: tests
	$(Q)sh tests/run.sh unit

check-vm: deps-vm
	$(Q)$(MAKE) --no-print-directory all
	$(Q)sh tests/vm/run.sh

fuzz: $(FUZZ_BINS)
	$(Q)sh tests/fuzz/run.sh $${FUZZ_SECONDS:-300}

bench: tests
	$(Q)sh tests/bench/run.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)sh tests/demo.sh

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(XTLIBDIR)
	install -m 0755 $(B)/ipsecguardd $(DESTDIR)$(SBINDIR)/ipsecguardd
	install -m 0755 $(B)/ipsecguard $(DESTDIR)$(BINDIR)/ipsecguard
	for so in $(XT_SOS); do install -m 0644 $$so $(DESTDIR)$(XTLIBDIR)/; done
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|/usr/local|$(PREFIX)|g' nfqd/ipsecguardd.service >$(DESTDIR)$(UNITDIR)/ipsecguardd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/ipsecguardd.service
	install -d $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	for m in $(MANPAGES); do install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/; done
	install -d $(DESTDIR)$(SYSCONFDIR)/ipsecguard $(DESTDIR)$(SYSCONFDIR)/logrotate.d
	[ -e $(DESTDIR)$(SYSCONFDIR)/ipsecguard/ipsecguardd.conf ] || \
		install -m 0644 nfqd/ipsecguardd.conf $(DESTDIR)$(SYSCONFDIR)/ipsecguard/ipsecguardd.conf
	install -m 0644 nfqd/ipsecguardd.logrotate $(DESTDIR)$(SYSCONFDIR)/logrotate.d/ipsecguardd
	install -d $(DESTDIR)$(DATADIR)/rules $(DESTDIR)$(DATADIR)/grafana
	install -m 0644 rules/*.rules $(DESTDIR)$(DATADIR)/rules/
	install -m 0755 rules/*.nft $(DESTDIR)$(DATADIR)/rules/
	install -m 0644 nfqd/grafana/*.json nfqd/grafana/*.yml $(DESTDIR)$(DATADIR)/grafana/

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/ipsecguardd $(DESTDIR)$(BINDIR)/ipsecguard
	rm -f $(DESTDIR)$(UNITDIR)/ipsecguardd.service
	for so in $(XT_SOS); do rm -f $(DESTDIR)$(XTLIBDIR)/$$(basename $$so); done
	for m in $(MANPAGES); do rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$$(basename $$m); done
	rm -f $(DESTDIR)$(SYSCONFDIR)/logrotate.d/ipsecguardd
	rm -rf $(DESTDIR)$(DATADIR)
	@echo "kept $(DESTDIR)$(SYSCONFDIR)/ipsecguard/ipsecguardd.conf (yours)"

# An installable Debian package of this tree in build/deb/ (nfqd/deb/build.sh).
deb:
	$(Q)sh nfqd/deb/build.sh

# A binary and a source RPM of this tree in build/rpm/ (nfqd/rpm/build.sh, from
# nfqd/rpm/ipsecguard.spec).
rpm:
	$(Q)sh nfqd/rpm/build.sh

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' -type f 2>/dev/null)
