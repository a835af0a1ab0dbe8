# jmixd build. `make`, `make run`, `make check`, `make bench` (SPEC section 1).
CC      ?= cc
CSTD    := -std=c11 -D_GNU_SOURCE
WARN    := -Wall -Wextra -Werror
OPT     ?= -O2 -g
PKGS    := jack liblo libconfig sndfile libebur128 soxr libsystemd zlib avahi-client
CFLAGS  += $(CSTD) $(WARN) $(OPT) -Iinclude -pthread
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm -pthread

SRC      := $(sort $(wildcard src/*/*.c))
LIB_SRC  := $(SRC)
MAIN_SRC := src/main.c
OBJ      := $(patsubst src/%.c,build/obj/%.o,$(LIB_SRC))
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
RTSAN_OBJ := $(patsubst src/%.c,build/rtsan/%.o,$(LIB_SRC) $(MAIN_SRC))

.PHONY: all run check bench stress deps unit integration rtsan tools clean
all: build/jmixd

build/obj/%.o: src/%.c $(wildcard include/jmixd/*.h) | deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

# The SIMD kernels must round exactly as the scalar reference: no fused
# multiply-add contraction (avx512f implies FMA); their generic 8-lane
# variant passes vectors wider than the baseline ISA (-Wpsabi notes).
build/obj/dsp/simd.o build/rtsan/dsp/simd.o: WARN += -ffp-contract=off -Wno-psabi
build/obj/dsp/simd.o build/rtsan/dsp/simd.o: src/dsp/simd_kernels.h src/dsp/dyn_const.h
build/obj/dsp/dynamics.o build/rtsan/dsp/dynamics.o: src/dsp/dyn_const.h

build/jmixd: $(OBJ) $(MAIN_OBJ)
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

build/rtsan/%.o: src/%.c $(wildcard include/jmixd/*.h) | deps-ok
	@mkdir -p $(dir $@)
	$(RTSAN_CC) $(CSTD) $(WARN) -O1 -g -Iinclude -pthread -fsanitize=realtime -DJM_RTSAN=1 -c $< -o $@

build/rtsan/jmixd: $(RTSAN_OBJ)
	$(RTSAN_CC) -fsanitize=realtime -pthread $^ -o $@ $(LDLIBS)

rtsan: build/rtsan/jmixd

build/lib/libjmixd.a: $(OBJ)
	@mkdir -p $(dir $@)
	ar rcs $@ $^

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

# Install missing Debian packages (as root) once; the stamp records success.
deps-ok: build/.deps-ok
build/.deps-ok: scripts/deps.sh
	@mkdir -p build
	@bash scripts/deps.sh
	@touch $@

deps: build/.deps-ok

run: build/jmixd
	@bash scripts/run.sh

unit: $(UNIT_BIN)
integration: build/jmixd build/rtsan/jmixd $(TOOL_BIN)

check: build/jmixd build/rtsan/jmixd $(UNIT_BIN) $(TOOL_BIN)
	@bash scripts/check.sh $(UNIT_BIN)

bench: build/jmixd $(BENCH_BIN)
	@bash scripts/bench.sh

# 60 s of 256 full mono strips on a realtime dummy server; not part of check.
stress: build/jmixd $(BENCH_BIN)
	@bash scripts/bench.sh --stress

clean:
	rm -rf build
