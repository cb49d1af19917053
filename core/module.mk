# core/: leaf plumbing and the event codec (included by ledger/ and hsm/),
# and the monitor side (key handling, CLI, daemon) that uses them.
LIB_SRCS += core/err.c core/log.c core/buf.c core/codec.c core/sha256.c \
	core/mpk.c core/strmap.c core/event.c core/ipc.c core/config.c core/pki.c core/ckpt.c core/monitor.c core/privsep.c core/lifecycle.c core/event_json.c core/cpkey.c core/state.c \
	core/cli.c core/totp.c core/pwhash.c core/seal.c core/csr.c core/certcheck.c core/https.c core/sam.c \
	core/anchor.c core/audit.c core/audit_export.c core/bgverify.c

PROGS += $(BUILD)/bin/hanko $(BUILD)/bin/hankod

HANKO_OBJS := $(BUILD)/obj/core/hanko.o $(BUILD)/obj/core/cli_ledger.o \
	$(BUILD)/obj/core/cli_init.o \
	$(BUILD)/obj/core/cli_hsm.o $(BUILD)/obj/core/cli_admin.o \
	$(BUILD)/obj/core/cli_signer.o $(BUILD)/obj/core/cli_audit.o
HANKOD_OBJS := $(BUILD)/obj/core/hankod.o

$(BUILD)/bin/hanko: $(HANKO_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(HANKO_OBJS) $(LIB) $(LDLIBS)

$(BUILD)/bin/hankod: $(HANKOD_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(HANKOD_OBJS) $(LIB) $(LDLIBS)

# The auditor API's handlers (docs/audit-api.md), run by the executor of
# core/lifecycle.c.
LIB_SRCS += core/audit_api.c core/audit_bundle.c
