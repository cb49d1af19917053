/* SPDX-License-Identifier: Apache-2.0 */
/* ledger_receipt: offline receipt and proof checks (see ledger_receipt.h). */
#include <string.h>

#include "core/codec.h"
#include "ledger/ledger_receipt.h"

struct cursor {
	const char *p, *end;
};

/* next_line(c, line, n): the next line without its '\n'; -1 at a line
 * that does not end in '\n'. */
static int
next_line(struct cursor *c, const char **line, size_t *n)
{
	const char *eol;

	if (c->p >= c->end ||
	    (eol = memchr(c->p, '\n', (size_t)(c->end - c->p))) == NULL)
		return -1;
	*line = c->p;
	*n = (size_t)(eol - c->p);
	c->p = eol + 1;
	return 0;
}

static int
parse_u64(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Proof lines up to the empty line. */
static int
parse_proof(struct cursor *c, uint8_t proof[LEDGER_PROOF_MAX][LEDGER_HASH_LEN],
    size_t *len)
{
	const char *line;
	size_t n, got;

	*len = 0;
	for (;;) {
		if (next_line(c, &line, &n) != 0)
			return -1;
		if (n == 0)
			return 0;
		if (*len >= LEDGER_PROOF_MAX ||
		    hk_b64_decode(proof[*len], LEDGER_HASH_LEN, line, n, &got) !=
			0 ||
		    got != LEDGER_HASH_LEN)
			return -1;
		(*len)++;
	}
}

static int
open_checkpoint(struct cursor *c, const struct ledger_note_verifier *vs,
    size_t nvs, struct ledger_checkpoint *cp, const char **why)
{
	size_t blen;

	if (ledger_note_open(c->p, (size_t)(c->end - c->p), vs, nvs, &blen) !=
	    0) {
		*why = "checkpoint signature does not verify with the key";
		return HK_EVERIFY;
	}
	if (ledger_note_checkpoint_parse(c->p, blen, cp) != 0) {
		*why = "checkpoint body is malformed";
		return HK_EINVAL;
	}
	return 0;
}

/** ledger_receipt_verify(text, len, vs, nvs, out, why): verify a receipt. */
int
ledger_receipt_verify(const char *text, size_t len,
    const struct ledger_note_verifier *vs, size_t nvs,
    struct ledger_receipt *out, const char **why)
{
	struct cursor c = {text, text + len};
	uint8_t proof[LEDGER_PROOF_MAX][LEDGER_HASH_LEN];
	struct hk_sha256 *h = NULL;
	const char *line;
	size_t n, plen, got;
	int r;

	memset(out, 0, sizeof(*out));
	*why = "malformed receipt";
	if (next_line(&c, &line, &n) != 0 || n != 22 ||
	    memcmp(line, "c2sp.org/tlog-proof@v1", 22) != 0) {
		*why = "not a c2sp.org/tlog-proof@v1 receipt";
		return HK_EINVAL;
	}
	if (next_line(&c, &line, &n) != 0)
		return HK_EINVAL;
	if (n < 6 || memcmp(line, "extra ", 6) != 0) {
		*why = "receipt carries no event (extra line)";
		return HK_EINVAL;
	}
	if ((r = hk_buf_reserve(&out->extra, n)) != 0)
		return r;
	if (hk_b64_decode(out->extra.p, out->extra.cap, line + 6, n - 6, &got) !=
	    0) {
		*why = "extra is not valid base64";
		r = HK_EINVAL;
		goto out;
	}
	out->extra.len = got;
	if (next_line(&c, &line, &n) != 0 || n < 7 ||
	    memcmp(line, "index ", 6) != 0 ||
	    parse_u64(line + 6, n - 6, &out->index) != 0) {
		*why = "index line missing or malformed";
		r = HK_EINVAL;
		goto out;
	}
	if (parse_proof(&c, proof, &plen) != 0) {
		*why = "inclusion proof lines malformed";
		r = HK_EINVAL;
		goto out;
	}
	if ((r = open_checkpoint(&c, vs, nvs, &out->cp, why)) != 0)
		goto out;
	if ((h = hk_sha256_new()) == NULL) {
		r = HK_ENOMEM;
		goto out;
	}
	if ((r = ledger_merkle_leaf_hash(h, out->extra.p, out->extra.len,
		 out->leaf)) != 0)
		goto out;
	if (ledger_merkle_verify_inclusion(h, out->index, out->cp.size,
		out->leaf, (const uint8_t(*)[LEDGER_HASH_LEN])proof, plen,
		out->cp.root) != 0) {
		*why = "inclusion proof does not lead to the checkpoint root";
		r = HK_EVERIFY;
		goto out;
	}
	*why = NULL;
	r = 0;
out:
	hk_sha256_free(h);
	if (r != 0)
		ledger_receipt_release(out);
	return r;
}

/** ledger_receipt_release(r): free the event bytes. */
void
ledger_receipt_release(struct ledger_receipt *r)
{
	hk_buf_release(&r->extra);
}

/** ledger_consistency_verify(...): check a consistency proof text. */
int
ledger_consistency_verify(const char *text, size_t len,
    const struct ledger_note_verifier *vs, size_t nvs, uint64_t old_size,
    const uint8_t old_root[static LEDGER_HASH_LEN],
    struct ledger_checkpoint *out, const char **why)
{
	struct cursor c = {text, text + len};
	uint8_t proof[LEDGER_PROOF_MAX][LEDGER_HASH_LEN];
	struct ledger_checkpoint cp;
	struct hk_sha256 *h;
	const char *line;
	uint64_t m;
	size_t n, plen;
	int r;

	if (next_line(&c, &line, &n) != 0 || n < 5 ||
	    memcmp(line, "old ", 4) != 0 || parse_u64(line + 4, n - 4, &m) != 0) {
		*why = "old line missing or malformed";
		return HK_EINVAL;
	}
	if (m != old_size) {
		*why = "proof is from another old size";
		return HK_EVERIFY;
	}
	if (parse_proof(&c, proof, &plen) != 0) {
		*why = "consistency proof lines malformed";
		return HK_EINVAL;
	}
	if ((r = open_checkpoint(&c, vs, nvs, &cp, why)) != 0)
		return r;
	if ((h = hk_sha256_new()) == NULL)
		return HK_ENOMEM;
	r = ledger_merkle_verify_consistency(h, m, cp.size, old_root, cp.root,
	    (const uint8_t(*)[LEDGER_HASH_LEN])proof, plen);
	hk_sha256_free(h);
	if (r != 0) {
		*why = "consistency proof does not hold: history differs";
		return HK_EVERIFY;
	}
	if (out != NULL)
		*out = cp;
	*why = NULL;
	return 0;
}
