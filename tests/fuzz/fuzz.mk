# tests/fuzz/: libFuzzer harnesses (style item 30), built only by
# `make fuzz` (./build.sh fuzz) with clang, into $(BUILD)/fuzz/<name>. The
# normal gcc build never compiles anything here. Each harness is linked
# with just the library sources it exercises, compiled again with the
# fuzzer's coverage instrumentation and ASan+UBSan (see docs/fuzzing.md).
FUZZ_CC ?= clang
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
FUZZ_CFLAGS := -std=c11 -Wall -Wextra -Werror -MMD -MP -O1 -g \
	-fsanitize=fuzzer-no-link $(FUZZ_SAN) -D_POSIX_C_SOURCE=200809L -I. \
	$(PKG_CFLAGS)
FUZZ_LDFLAGS := -fsanitize=fuzzer $(FUZZ_SAN)
FUZZ_OBJ := $(BUILD)/fuzz/obj

FUZZ_HTTP_SRCS := tests/fuzz/fuzz_http.c net/http.c core/buf.c core/err.c
FUZZ_EVENT_SRCS := tests/fuzz/fuzz_event.c core/event.c core/mpk.c \
	core/codec.c core/buf.c core/err.c core/sha256.c
FUZZ_JSON_SRCS := tests/fuzz/fuzz_json.c net/json.c
FUZZ_IPC_SRCS := tests/fuzz/fuzz_ipc.c core/ipc.c core/mpk.c core/codec.c \
	core/buf.c core/err.c
FUZZ_QUERY_SRCS := tests/fuzz/fuzz_query.c net/route.c net/json.c \
	net/http.c core/mpk.c core/codec.c core/buf.c core/err.c
FUZZ_BINS := $(BUILD)/fuzz/fuzz_http $(BUILD)/fuzz/fuzz_event \
	$(BUILD)/fuzz/fuzz_json $(BUILD)/fuzz/fuzz_ipc $(BUILD)/fuzz/fuzz_query

fuzz: $(FUZZ_BINS)

$(FUZZ_OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(BUILD)/fuzz/fuzz_http: $(FUZZ_HTTP_SRCS:%.c=$(FUZZ_OBJ)/%.o)
	$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/fuzz/fuzz_event: $(FUZZ_EVENT_SRCS:%.c=$(FUZZ_OBJ)/%.o)
	$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/fuzz/fuzz_json: $(FUZZ_JSON_SRCS:%.c=$(FUZZ_OBJ)/%.o)
	$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/fuzz/fuzz_ipc: $(FUZZ_IPC_SRCS:%.c=$(FUZZ_OBJ)/%.o)
	$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/fuzz/fuzz_query: $(FUZZ_QUERY_SRCS:%.c=$(FUZZ_OBJ)/%.o)
	$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^ $(LDLIBS)

.PHONY: fuzz

-include $(shell find $(FUZZ_OBJ) -name '*.d' 2>/dev/null)
