# SPDX-License-Identifier: Apache-2.0
# One non-recursive GNU Makefile (style item 31). Each subsystem adds its
# sources in <dir>/module.mk. Build switches:
#   ASAN=1 UBSAN=1   sanitizers (build into build/asan by default)
#   BUILD=dir        output directory (default build)
#   DEBUG=1          -O0
# `make fuzz` builds the libFuzzer harnesses with clang (tests/fuzz/fuzz.mk).
BUILD ?= build
CC ?= cc

PKGS := libssl libcrypto lmdb libsodium msgpack jansson libuv inih
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) p11-kit-1)
PKG_LIBS := $(shell pkg-config --libs $(PKGS))

OPT := -O2
ifdef DEBUG
OPT := -O0
endif
SAN :=
ifdef ASAN
SAN += -fsanitize=address -fno-omit-frame-pointer
endif
ifdef UBSAN
SAN += -fsanitize=undefined -fno-sanitize-recover=all
endif

CFLAGS := -std=c11 -Wall -Wextra -Werror -MMD -MP $(OPT) -g $(SAN) \
	-D_POSIX_C_SOURCE=200809L -I. $(PKG_CFLAGS) $(EXTRA_CFLAGS)
LDFLAGS := $(SAN) $(EXTRA_LDFLAGS)
LDLIBS := $(PKG_LIBS) -lpthread -ldl

# The first target is the default; the real list follows the includes.
default: all

LIB := $(BUILD)/lib/libhanko.a
LIB_SRCS :=
LIB_GEN_OBJS :=
PROGS :=
TOOLS :=

include core/module.mk
include ledger/module.mk
include hsm/module.mk
include net/module.mk
include tests/module.mk
include tests/fuzz/fuzz.mk

LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o) $(LIB_GEN_OBJS)

all: $(PROGS) $(TOOLS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

clean:
	rm -rf $(BUILD)

.PHONY: default all clean
.DELETE_ON_ERROR:
.SECONDARY:

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
