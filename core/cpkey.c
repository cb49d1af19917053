/* SPDX-License-Identifier: Apache-2.0 */
/* cpkey: software Ed25519 checkpoint key (see cpkey.h). OPS-4, OPS-5. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "core/cpkey.h"
#include "core/log.h"

struct hk_cpkey {
	struct ledger_note_signer signer;
	uint8_t *sk; /* sodium_malloc'd, crypto_sign_SECRETKEYBYTES */
};

static int
sign_cb(void *arg, const uint8_t *msg, size_t len,
    uint8_t sig[LEDGER_NOTE_ED25519_SIG_LEN])
{
	struct hk_cpkey *k = arg;

	if (crypto_sign_detached(sig, NULL, msg, len, k->sk) != 0)
		return HK_ECRYPTO;
	return 0;
}

static int
from_seed(const uint8_t seed[crypto_sign_SEEDBYTES], const char *name,
    struct hk_cpkey **out)
{
	struct hk_cpkey *k;
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	int r;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return HK_ENOMEM;
	if ((k->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES)) == NULL) {
		free(k);
		return HK_ENOMEM;
	}
	crypto_sign_seed_keypair(pk, k->sk, seed);
	if ((r = ledger_note_signer_init(&k->signer, name, pk, sign_cb, k)) !=
	    0) {
		hk_error_f("invalid key name \"%s\"", name);
		hk_cpkey_free(k);
		return r;
	}
	*out = k;
	return 0;
}

/** hk_cpkey_generate(path, name, out): create and store a new key. */
int
hk_cpkey_generate(const char *path, const char *name, struct hk_cpkey **out)
{
	uint8_t seed[crypto_sign_SEEDBYTES];
	int fd, r;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) <
	    0) {
		hk_error_f("create %s: %s", path, strerror(errno));
		return errno == EEXIST ? HK_EEXIST : HK_EIO;
	}
	randombytes_buf(seed, sizeof(seed));
	if (write(fd, seed, sizeof(seed)) != (ssize_t)sizeof(seed) ||
	    fsync(fd) != 0) {
		hk_error_f("write %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		sodium_memzero(seed, sizeof(seed));
		return HK_EIO;
	}
	close(fd);
	r = from_seed(seed, name, out);
	sodium_memzero(seed, sizeof(seed));
	return r;
}

/** hk_cpkey_load(path, name, out): load a stored key. */
int
hk_cpkey_load(const char *path, const char *name, struct hk_cpkey **out)
{
	uint8_t seed[crypto_sign_SEEDBYTES + 1];
	struct stat st;
	ssize_t n;
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		hk_error_f("open %s: %s", path, strerror(errno));
		return errno == ENOENT ? HK_ENOTFOUND : HK_EIO;
	}
	if (fstat(fd, &st) != 0 || (st.st_mode & 077) != 0) {
		hk_error_f("%s must be a file of mode 0600", path);
		close(fd);
		return HK_EDENIED;
	}
	n = read(fd, seed, sizeof(seed));
	close(fd);
	if (n != crypto_sign_SEEDBYTES) {
		hk_error_f("%s: not a %d-byte key", path, crypto_sign_SEEDBYTES);
		sodium_memzero(seed, sizeof(seed));
		return HK_EINVAL;
	}
	r = from_seed(seed, name, out);
	sodium_memzero(seed, sizeof(seed));
	return r;
}

/** hk_cpkey_signer(k): the note signer for ${k}. */
const struct ledger_note_signer *
hk_cpkey_signer(const struct hk_cpkey *k)
{
	return &k->signer;
}

/** hk_cpkey_free(k): wipe and free; accepts NULL. */
void
hk_cpkey_free(struct hk_cpkey *k)
{
	if (k == NULL)
		return;
	sodium_free(k->sk);
	free(k);
}
