# net/: the unprivileged network front: strict HTTP/1.1 framing and
# responses, TLS over memory BIOs (no sockets there), strict JSON request
# bodies, and the libuv loop that drives them (front.c).
LIB_SRCS += net/http.c net/tls.c net/json.c net/route.c net/front.c

# The auditor console (issue 8, docs/console.md): net/console.c looks the
# assets up in a table that console/embed.c generates from the files of
# console/ at build time (nothing generated is committed).
LIB_SRCS += net/console.c
CONSOLE_ASSETS := $(sort $(wildcard console/*.html console/*.js \
	console/*.css console/*.svg))
LIB_GEN_OBJS += $(BUILD)/obj/gen/console_assets.o

$(BUILD)/host/console_embed: console/embed.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -Wall -Wextra -Werror -O2 -o $@ $<

$(BUILD)/gen/console_assets.c: $(BUILD)/host/console_embed $(CONSOLE_ASSETS)
	@mkdir -p $(dir $@)
	$(BUILD)/host/console_embed $(CONSOLE_ASSETS) > $@

$(BUILD)/obj/gen/console_assets.o: $(BUILD)/gen/console_assets.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<
