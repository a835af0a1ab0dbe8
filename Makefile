# jmixd build. `make`, `make run`, `make check`, `make bench` (README.md, docs/testing.md).
CC      ?= cc
CSTD    := -std=c11 -D_GNU_SOURCE
WARN    := -Wall -Wextra -Werror
OPT     ?= -O2 -g
PKGS    := jack liblo libconfig sndfile libebur128 soxr libsystemd zlib avahi-client libwebsockets
CFLAGS  += $(CSTD) $(WARN) $(OPT) -Iinclude -pthread
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm -pthread

# src/demo: programs of their own (make run's demo take), not the library
SRC      := $(sort $(filter-out src/demo/%,$(wildcard src/*/*.c)))
# every header, public and private: a change rebuilds what may include it
HDRS     := $(wildcard include/jmixd/*.h include/jmixd/*/*.h src/*/*.h)
LIB_SRC  := $(SRC)
MAIN_SRC := src/main.c
# the web page's style sheet and script, embedded by src/web/assets.S
WEB_ASSETS := $(wildcard src/web/assets/*)
OBJ      := $(patsubst src/%.c,build/obj/%.o,$(LIB_SRC)) build/obj/web/assets.o
MAIN_OBJ := $(patsubst src/%.c,build/obj/%.o,$(MAIN_SRC))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(patsubst tests/unit/%.c,build/tests/%,$(UNIT_SRC))
TOOL_SRC := $(sort $(wildcard tests/tools/*.c))
TOOL_BIN := $(patsubst tests/tools/%.c,build/tools/%,$(TOOL_SRC))
BENCH_SRC := $(sort $(wildcard tests/bench/*.c))
BENCH_BIN := $(patsubst tests/bench/%.c,build/bench/%,$(BENCH_SRC))

# RealtimeSanitizer build of the daemon (clang-22); the process callback is
# marked nonblocking, so any allocation, lock or system call in it aborts.
RTSAN_CC := clang-22
RTSAN_OBJ := $(patsubst src/%.c,build/rtsan/%.o,$(LIB_SRC) $(MAIN_SRC)) build/rtsan/web/assets.o

.PHONY: all run check bench bench-disk stress deps unit integration rtsan tools clean fuzzers fuzz soak \
        install uninstall package package-check
all: build/jmixd

build/obj/%.o: src/%.c $(HDRS) | deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# The SIMD kernels round exactly as the scalar reference: no fused
# multiply-add contraction in any DSP file (avx512f implies FMA; aarch64
# contracts by default); the generic 8-lane kernels pass vectors wider than
# the baseline ISA (-Wpsabi notes).
build/obj/dsp/%.o build/rtsan/dsp/%.o: WARN += -ffp-contract=off
build/obj/dsp/simd.o build/rtsan/dsp/simd.o: WARN += -Wno-psabi
build/obj/dsp/simd.o build/rtsan/dsp/simd.o: src/dsp/simd_kernels.h src/dsp/dyn_const.h
build/obj/dsp/dynamics.o build/rtsan/dsp/dynamics.o: src/dsp/dyn_const.h

build/obj/web/assets.o: src/web/assets.S $(WEB_ASSETS) | deps-ok
	@mkdir -p $(dir $@)
	$(CC) -c $< -o $@

build/rtsan/web/assets.o: src/web/assets.S $(WEB_ASSETS) | deps-ok
	@mkdir -p $(dir $@)
	$(RTSAN_CC) -c $< -o $@

build/jmixd: $(OBJ) $(MAIN_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

build/rtsan/%.o: src/%.c $(HDRS) | deps-ok
	@mkdir -p $(dir $@)
	$(RTSAN_CC) $(CSTD) $(WARN) -O1 -g -Iinclude -pthread -fsanitize=realtime -DJM_RTSAN=1 -c $< -o $@

build/rtsan/jmixd: $(RTSAN_OBJ)
	$(RTSAN_CC) -fsanitize=realtime -pthread $^ -o $@ $(LDLIBS)

rtsan: build/rtsan/jmixd

build/lib/libjmixd.a: $(OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

build/tests/%: tests/unit/%.c build/lib/libjmixd.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< -o $@ build/lib/libjmixd.a $(LDLIBS) -lcmocka

build/tools/%: tests/tools/%.c build/lib/libjmixd.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< -o $@ build/lib/libjmixd.a $(LDLIBS)

tools: $(TOOL_BIN)

build/bench/%: tests/bench/%.c build/lib/libjmixd.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< -o $@ build/lib/libjmixd.a $(LDLIBS)

# libFuzzer targets (tests/fuzz/fuzz_*.c): clang-22 with ASan and UBSan over
# the library sources they exercise, compiled here with the sanitizers (not
# the gcc-built libjmixd.a). fuzz_osc links the socket-free parser (src/osc/parser.c and friends).
# UBSan's alignment check is off: liblo hands out 4-byte aligned lo_arg
# pointers by design, and every `argv[i]->f` would be reported.
FUZZ_CC    := clang-22
FUZZ_FLAGS := $(CSTD) $(WARN) -O1 -g -Iinclude -pthread -fno-omit-frame-pointer \
              -fsanitize=address,undefined -fno-sanitize=alignment -fno-sanitize-recover=all
FUZZ_LIB   := $(sort $(wildcard src/session/*.c)) src/util/queue.c src/util/log.c \
              src/util/cidr.c src/util/text.c src/util/atomicfile.c src/util/safefile.c src/util/grow.c src/util/rt.c \
              src/control/x32map.c src/control/x32tree.c src/control/state.c src/control/automation.c \
              src/control/snapshot.c src/osc/match.c src/util/netguard.c \
              src/osc/parser.c src/osc/param_msg.c src/osc/commands.c src/osc/x32.c \
              src/osc/reply.c src/osc/perm.c src/osc/performer.c \
              src/control/surface_reg.c $(wildcard src/control/mcu*.c)
FUZZ_OBJ   := $(patsubst src/%.c,build/fuzz/obj/%.o,$(FUZZ_LIB))
FUZZ_BIN   := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))

build/fuzz/obj/%.o: src/%.c $(HDRS) | deps-ok
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

build/fuzz/libjmfuzz.a: $(FUZZ_OBJ)
	rm -f $@ && ar rcs $@ $^

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c build/fuzz/libjmfuzz.a $(HDRS)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer $< -o $@ build/fuzz/libjmfuzz.a \
	    $(shell pkg-config --libs liblo libconfig 2>/dev/null) -lm -pthread

fuzzers: $(FUZZ_BIN)

# Ten minutes per fuzzer (make check runs them for 20 s each).
fuzz: $(FUZZ_BIN)
	@bash tests/fuzz/run.sh --time $${FUZZ_TIME:-600}

# Longer fault runs: the robustness and fault tests with more repetitions.
soak: build/jmixd $(TOOL_BIN)
	@JMT_SOAK=1 python3 tests/integration/run.py -v -rfEs tests/integration/test_robustness.py \
	    tests/integration/test_faults.py

# Install missing Debian packages (as root) once; the stamp records success.
deps-ok: build/.deps-ok
build/.deps-ok: scripts/deps.sh
	@mkdir -p build
	@bash scripts/deps.sh
	@touch $@

deps: build/.deps-ok

run: build/jmixd build/jmixd-demo-stems
	@bash scripts/run.sh

# make run's demo take (src/demo/stems.c): synthesised stems, no recording
build/jmixd-demo-stems: src/demo/stems.c build/lib/libjmixd.a $(HDRS)
	$(CC) $(CFLAGS) $< -o $@ build/lib/libjmixd.a $(LDLIBS)

unit: $(UNIT_BIN)
integration: build/jmixd build/rtsan/jmixd build/jmixd-demo-stems $(TOOL_BIN)

check: build/jmixd build/rtsan/jmixd build/jmixd-demo-stems $(UNIT_BIN) $(TOOL_BIN) $(FUZZ_BIN)
	@bash scripts/check.sh $(UNIT_BIN)

# arm64 cross build of the JACK-free DSP code and the DSP unit tests, run
# under qemu-user-static (scripts/check-arm64.sh; make check runs its --quick
# set, the full set takes minutes under emulation). Tests are built without loop
# vectorization: gcc 12 (Debian 12, native or cross aarch64) hits an
# internal compiler error (vect_transform_reduction) on their fmax
# reduction loops; the library objects keep the normal flags.
CROSS     ?= aarch64-linux-gnu-gcc
A64_LIB   := $(wildcard src/dsp/*.c src/util/*.c) \
             src/engine/mixer.c src/engine/autoplay.c src/engine/lanes.c src/io/rtameter.c src/session/params.c
A64_OBJ   := $(patsubst src/%.c,build/arm64/obj/%.o,$(A64_LIB))
A64_TESTS := aux biquad chain delay dynamics limiter mixer params pfl queue ring reverb rta rta_tap simd
A64_BIN   := $(patsubst %,build/arm64/tests/test_%,$(A64_TESTS))

build/arm64/obj/dsp/%.o: WARN += -ffp-contract=off
build/arm64/obj/dsp/simd.o: WARN += -Wno-psabi
build/arm64/obj/dsp/simd.o: src/dsp/simd_kernels.h src/dsp/dyn_const.h
build/arm64/obj/dsp/dynamics.o: src/dsp/dyn_const.h

build/arm64/obj/%.o: src/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CROSS) $(CSTD) $(WARN) $(OPT) -Iinclude -pthread -c $< -o $@

build/arm64/libjmdsp.a: $(A64_OBJ)
	rm -f $@ && $(CROSS:gcc=ar) rcs $@ $^

build/arm64/tests/%: tests/unit/%.c build/arm64/libjmdsp.a
	@mkdir -p $(dir $@)
	$(CROSS) $(CSTD) $(WARN) $(OPT) -fno-tree-loop-vectorize -Iinclude -pthread $< -o $@ \
	    build/arm64/libjmdsp.a -lcmocka -lm -pthread

.PHONY: arm64-tests check-arm64
arm64-tests: $(A64_BIN)

check-arm64:
	@bash scripts/check-arm64.sh $(if $(QUICK),--quick)

bench: build/jmixd $(BENCH_BIN)
	@bash scripts/bench.sh

# 60 s of 256 full mono strips on a realtime dummy server; not part of check.
stress: build/jmixd $(BENCH_BIN)
	@bash scripts/bench.sh --stress

# A multitrack take of 64 mono strips + master in real time for 10 minutes
# (DISK_DIR, default /tmp; DISK_SECONDS, DISK_STRIPS); not part of check.
bench-disk: build/bench/bench_multitrack
	@build/bench/bench_multitrack --strips $(or $(DISK_STRIPS),64) \
	    --seconds $(or $(DISK_SECONDS),600) --dir $(or $(DISK_DIR),/tmp)

# ---------------------------------------------------------------------------
# make install / uninstall (GNU conventions; DESTDIR for staging and packages).
# The units in systemd/ name /usr/local/bin/jmixd and /etc/jmixd; install
# rewrites them to BINDIR and SYSCONFDIR. The session in SYSCONFDIR is never
# overwritten; uninstall removes it only when it is still the shipped one.
PREFIX        ?= /usr/local
EXEC_PREFIX   ?= $(PREFIX)
BINDIR        ?= $(EXEC_PREFIX)/bin
SYSCONFDIR    ?= /etc
DATADIR       ?= $(PREFIX)/share
MANDIR        ?= $(DATADIR)/man
DOCDIR        ?= $(DATADIR)/doc/jmixd
# systemd reads units, sysusers.d and tmpfiles.d under /usr/local/lib too
SYSTEMDLIBDIR ?= $(PREFIX)/lib/systemd
UNITDIR       ?= $(SYSTEMDLIBDIR)/system
USERUNITDIR   ?= $(SYSTEMDLIBDIR)/user
SYSUSERSDIR   ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR   ?= $(PREFIX)/lib/tmpfiles.d
INSTALL       ?= install
MANPAGES      := $(wildcard man/*.[1-8])
UNIT_SED      := -e 's|/usr/local/bin/jmixd|$(BINDIR)/jmixd|g' \
                 -e 's|%h/\.local/bin/jmixd|$(BINDIR)/jmixd|g' \
                 -e 's|/etc/jmixd|$(SYSCONFDIR)/jmixd|g'

install: build/jmixd
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(USERUNITDIR) \
	    $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(SYSCONFDIR)/jmixd
	$(INSTALL) -m 755 build/jmixd $(DESTDIR)$(BINDIR)/jmixd
	sed $(UNIT_SED) systemd/jmixd.service > $(DESTDIR)$(UNITDIR)/jmixd.service
	sed $(UNIT_SED) systemd/jackd-dummy.service > $(DESTDIR)$(UNITDIR)/jackd-dummy.service
	sed $(UNIT_SED) systemd/jmixd-user.service > $(DESTDIR)$(USERUNITDIR)/jmixd.service
	chmod 644 $(DESTDIR)$(UNITDIR)/jmixd.service $(DESTDIR)$(UNITDIR)/jackd-dummy.service \
	    $(DESTDIR)$(USERUNITDIR)/jmixd.service
	$(INSTALL) -m 644 systemd/jmixd.sysusers $(DESTDIR)$(SYSUSERSDIR)/jmixd.conf
	$(INSTALL) -m 644 systemd/jmixd.tmpfiles $(DESTDIR)$(TMPFILESDIR)/jmixd.conf
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/jmixd/jmixd.cfg ]; then \
	    echo "install: keeping $(DESTDIR)$(SYSCONFDIR)/jmixd/jmixd.cfg"; \
	else \
	    echo "$(INSTALL) -m 644 config/jmixd.cfg $(DESTDIR)$(SYSCONFDIR)/jmixd/jmixd.cfg"; \
	    $(INSTALL) -m 644 config/jmixd.cfg $(DESTDIR)$(SYSCONFDIR)/jmixd/jmixd.cfg; \
	fi
	@for m in $(MANPAGES); do \
	    s=$${m##*.}; \
	    echo "$(INSTALL) -Dm 644 $$m $(DESTDIR)$(MANDIR)/man$$s/$${m#man/}"; \
	    $(INSTALL) -Dm 644 $$m $(DESTDIR)$(MANDIR)/man$$s/$${m#man/} || exit 1; \
	done

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/jmixd $(DESTDIR)$(UNITDIR)/jmixd.service \
	    $(DESTDIR)$(UNITDIR)/jackd-dummy.service $(DESTDIR)$(USERUNITDIR)/jmixd.service \
	    $(DESTDIR)$(SYSUSERSDIR)/jmixd.conf $(DESTDIR)$(TMPFILESDIR)/jmixd.conf
	@for m in $(MANPAGES); do s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$${m#man/}; done
	@if cmp -s config/jmixd.cfg $(DESTDIR)$(SYSCONFDIR)/jmixd/jmixd.cfg; then \
	    rm -f $(DESTDIR)$(SYSCONFDIR)/jmixd/jmixd.cfg; \
	    rmdir $(DESTDIR)$(SYSCONFDIR)/jmixd 2>/dev/null || true; \
	elif [ -e $(DESTDIR)$(SYSCONFDIR)/jmixd/jmixd.cfg ]; then \
	    echo "uninstall: keeping the edited $(DESTDIR)$(SYSCONFDIR)/jmixd/jmixd.cfg"; \
	fi

# The Debian package (debian/), built from a copy of the tracked files in
# build/pkg so that dpkg-buildpackage writes nothing outside build/; then
# lintian. Not part of make check (it rebuilds everything).
PKG_VERSION := $(shell sed -n '1s/.*(\(.*\)).*/\1/p' debian/changelog 2>/dev/null)
package:
	@bash scripts/deps.sh --package
	rm -rf build/pkg && mkdir -p build/pkg/jmixd-$(PKG_VERSION)
	git ls-files -z | xargs -0 cp -P --parents -t build/pkg/jmixd-$(PKG_VERSION)
	cd build/pkg/jmixd-$(PKG_VERSION) && dpkg-buildpackage -us -uc -b
	lintian --info build/pkg/jmixd_$(PKG_VERSION)_*.deb | tee build/pkg/lintian.txt
	@ls -l build/pkg/*.deb

# The package installed, checked, removed and purged on a fresh Debian 12
# root (debootstrap, cached as ../shared/tools/fresh-check caches it).
package-check: package
	bash scripts/package-check.sh build/pkg/jmixd_$(PKG_VERSION)_$(shell dpkg --print-architecture).deb

clean:
	rm -rf build
