/* SPDX-License-Identifier: Apache-2.0 */
/* ledger_note: C2SP signed notes and checkpoints (see ledger_note.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "core/codec.h"
#include "ledger/ledger_note.h"

#define EM_DASH "\xe2\x80\x94"

/** ledger_note_name_valid(name): printable ASCII, no space or '+'. */
int
ledger_note_name_valid(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > LEDGER_NOTE_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (name[i] <= 0x20 || name[i] >= 0x7f || name[i] == '+')
			return 0;
	return 1;
}

static void
keyid(const char *name, const uint8_t pub[static 32],
    uint8_t out[static LEDGER_NOTE_KEYID_LEN])
{
	crypto_hash_sha256_state st;
	uint8_t h[crypto_hash_sha256_BYTES];
	uint8_t sep[2] = {'\n', LEDGER_NOTE_ALG_ED25519};

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)name, strlen(name));
	crypto_hash_sha256_update(&st, sep, 2);
	crypto_hash_sha256_update(&st, pub, LEDGER_NOTE_ED25519_PUB_LEN);
	crypto_hash_sha256_final(&st, h);
	memcpy(out, h, LEDGER_NOTE_KEYID_LEN);
}

/** ledger_note_signer_init(s, name, pub, sign, arg): fill a signer. */
int
ledger_note_signer_init(struct ledger_note_signer *s, const char *name,
    const uint8_t pub[static LEDGER_NOTE_ED25519_PUB_LEN],
    ledger_note_sign_cb sign, void *arg)
{
	if (!ledger_note_name_valid(name))
		return HK_EINVAL;
	memset(s, 0, sizeof(*s));
	memcpy(s->name, name, strlen(name));
	memcpy(s->pub, pub, LEDGER_NOTE_ED25519_PUB_LEN);
	keyid(name, pub, s->keyid);
	s->sign = sign;
	s->arg = arg;
	return 0;
}

/** ledger_note_vkey(name, pub, out): append "<name>+<keyid>+<b64>". */
int
ledger_note_vkey(const char *name,
    const uint8_t pub[static LEDGER_NOTE_ED25519_PUB_LEN], struct hk_buf *out)
{
	uint8_t id[LEDGER_NOTE_KEYID_LEN], key[1 + LEDGER_NOTE_ED25519_PUB_LEN];
	char hex[2 * LEDGER_NOTE_KEYID_LEN + 1];
	int r;

	if (!ledger_note_name_valid(name))
		return HK_EINVAL;
	keyid(name, pub, id);
	hk_hex_encode(hex, id, sizeof(id));
	key[0] = LEDGER_NOTE_ALG_ED25519;
	memcpy(key + 1, pub, LEDGER_NOTE_ED25519_PUB_LEN);
	if ((r = hk_buf_printf(out, "%s+%s+", name, hex)) != 0 ||
	    (r = hk_b64_append(out, key, sizeof(key))) != 0)
		return r;
	return 0;
}

/** ledger_note_vkey_parse(text, len, v): parse and check a verifier key. */
int
ledger_note_vkey_parse(const char *text, size_t len,
    struct ledger_note_verifier *v)
{
	const char *p1, *p2;
	uint8_t id[LEDGER_NOTE_KEYID_LEN], key[64];
	size_t n, idlen, nlen;

	/* Tolerate one trailing newline, as from a file. */
	if (len > 0 && text[len - 1] == '\n')
		len--;
	if ((p1 = memchr(text, '+', len)) == NULL)
		return HK_EINVAL;
	nlen = (size_t)(p1 - text);
	if (nlen == 0 || nlen > LEDGER_NOTE_NAME_MAX)
		return HK_EINVAL;
	if ((p2 = memchr(p1 + 1, '+', len - nlen - 1)) == NULL)
		return HK_EINVAL;
	memset(v, 0, sizeof(*v));
	memcpy(v->name, text, nlen);
	if (!ledger_note_name_valid(v->name))
		return HK_EINVAL;
	if ((size_t)(p2 - p1 - 1) != 2 * LEDGER_NOTE_KEYID_LEN ||
	    hk_hex_decode(id, sizeof(id), p1 + 1, (size_t)(p2 - p1 - 1),
		&idlen) != 0)
		return HK_EINVAL;
	if (hk_b64_decode(key, sizeof(key), p2 + 1,
		(size_t)(text + len - p2 - 1), &n) != 0)
		return HK_EINVAL;
	if (n != 1 + LEDGER_NOTE_ED25519_PUB_LEN ||
	    key[0] != LEDGER_NOTE_ALG_ED25519)
		return HK_EINVAL;
	memcpy(v->pub, key + 1, LEDGER_NOTE_ED25519_PUB_LEN);
	keyid(v->name, v->pub, v->keyid);
	if (memcmp(v->keyid, id, LEDGER_NOTE_KEYID_LEN) != 0)
		return HK_EINVAL;
	return 0;
}

/** ledger_note_checkpoint_body(origin, size, root, out): append a body. */
int
ledger_note_checkpoint_body(const char *origin, uint64_t size,
    const uint8_t root[static 32], struct hk_buf *out)
{
	int r;

	if (!ledger_note_name_valid(origin))
		return HK_EINVAL;
	if ((r = hk_buf_printf(out, "%s\n%" PRIu64 "\n", origin, size)) != 0 ||
	    (r = hk_b64_append(out, root, 32)) != 0 ||
	    (r = hk_buf_putc(out, '\n')) != 0)
		return r;
	return 0;
}

/** ledger_note_sign(s, body, len, out): append a signed note. */
int
ledger_note_sign(const struct ledger_note_signer *s, const char *body,
    size_t len, struct hk_buf *out)
{
	uint8_t sig[LEDGER_NOTE_KEYID_LEN + LEDGER_NOTE_ED25519_SIG_LEN];
	int r;

	if (len == 0 || body[len - 1] != '\n')
		return HK_EINVAL;
	memcpy(sig, s->keyid, LEDGER_NOTE_KEYID_LEN);
	if ((r = s->sign(s->arg, (const uint8_t *)body, len,
		 sig + LEDGER_NOTE_KEYID_LEN)) != 0)
		return r;
	if ((r = hk_buf_put(out, body, len)) != 0 ||
	    (r = hk_buf_printf(out, "\n" EM_DASH " %s ", s->name)) != 0 ||
	    (r = hk_b64_append(out, sig, sizeof(sig))) != 0 ||
	    (r = hk_buf_putc(out, '\n')) != 0)
		return r;
	return 0;
}

/* The text part may hold only UTF-8 without control characters but '\n'. */
static int
text_ok(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if ((c < 0x20 && c != '\n') || c == 0x7f)
			return 0;
	}
	return hk_utf8_valid((const uint8_t *)p, n);
}

/** ledger_note_open(note, len, vs, nvs, body_len): verify a signed note. */
int
ledger_note_open(const char *note, size_t len,
    const struct ledger_note_verifier *vs, size_t nvs, size_t *body_len)
{
	const char *sigs = NULL, *p, *end = note + len;
	size_t i, tlen, nsigs = 0;
	int verified = 0;

	if (len == 0 || note[len - 1] != '\n' || !text_ok(note, len))
		return HK_EINVAL;
	/* Split at the last empty line. */
	for (p = end - 1; p > note; p--) {
		if (p[0] == '\n' && p[-1] == '\n') {
			sigs = p + 1;
			break;
		}
	}
	if (sigs == NULL || sigs >= end)
		return HK_EINVAL;
	tlen = (size_t)(sigs - note) - 1; /* text ends with its own '\n' */
	for (p = sigs; p < end;) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *name, *sp;
		uint8_t raw[LEDGER_NOTE_KEYID_LEN + LEDGER_NOTE_ED25519_SIG_LEN +
		    1];
		size_t nlen, rawlen;

		if (eol == NULL)
			return HK_EINVAL;
		if (++nsigs > LEDGER_NOTE_MAX_SIGS)
			return HK_EINVAL;
		if ((size_t)(eol - p) < 5 || memcmp(p, EM_DASH " ", 4) != 0)
			return HK_EINVAL;
		name = p + 4;
		if ((sp = memchr(name, ' ', (size_t)(eol - name))) == NULL)
			return HK_EINVAL;
		nlen = (size_t)(sp - name);
		if (nlen == 0 || nlen > LEDGER_NOTE_NAME_MAX)
			return HK_EINVAL;
		/* The signature may be of a kind we do not know: decode into a
		 * bounded buffer and skip what does not fit an Ed25519 one. */
		for (i = 0; i < nvs; i++) {
			if (strlen(vs[i].name) != nlen ||
			    memcmp(vs[i].name, name, nlen) != 0)
				continue;
			if (hk_b64_decode(raw, sizeof(raw), sp + 1,
				(size_t)(eol - sp - 1), &rawlen) != 0 ||
			    rawlen < LEDGER_NOTE_KEYID_LEN ||
			    memcmp(raw, vs[i].keyid, LEDGER_NOTE_KEYID_LEN) != 0)
				continue; /* same name, other key: ignore */
			if (rawlen != LEDGER_NOTE_KEYID_LEN +
				LEDGER_NOTE_ED25519_SIG_LEN ||
			    crypto_sign_verify_detached(
				raw + LEDGER_NOTE_KEYID_LEN,
				(const uint8_t *)note, tlen, vs[i].pub) != 0)
				return HK_EVERIFY;
			verified = 1;
		}
		p = eol + 1;
	}
	if (!verified)
		return HK_EVERIFY;
	*body_len = tlen;
	return 0;
}

static int
parse_line(const char **p, const char *end, const char **line, size_t *n)
{
	const char *eol = memchr(*p, '\n', (size_t)(end - *p));

	if (eol == NULL)
		return HK_EINVAL;
	*line = *p;
	*n = (size_t)(eol - *p);
	*p = eol + 1;
	return 0;
}

/** ledger_note_checkpoint_parse(body, len, cp): parse a checkpoint body. */
int
ledger_note_checkpoint_parse(const char *body, size_t len,
    struct ledger_checkpoint *cp)
{
	const char *p = body, *end = body + len, *line;
	size_t n, i, rlen;
	uint64_t size = 0;

	memset(cp, 0, sizeof(*cp));
	if (parse_line(&p, end, &line, &n) != 0 || n == 0 ||
	    n > LEDGER_NOTE_NAME_MAX)
		return HK_EINVAL;
	memcpy(cp->origin, line, n);
	if (!ledger_note_name_valid(cp->origin))
		return HK_EINVAL;
	if (parse_line(&p, end, &line, &n) != 0 || n == 0 || n > 20 ||
	    (n > 1 && line[0] == '0'))
		return HK_EINVAL;
	for (i = 0; i < n; i++) {
		if (line[i] < '0' || line[i] > '9' ||
		    size > (UINT64_MAX - 9) / 10)
			return HK_EINVAL;
		size = size * 10 + (uint64_t)(line[i] - '0');
	}
	cp->size = size;
	if (parse_line(&p, end, &line, &n) != 0 ||
	    hk_b64_decode(cp->root, sizeof(cp->root), line, n, &rlen) != 0 ||
	    rlen != 32)
		return HK_EINVAL;
	if (p != end)
		return HK_EINVAL; /* extension lines are not used by Hanko */
	return 0;
}
