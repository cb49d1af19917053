/* SPDX-License-Identifier: Apache-2.0 */
/*
 * front_harness: runs the network front (net/front.c) against a FAKE CORE,
 * for tests/integration/3x-front.sh (NET-1, NET-2, NET-3, ACT-5, OPS-6).
 * The fake core is a test double for the real core only: a thread on the
 * other end of the socketpair that decodes each request frame strictly
 * (hk_ipc_decode), appends what it saw to a record file (one line per
 * request: id, type, listener, peer, client fingerprint and subject,
 * Authorization, request id) and answers HEALTH and READY the way the
 * core's contract in core/ipc.h says. Words of the Authorization value
 * starting with "x-" steer it, so that one front can be driven through
 * every case by independent HTTP clients:
 *   x-delay-MS   answer after MS milliseconds
 *   x-silent     never answer
 *   x-close      close the channel (the front must then exit non-zero)
 *   x-garbage    answer with a frame that is not msgpack
 *   x-badid      answer with an id the front never issued
 *   x-notready   READY: 503 {ledger: true, hsm: false, reason}
 *   x-badready   READY: 200 with an unknown key (must become 502)
 *   x-status-500 HEALTH: status 500 (must become 502)
 *
 * The admin and signer API types (docs/admin-api.md, types 10-45) are
 * answered with CANNED maps written out below by hand from the contract
 * (an id the request carries at key 1 is echoed back), so that the
 * tests can compare what the client receives with the JSON the contract
 * gives. The record line of every request ends with " body=" and the
 * request body as JSON (map keys as decimal strings), so the tests see
 * exactly which keys and values the core received. Since admin routes do
 * not forward Authorization, these answers are steered by a one-shot file
 * (--steer FILE): when it exists as a request arrives, its first word is
 * read and the file removed:
 *   status-NNN  an error answer {1: code, 2: "fake core error NNN"} with
 *               the contract's code for NNN (400, 401, 403, 404, 409,
 *               410, 423, 500, 503)
 *   badcode     409 with the code "forbidden" (must become 502)
 *   badkey      the canned map plus an unknown key 99 (502)
 *   badtype     {1: true} (no route has a bool at key 1: 502)
 *   missing     {} (every route has a required field: 502)
 *
 * The CSC types (docs/csc-api.md, types 50-57) get canned answers too:
 * credentials/list adds credentialInfos when the request's credentialInfo
 * (key 1) is true and echoes onlyValid (key 5); signHash answers one
 * signature per hash (the bytes "sig:" followed by the hash) with ledger
 * seqs 100, 101, ...; revoke answers 204 {}. On these routes the steering
 * word csc-CODE answers CSC's error pair for CODE (invalid_request,
 * invalid_authentication_data, authentication_error: 400; invalid_token:
 * 401; temporarily_unavailable: 503) with the description "fake core
 * error CODE"; status-NNN and badcode give pairs outside CSC's (502).
 *
 * usage: front_harness --signing PORT --admin PORT --cert PEM --key PEM
 *            --client-ca PEM [--host H] [--max-connections N] [--idle S]
 *            [--header S] [--body S] [--core-timeout-ms MS]
 *            [--drain-ms MS] [--record FILE] [--steer FILE]
 * Prints "ready" on stdout once listening. Exits 0 when net_front_run
 * returned 0 (SIGTERM drained), 3 when it returned an error, 2 on a
 * set-up failure.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/codec.h"
#include "core/config.h"
#include "core/ipc.h"
#include "core/log.h"
#include "core/mpk.h"
#include "net/front.h"

/* A delayed answer of the fake core. */
struct later {
	uint64_t due_ms;
	struct hk_buf frame;
	struct later *next;
};

struct fake_core {
	int fd;
	FILE *record;
	const char *steer; /* the one-shot steering file, or NULL */
	struct later *queue;
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* find_word(auth, word): the rest of the first space-separated word of
 * the Authorization value that starts with ${word}, or NULL. */
static const char *
find_word(struct hk_bytes auth, const char *word)
{
	size_t wl = strlen(word), i = 0;

	while (i < auth.n) {
		size_t j = i;

		while (j < auth.n && auth.p[j] != ' ')
			j++;
		if (j - i >= wl && memcmp(auth.p + i, word, wl) == 0)
			return (const char *)auth.p + i + wl;
		i = j + 1;
	}
	return NULL;
}

/* value_json(r): one msgpack value as JSON (map keys as decimal
 * strings, bin as "bin:" and hex); NULL on a malformed value. */
static json_t *
value_json(struct hk_mpk_reader *r)
{
	enum hk_mpk_kind k;
	struct hk_bytes b;
	json_t *v = NULL, *item;
	uint64_t u, key;
	int64_t i64;
	uint32_t n, i;
	bool bv;
	char kbuf[24], *hex;

	if (hk_mpk_peek(r, &k) != 0)
		return NULL;
	switch (k) {
	case HK_MPK_NIL:
		return hk_mpk_get_nil(r) == 0 ? json_null() : NULL;
	case HK_MPK_BOOL:
		return hk_mpk_get_bool(r, &bv) == 0 ? json_boolean(bv) : NULL;
	case HK_MPK_UINT:
		return hk_mpk_get_uint(r, &u) == 0 ?
		    json_integer((json_int_t)u) :
		    NULL;
	case HK_MPK_NINT:
		return hk_mpk_get_int(r, &i64) == 0 ? json_integer(i64) : NULL;
	case HK_MPK_STR:
		return hk_mpk_get_str(r, &b) == 0 ?
		    json_stringn((const char *)b.p, b.n) :
		    NULL;
	case HK_MPK_BIN:
		if (hk_mpk_get_bin(r, &b) != 0 ||
		    (hex = malloc(2 * b.n + 5)) == NULL)
			return NULL;
		memcpy(hex, "bin:", 4);
		hk_hex_encode(hex + 4, b.p, b.n);
		v = json_string(hex);
		free(hex);
		return v;
	case HK_MPK_ARRAY:
		if (hk_mpk_get_array(r, &n) != 0 || (v = json_array()) == NULL)
			return NULL;
		for (i = 0; i < n; i++)
			if ((item = value_json(r)) == NULL ||
			    json_array_append_new(v, item) != 0)
				goto bad;
		return v;
	case HK_MPK_MAP:
		if (hk_mpk_get_map(r, &n) != 0 || (v = json_object()) == NULL)
			return NULL;
		for (i = 0; i < n; i++) {
			if (hk_mpk_get_uint(r, &key) != 0 ||
			    (item = value_json(r)) == NULL)
				goto bad;
			snprintf(kbuf, sizeof(kbuf), "%llu",
			    (unsigned long long)key);
			if (json_object_set_new(v, kbuf, item) != 0)
				goto bad;
		}
		return v;
	}
bad:
	json_decref(v);
	return NULL;
}

static void
record(struct fake_core *fc, const struct hk_ipc_msg *m)
{
	struct hk_mpk_reader r;
	json_t *body;
	char fp[65], type[24], *text = NULL;

	if (fc->record == NULL)
		return;
	hk_mpk_reader_init(&r, m->body.p, m->body.n);
	if ((body = value_json(&r)) != NULL)
		text = json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(body);
	if (m->type == HK_IPC_HEALTH || m->type == HK_IPC_READY)
		snprintf(type, sizeof(type), "%s",
		    m->type == HK_IPC_HEALTH ? "HEALTH" : "READY");
	else
		snprintf(type, sizeof(type), "%llu",
		    (unsigned long long)m->type);
	if (m->ctx.has_client_cert)
		hk_hex_encode(fp, m->ctx.client_fp, 32);
	else
		strcpy(fp, "-");
	fprintf(fc->record,
	    "id=%llu type=%s listener=%s peer=%.*s fp=%s subject=%.*s "
	    "auth=%.*s rid=%.*s body=%s\n",
	    (unsigned long long)m->id, type,
	    m->ctx.listener == HK_IPC_ADMIN ? "admin" : "signing",
	    (int)m->ctx.peer.n, (const char *)m->ctx.peer.p, fp,
	    (int)m->ctx.client_subject.n,
	    (const char *)m->ctx.client_subject.p,
	    m->ctx.authorization.n ? (int)m->ctx.authorization.n : 1,
	    m->ctx.authorization.n ? (const char *)m->ctx.authorization.p :
				     "-",
	    (int)m->ctx.request_id.n, (const char *)m->ctx.request_id.p,
	    text != NULL ? text : "?");
	free(text);
	fflush(fc->record);
}

/* steer_take(fc, word, len): the one-shot steering word, "" if none. */
static void
steer_take(struct fake_core *fc, char *word, size_t len)
{
	FILE *f;

	word[0] = '\0';
	if (fc->steer == NULL || (f = fopen(fc->steer, "r")) == NULL)
		return;
	if (fscanf(f, "%47s", word) != 1)
		word[0] = '\0';
	fclose(f);
	(void)len;
	unlink(fc->steer);
}

/* req_str(m, key, out): the str at ${key} of the request body, or "". */
static struct hk_bytes
req_str(const struct hk_ipc_msg *m, uint64_t key)
{
	struct hk_mpk_reader r;
	struct hk_bytes s = {(const uint8_t *)"", 0};
	uint64_t k;
	uint32_t n, i;

	hk_mpk_reader_init(&r, m->body.p, m->body.n);
	if (hk_mpk_get_map(&r, &n) != 0)
		return s;
	for (i = 0; i < n; i++) {
		if (hk_mpk_get_uint(&r, &k) != 0)
			break;
		if (k == key && hk_mpk_get_str(&r, &s) == 0)
			return s;
		if (hk_mpk_skip(&r, NULL) != 0)
			break;
	}
	return (struct hk_bytes){(const uint8_t *)"", 0};
}

/* req_find(m, key, r): position ${r} at the value of ${key} in the
 * request body; false when absent. */
static bool
req_find(const struct hk_ipc_msg *m, uint64_t key, struct hk_mpk_reader *r)
{
	uint64_t k;
	uint32_t n, i;

	hk_mpk_reader_init(r, m->body.p, m->body.n);
	if (hk_mpk_get_map(r, &n) != 0)
		return false;
	for (i = 0; i < n; i++) {
		if (hk_mpk_get_uint(r, &k) != 0)
			return false;
		if (k == key)
			return true;
		if (hk_mpk_skip(r, NULL) != 0)
			return false;
	}
	return false;
}

/* req_bool(m, key, b): the bool at ${key}; false when absent. */
static bool
req_bool(const struct hk_ipc_msg *m, uint64_t key, bool *b)
{
	struct hk_mpk_reader r;

	return req_find(m, key, &r) && hk_mpk_get_bool(&r, b) == 0;
}

#define K(k) hk_mpk_put_uint(w, k)
#define S(v) hk_mpk_put_cstr(w, v)
#define U(v) hk_mpk_put_uint(w, v)
#define B(v) hk_mpk_put_bool(w, v)
#define ECHO(key) \
	do { \
		struct hk_bytes e_ = req_str(m, key); \
		hk_mpk_put_str(w, (const char *)e_.p, e_.n); \
	} while (0)

static const char FP_ADMIN[] =
    "1111111111111111111111111111111111111111111111111111111111111111";
static const char FP_SO[] =
    "2222222222222222222222222222222222222222222222222222222222222222";

#define CSC_CID_A "c-00000000000000c1"
#define CSC_CID_B "c-00000000000000c2"
#define CSC_ES256 "1.2.840.10045.4.3.2"

/* csc_cred_info(w, extra): the credentials/info map of CSC_CID_A (level
 * 2, P-256, a chain of two DER certificates), ${extra} more pairs. */
static void
csc_cred_info(struct hk_mpk_writer *w, uint32_t extra)
{
	hk_mpk_put_map(w, 8 + extra);
	K(1); S("Taro's signing key");
	K(2); hk_mpk_put_map(w, 4);
	K(1); S("enabled");
	K(2); hk_mpk_put_array(w, 1); S(CSC_ES256);
	K(3); U(256);
	K(4); S("1.2.840.10045.3.1.7");
	K(3); hk_mpk_put_map(w, 7);
	K(1); S("valid");
	K(2); hk_mpk_put_array(w, 2);
	hk_mpk_put_bin(w, "\x30\x82\x01\xfb", 4);
	hk_mpk_put_bin(w, "\x30\x82\x01\xfe\xff", 5);
	K(3); S("CN=Hanko Test CA");
	K(4); S("CN=Taro Yamada,O=Example KK,C=JP");
	K(5); S("5aac41cd8fa22b953640");
	K(6); S("20240101000000Z");
	K(7); S("20260101000000Z");
	K(4); hk_mpk_put_map(w, 3);
	K(1); S("explicit");
	K(2); S("PIN AND OTP");
	K(3); hk_mpk_put_array(w, 2);
	hk_mpk_put_map(w, 4);
	K(1); S("Password");
	K(2); S("PIN");
	K(3); S("N");
	K(4); S("PIN");
	hk_mpk_put_map(w, 5);
	K(1); S("Password");
	K(2); S("OTP");
	K(3); S("N");
	K(4); S("OTP");
	K(5); S("totp");
	K(5); S("2");
	K(6); U(5);
	K(7); S("en-US");
	K(8); U(2);
}

/* csc_canned(m, w, extra): the canned answers to the CSC types. */
static int
csc_canned(const struct hk_ipc_msg *m, struct hk_mpk_writer *w,
    uint32_t extra)
{
	struct hk_mpk_reader r;
	struct hk_bytes h;
	uint8_t sig[512];
	uint32_t n = 0, i;
	bool b = false, infos, only;

	switch (m->type) {
	case HK_IPC_CSC_INFO:
		hk_mpk_put_map(w, 11 + extra);
		K(1); S("2.0.0.2");
		K(2); S("Hanko");
		K(3); S("https://hanko.test/logo.png");
		K(4); S("JP");
		K(5); S("en-US");
		K(6); S("Hanko remote signing (fake core)");
		K(7); hk_mpk_put_array(w, 1); S("basic");
		K(8); hk_mpk_put_array(w, 7);
		S("auth/login"); S("auth/revoke"); S("credentials/list");
		S("credentials/info"); S("credentials/authorize");
		S("credentials/extendTransaction"); S("signatures/signHash");
		K(9); hk_mpk_put_map(w, 1);
		K(1); hk_mpk_put_array(w, 2);
		S(CSC_ES256); S("1.2.840.113549.1.1.11");
		K(10); hk_mpk_put_map(w, 2);
		K(1); hk_mpk_put_array(w, 1); S("C");
		K(2); hk_mpk_put_array(w, 1); hk_mpk_put_array(w, 2);
		S("Detached"); S("Attached");
		K(11); hk_mpk_put_array(w, 0);
		return 200;
	case HK_IPC_CSC_LOGIN:
		hk_mpk_put_map(w, 2 + extra);
		K(1); S("tok-FAKE-access-token-0001");
		K(2); U(28800);
		return 200;
	case HK_IPC_CSC_REVOKE:
		hk_mpk_put_map(w, 0 + extra);
		return 204;
	case HK_IPC_CSC_LIST:
		infos = req_bool(m, 1, &b) && b;
		only = req_bool(m, 5, &b);
		hk_mpk_put_map(w, 1 + infos + only + extra);
		K(1); hk_mpk_put_array(w, 2); S(CSC_CID_A); S(CSC_CID_B);
		if (infos) {
			/* One item: credentials/info plus key 20. */
			K(2); hk_mpk_put_array(w, 1);
			csc_cred_info(w, 1);
			K(20); S(CSC_CID_A);
		}
		if (only) {
			K(3); B(b);
		}
		return 200;
	case HK_IPC_CSC_CRED_INFO:
		csc_cred_info(w, extra);
		return 200;
	case HK_IPC_CSC_AUTHORIZE:
	case HK_IPC_CSC_EXTEND:
		hk_mpk_put_map(w, 2 + extra);
		K(1);
		S(m->type == HK_IPC_CSC_AUTHORIZE ? "SAD-FAKE-authorized-1" :
						    "SAD-FAKE-extended-2");
		K(2); U(300);
		return 200;
	case HK_IPC_CSC_SIGN_HASH:
		hk_mpk_put_map(w, 2 + extra);
		K(1);
		if (req_find(m, 3, &r) && hk_mpk_get_array(&r, &n) == 0) {
			hk_mpk_put_array(w, n);
			for (i = 0; i < n; i++) {
				if (hk_mpk_get_bin(&r, &h) != 0 ||
				    h.n > sizeof(sig) - 4)
					h.n = 0;
				memcpy(sig, "sig:", 4);
				if (h.n > 0)
					memcpy(sig + 4, h.p, h.n);
				hk_mpk_put_bin(w, sig, 4 + h.n);
			}
		} else {
			hk_mpk_put_array(w, 0);
		}
		K(2); hk_mpk_put_array(w, n);
		for (i = 0; i < n; i++)
			U(100 + i);
		return 200;
	}
	return 0;
}

/*
 * canned(m, w, extra): the fake core's success answer for an API type
 * (docs/admin-api.md, response fields), with ${extra} more pairs in the
 * top map (written by the caller after it). Returns the status, 0 for a
 * type this fake core does not know.
 */
static int
canned(const struct hk_ipc_msg *m, struct hk_mpk_writer *w, uint32_t extra)
{
	switch (m->type) {
	case HK_IPC_ADMIN_STATUS:
		hk_mpk_put_map(w, 5 + extra);
		K(1); S("hanko.test/fake");
		K(2); U(42);
		K(3); U(3);
		K(4); U(5);
		K(5); S("administrator");
		return 200;
	case HK_IPC_USERS_LIST:
		hk_mpk_put_map(w, 1 + extra);
		K(1); hk_mpk_put_array(w, 2);
		hk_mpk_put_map(w, 4);
		K(1); S(FP_ADMIN);
		K(2); S("CN=admin");
		K(3); S("administrator");
		K(4); B(true);
		hk_mpk_put_map(w, 4);
		K(1); S(FP_SO);
		K(2); S("CN=officer,O=Hanko");
		K(3); S("security_officer");
		K(4); B(false);
		return 200;
	case HK_IPC_USERS_ADD:
	case HK_IPC_USERS_REMOVE:
	case HK_IPC_CREDENTIAL_DESTROY:
	case HK_IPC_CREDENTIAL_UNLOCK:
		hk_mpk_put_map(w, 1 + extra);
		K(1); S("a-00000000000000aa");
		return 202;
	case HK_IPC_APPROVALS_LIST:
		hk_mpk_put_map(w, 1 + extra);
		K(1); hk_mpk_put_array(w, 1);
		hk_mpk_put_map(w, 5);
		K(1); S("a-00000000000000aa");
		K(2); S("users.add");
		K(3); S(FP_SO);
		K(4); S(FP_ADMIN);
		K(5); U(1700086400);
		return 200;
	case HK_IPC_APPROVAL_DECIDE:
		hk_mpk_put_map(w, 2 + extra);
		K(1); ECHO(1);
		K(2);
		S(req_str(m, 2).n == 7 ? "approved" : "rejected");
		return 200;
	case HK_IPC_SIGNER_REGISTER:
		hk_mpk_put_map(w, 1 + extra);
		K(1); S("s-00000000000000bb");
		return 201;
	case HK_IPC_SIGNER_GET:
		hk_mpk_put_map(w, 8 + extra);
		K(1); ECHO(1);
		K(2); S("natural");
		K(3); S("\xe5\xb1\xb1\xe7\x94\xb0 \xe5\xa4\xaa\xe9\x83\x8e");
		K(4); S("Example KK");
		K(5); S("taro@example.jp");
		K(6); S("JPKI-0001");
		K(7); B(false);
		K(8); hk_mpk_put_array(w, 1);
		hk_mpk_put_map(w, 2);
		K(1); S("c-00000000000000cc");
		K(2); S("active");
		return 200;
	case HK_IPC_SIGNER_ERASE:
		hk_mpk_put_map(w, 1 + extra);
		K(1); ECHO(1);
		return 200;
	case HK_IPC_CREDENTIAL_CREATE:
		hk_mpk_put_map(w, 3 + extra);
		K(1); S("c-00000000000000cc");
		K(2); S("ENROLL-fake-code-7");
		K(3); U(1700003600);
		return 201;
	case HK_IPC_CREDENTIAL_GET:
		/* Before a certificate: keys 8 and 9 absent. */
		hk_mpk_put_map(w, 7 + extra);
		K(1); ECHO(1);
		K(2); S("s-00000000000000bb");
		K(3); S("key_generated");
		K(4); B(false);
		K(5); S("p256");
		K(6); U(2);
		K(7); S("kfp-0001");
		return 200;
	case HK_IPC_CREDENTIAL_KEY:
	case HK_IPC_CREDENTIAL_RENEW:
		hk_mpk_put_map(w, 2 + extra);
		K(1); S("kfp-0001");
		K(2); S("-----BEGIN PUBLIC KEY-----\nMFk=\n-----END PUBLIC "
			"KEY-----\n");
		return 200;
	case HK_IPC_CREDENTIAL_CSR:
	case HK_IPC_SIGNER_CSR_GET:
		hk_mpk_put_map(w, 2 + extra);
		K(1); S("CN=Taro Yamada,O=Example KK,C=JP");
		K(2); S("awaiting_signer");
		return 200;
	case HK_IPC_CREDENTIAL_CSR_GET:
		hk_mpk_put_map(w, 1 + extra);
		K(1); S("-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END "
			"CERTIFICATE REQUEST-----\n");
		return 200;
	case HK_IPC_CREDENTIAL_CERTIFICATE:
		hk_mpk_put_map(w, 3 + extra);
		K(1); ECHO(1);
		K(2); S("active");
		K(3); S("cfp-0001");
		return 200;
	case HK_IPC_CREDENTIAL_SUSPEND:
	case HK_IPC_SIGNER_SUSPEND:
		hk_mpk_put_map(w, 1 + extra);
		K(1); S("suspended");
		return 200;
	case HK_IPC_CREDENTIAL_RESUME:
		hk_mpk_put_map(w, 1 + extra);
		K(1); S("active");
		return 200;
	case HK_IPC_SIGNER_ENROLL:
		hk_mpk_put_map(w, 3 + extra);
		K(1); S("s-00000000000000bb");
		K(2); S("c-00000000000000cc");
		K(3); S("otpauth://totp/Hanko:s-00000000000000bb?secret="
			"JBSWY3DPEHPK3PXP&issuer=Hanko");
		return 201;
	case HK_IPC_SIGNER_CSR_CONFIRM:
		hk_mpk_put_map(w, 1 + extra);
		K(1); S("confirmed");
		return 200;
	case HK_IPC_SIGNER_NONCE:
		hk_mpk_put_map(w, 2 + extra);
		K(1); S("n-fake-nonce-1");
		K(2); U(60);
		return 200;
	case HK_IPC_SIGNER_DESTROY:
		hk_mpk_put_map(w, 1 + extra);
		K(1); S("destroyed");
		return 200;
	}
	return csc_canned(m, w, extra);
}

/* The CSC error pairs (docs/csc-api.md), written out here
 * independently; 0 for another code. */
static int
csc_status(const char *code)
{
	if (strcmp(code, "invalid_request") == 0 ||
	    strcmp(code, "invalid_authentication_data") == 0 ||
	    strcmp(code, "authentication_error") == 0)
		return 400;
	if (strcmp(code, "invalid_token") == 0)
		return 401;
	if (strcmp(code, "temporarily_unavailable") == 0)
		return 503;
	return 0;
}

/* The error codes of the contract, written out here independently. */
static const char *
contract_code(int status)
{
	switch (status) {
	case 400: return "invalid_request";
	case 401: return "unauthorized";
	case 403: return "forbidden";
	case 404: return "not_found";
	case 409: return "conflict";
	case 410: return "gone";
	case 423: return "locked";
	case 500: return "internal_error";
	case 503: return "unavailable";
	}
	return "teapot";
}

/* answer_api(fc, m, w): the body of the answer to an API request, steered
 * by the one-shot file; returns the status. */
static int
answer_api(struct fake_core *fc, const struct hk_ipc_msg *m,
    struct hk_mpk_writer *w)
{
	char word[48], desc[80];
	int st;

	steer_take(fc, word, sizeof(word));
	if (strncmp(word, "csc-", 4) == 0 && csc_status(word + 4) != 0) {
		snprintf(desc, sizeof(desc), "fake core error %s", word + 4);
		hk_mpk_put_map(w, 2);
		K(1); S(word + 4);
		K(2); S(desc);
		return csc_status(word + 4);
	}
	if (strncmp(word, "status-", 7) == 0 || strcmp(word, "badcode") == 0) {
		st = word[0] == 's' ? atoi(word + 7) : 409;
		snprintf(desc, sizeof(desc), "fake core error %d", st);
		hk_mpk_put_map(w, 2);
		K(1); S(word[0] == 's' ? contract_code(st) : "forbidden");
		K(2); S(desc);
		return st;
	}
	if (strcmp(word, "badtype") == 0) {
		hk_mpk_put_map(w, 1);
		K(1); B(true);
		return 200;
	}
	if (strcmp(word, "missing") == 0) {
		hk_mpk_put_map(w, 0);
		return 200;
	}
	st = canned(m, w, strcmp(word, "badkey") == 0 ? 1 : 0);
	if (st == 0) {
		hk_mpk_put_map(w, 2);
		K(1); S("internal_error");
		K(2); S("the fake core does not know this type");
		return 500;
	}
	if (strcmp(word, "badkey") == 0) {
		K(99);
		S("surprise");
	}
	return st;
}

#undef K
#undef S
#undef U
#undef B
#undef ECHO

/* answer(fc, m, out): the fake core's answer frame to ${m} in ${out};
 * returns the delay in ms, -1 for none (x-silent), -2 to close. */
static long
answer(struct fake_core *fc, const struct hk_ipc_msg *m, struct hk_buf *out)
{
	struct hk_ipc_msg a;
	struct hk_buf body = HK_BUF_INIT;
	struct hk_mpk_writer w;
	const char *d;
	long delay = 0;
	int r;

	if (find_word(m->ctx.authorization, "x-close") != NULL)
		return -2;
	if (find_word(m->ctx.authorization, "x-silent") != NULL)
		return -1;
	if ((d = find_word(m->ctx.authorization, "x-delay-")) != NULL)
		delay = strtol(d, NULL, 10);
	if (find_word(m->ctx.authorization, "x-garbage") != NULL) {
		/* A frame of 3 bytes that are no msgpack message. */
		r = hk_buf_put(out, "\0\0\0\3\xc1\xc1\xc1", 7);
		return r == 0 ? delay : -1;
	}
	memset(&a, 0, sizeof(a));
	a.response = true;
	a.id = m->id;
	if (find_word(m->ctx.authorization, "x-badid") != NULL)
		a.id = m->id + 1000000;
	a.status = 200;
	hk_mpk_writer_init(&w, &body);
	if (m->type != HK_IPC_HEALTH && m->type != HK_IPC_READY) {
		a.status = (uint64_t)answer_api(fc, m, &w);
	} else if (m->type == HK_IPC_HEALTH) {
		if (find_word(m->ctx.authorization, "x-status-500") != NULL)
			a.status = 500;
		hk_mpk_put_map(&w, 0);
	} else if (find_word(m->ctx.authorization, "x-notready") != NULL) {
		a.status = 503;
		hk_mpk_put_map(&w, 3);
		hk_mpk_put_uint(&w, HK_IPC_READY_LEDGER);
		hk_mpk_put_bool(&w, true);
		hk_mpk_put_uint(&w, HK_IPC_READY_HSM);
		hk_mpk_put_bool(&w, false);
		hk_mpk_put_uint(&w, HK_IPC_READY_REASON);
		hk_mpk_put_cstr(&w, "HSM self-test failed");
	} else if (find_word(m->ctx.authorization, "x-badready") != NULL) {
		hk_mpk_put_map(&w, 3);
		hk_mpk_put_uint(&w, HK_IPC_READY_LEDGER);
		hk_mpk_put_bool(&w, true);
		hk_mpk_put_uint(&w, HK_IPC_READY_HSM);
		hk_mpk_put_bool(&w, true);
		hk_mpk_put_uint(&w, 9);
		hk_mpk_put_bool(&w, true);
	} else {
		hk_mpk_put_map(&w, 2);
		hk_mpk_put_uint(&w, HK_IPC_READY_LEDGER);
		hk_mpk_put_bool(&w, true);
		hk_mpk_put_uint(&w, HK_IPC_READY_HSM);
		hk_mpk_put_bool(&w, true);
	}
	a.body = (struct hk_bytes){body.p, body.len};
	if ((r = hk_mpk_writer_status(&w)) == 0)
		r = hk_ipc_encode(&a, out);
	hk_buf_release(&body);
	if (r != 0) {
		fprintf(stderr, "fake core: encode: %s\n", hk_strerror(r));
		return -1;
	}
	return delay;
}

static void
enqueue(struct fake_core *fc, struct hk_buf *frame, long delay)
{
	struct later *l = calloc(1, sizeof(*l)), **pp;

	if (l == NULL) {
		hk_buf_release(frame);
		return;
	}
	l->due_ms = now_ms() + (uint64_t)delay;
	l->frame = *frame;
	*frame = (struct hk_buf)HK_BUF_INIT;
	for (pp = &fc->queue; *pp != NULL && (*pp)->due_ms <= l->due_ms;
	    pp = &(*pp)->next)
		;
	l->next = *pp;
	*pp = l;
}

/* fake_core_main: read frames, record, answer (now or later), until the
 * front closes the channel or an x-close request. */
static void *
fake_core_main(void *arg)
{
	struct fake_core *fc = arg;
	struct hk_buf in = HK_BUF_INIT, frame = HK_BUF_INIT;
	struct hk_mpk_error err;
	struct hk_ipc_msg m;
	const uint8_t *fr;
	size_t flen, used;
	struct pollfd pfd;
	struct later *l;
	sigset_t set;
	long delay;
	ssize_t n;
	int r, timeout;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	for (;;) {
		while (fc->queue != NULL && fc->queue->due_ms <= now_ms()) {
			l = fc->queue;
			fc->queue = l->next;
			r = write_all(fc->fd, l->frame.p, l->frame.len);
			hk_buf_release(&l->frame);
			free(l);
			if (r != 0)
				goto out;
		}
		timeout = fc->queue == NULL ? -1 :
		    (int)(fc->queue->due_ms - now_ms());
		pfd.fd = fc->fd;
		pfd.events = POLLIN;
		if ((r = poll(&pfd, 1, timeout)) < 0 && errno != EINTR)
			goto out;
		if (r <= 0)
			continue;
		if (hk_buf_reserve(&in, 65536) != 0)
			goto out;
		if ((n = read(fc->fd, in.p + in.len, in.cap - in.len)) <= 0)
			goto out; /* the front closed the channel */
		in.len += (size_t)n;
		while ((r = hk_ipc_frame_next(in.p, in.len, &fr, &flen,
			    &used)) == 0) {
			if (hk_ipc_decode(fr, flen, &m, &err) != 0 ||
			    m.response) {
				fprintf(stderr, "fake core: bad frame: %s\n",
				    err.msg ? err.msg : "a response");
				goto out;
			}
			record(fc, &m);
			delay = answer(fc, &m, &frame);
			if (delay == -2)
				goto out;
			if (delay >= 0)
				enqueue(fc, &frame, delay);
			hk_buf_release(&frame);
			memmove(in.p, in.p + used, in.len - used);
			in.len -= used;
		}
		if (r != HK_EAGAIN) {
			fprintf(stderr, "fake core: bad frame length\n");
			goto out;
		}
	}
out:
	while ((l = fc->queue) != NULL) {
		fc->queue = l->next;
		hk_buf_release(&l->frame);
		free(l);
	}
	hk_buf_release(&in);
	hk_buf_release(&frame);
	close(fc->fd);
	return NULL;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: front_harness --signing PORT --admin PORT --cert PEM "
	    "--key PEM --client-ca PEM [--host H] [--max-connections N] "
	    "[--idle S] [--header S] [--body S] [--core-timeout-ms MS] "
	    "[--drain-ms MS] [--record FILE] [--steer FILE]\n");
	exit(2);
}

static unsigned
num(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v > 100000000)
		usage();
	return (unsigned)v;
}

int
main(int argc, char **argv)
{
	static struct hk_config cfg;
	struct net_front_opts o;
	struct net_front *f = NULL;
	struct fake_core fc;
	const char *host = "127.0.0.1", *cert = NULL, *key = NULL,
		   *ca = NULL, *rec = NULL, *steer = NULL;
	unsigned sport = 0, aport = 0;
	pthread_t th;
	int sv[2], i, r;

	memset(&o, 0, sizeof(o));
	cfg.max_connections = 2000;
	cfg.idle_timeout_s = 60;
	cfg.header_timeout_s = 10;
	cfg.body_timeout_s = 30;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (v == NULL)
			usage();
		i++;
		if (strcmp(a, "--signing") == 0)
			sport = num(v);
		else if (strcmp(a, "--admin") == 0)
			aport = num(v);
		else if (strcmp(a, "--host") == 0)
			host = v;
		else if (strcmp(a, "--cert") == 0)
			cert = v;
		else if (strcmp(a, "--key") == 0)
			key = v;
		else if (strcmp(a, "--client-ca") == 0)
			ca = v;
		else if (strcmp(a, "--record") == 0)
			rec = v;
		else if (strcmp(a, "--steer") == 0)
			steer = v;
		else if (strcmp(a, "--max-connections") == 0)
			cfg.max_connections = num(v);
		else if (strcmp(a, "--idle") == 0)
			cfg.idle_timeout_s = num(v);
		else if (strcmp(a, "--header") == 0)
			cfg.header_timeout_s = num(v);
		else if (strcmp(a, "--body") == 0)
			cfg.body_timeout_s = num(v);
		else if (strcmp(a, "--core-timeout-ms") == 0)
			o.core_timeout_ms = num(v);
		else if (strcmp(a, "--drain-ms") == 0)
			o.drain_ms = num(v);
		else
			usage();
	}
	if (sport == 0 || sport > 65535 || aport == 0 || aport > 65535 ||
	    cert == NULL || key == NULL || ca == NULL ||
	    strlen(host) >= sizeof(cfg.signing.host) ||
	    strlen(cert) >= HK_CONFIG_PATH_MAX ||
	    strlen(key) >= HK_CONFIG_PATH_MAX ||
	    strlen(ca) >= HK_CONFIG_PATH_MAX)
		usage();
	snprintf(cfg.signing.host, sizeof(cfg.signing.host), "%s", host);
	snprintf(cfg.admin.host, sizeof(cfg.admin.host), "%s", host);
	cfg.signing.port = (uint16_t)sport;
	cfg.admin.port = (uint16_t)aport;
	snprintf(cfg.signing.cert, sizeof(cfg.signing.cert), "%s", cert);
	snprintf(cfg.signing.key, sizeof(cfg.signing.key), "%s", key);
	snprintf(cfg.admin.cert, sizeof(cfg.admin.cert), "%s", cert);
	snprintf(cfg.admin.key, sizeof(cfg.admin.key), "%s", key);
	snprintf(cfg.admin.client_ca, sizeof(cfg.admin.client_ca), "%s", ca);

	hk_log_set_ident("front");
	hk_log_set_level(HK_LOG_INFO);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
		perror("socketpair");
		return 2;
	}
	memset(&fc, 0, sizeof(fc));
	fc.fd = sv[1];
	fc.steer = steer;
	if (rec != NULL && (fc.record = fopen(rec, "a")) == NULL) {
		perror(rec);
		return 2;
	}
	o.cfg = &cfg;
	o.ipc_fd = sv[0];
	if ((r = net_front_new(&o, &f)) != 0) {
		fprintf(stderr, "front_harness: net_front_new: %s\n",
		    hk_strerror(r));
		return 2;
	}
	if (pthread_create(&th, NULL, fake_core_main, &fc) != 0) {
		fprintf(stderr, "front_harness: pthread_create failed\n");
		net_front_free(f);
		return 2;
	}
	printf("ready\n");
	fflush(stdout);
	r = net_front_run(f);
	net_front_free(f);
	/* The fake core sees the channel close and ends. */
	pthread_join(th, NULL);
	if (fc.record != NULL)
		fclose(fc.record);
	fprintf(stderr, "front_harness: net_front_run: %s\n", hk_strerror(r));
	return r == 0 ? 0 : 3;
}
