# hsm/: the PKCS#11 adapter (the only code that talks to the crypto module).
LIB_SRCS += hsm/hsm_ckr.c hsm/hsm_der.c hsm/hsm_pin.c hsm/hsm_obj.c \
	hsm/hsm_pool.c hsm/hsm_key.c hsm/hsm_unwrapkey.c hsm/hsm_token.c hsm/hsm_seal.c hsm/hsm_selftest.c \
	hsm/hsm_data.c

# Unit tests of hsm/ check the CKR table against the PKCS#11 header itself.
HSM_P11_HEADER := $(shell pkg-config --variable=includedir p11-kit-1)/p11-kit-1/p11-kit/pkcs11.h
$(BUILD)/obj/tests/unit/hsm/%.o: CFLAGS += -DHSM_TEST_P11_HEADER='"$(HSM_P11_HEADER)"'

# A fault-injecting PKCS#11 module wrapping SoftHSM, loaded by the unit
# tests (tests/unit/hsm/hsm_shim.c); not part of the product.
HSM_SHIM := $(BUILD)/tests/lib/hsm_shim.so
TOOLS += $(HSM_SHIM)
$(HSM_SHIM): tests/unit/hsm/hsm_shim.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fPIC -shared $(LDFLAGS) -o $@ $< -ldl -lpthread
