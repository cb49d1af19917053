# hsm/: the PKCS#11 adapter (the only code that talks to the crypto module).
LIB_SRCS += hsm/hsm_ckr.c hsm/hsm_der.c hsm/hsm_pin.c hsm/hsm_obj.c \
	hsm/hsm_pool.c hsm/hsm_key.c hsm/hsm_unwrapkey.c hsm/hsm_selftest.c
