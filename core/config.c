/* SPDX-License-Identifier: Apache-2.0 */
/* config: strict INI configuration (see config.h). OPS-3, NET-2. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>
#include <sodium.h>

#include "core/codec.h"
#include "core/config.h"

enum kind {
	K_STR,     /* text without control characters */
	K_NAME,    /* [A-Za-z0-9._-], e.g. a user name or token label */
	K_ORIGIN,  /* printable ASCII without space or '+' */
	K_PATH,    /* an existing file; relative to the state directory */
	K_LISTEN,  /* host:port */
	K_UINT,
	K_KEYID,   /* 32 hex digits: a 16-byte HSM key id */
};

struct key {
	const char *section, *name;
	enum kind kind;
	size_t off, size; /* field, and its size for strings */
	unsigned min, max;
	const char *def;  /* default, or NULL when required; "" optional */
};

#define F(field) offsetof(struct hk_config, field), \
	sizeof(((struct hk_config *)0)->field)
#define U(field) offsetof(struct hk_config, field), sizeof(unsigned)

static const struct key keys[] = {
	{"ledger", "origin", K_ORIGIN, F(origin), 0, 0, NULL},
	{"ledger", "checkpoint_key", K_KEYID, F(checkpoint_key), 0, 0, NULL},
	{"ledger", "commit_window_us", K_UINT, U(commit_window_us), 0, 2000,
	    "0"},
	{"ledger", "anchor_interval_ms", K_UINT, U(anchor_interval_ms), 100,
	    60000, "1000"},
	{"ledger", "verify_interval_s", K_UINT, U(verify_interval_s), 0,
	    604800, "3600"},
	{"hsm", "module", K_PATH, F(hsm_module), 0, 0,
	    "/usr/lib/softhsm/libsofthsm2.so"},
	{"hsm", "token", K_NAME, F(hsm_token), 0, 0, NULL},
	{"hsm", "pin_file", K_PATH, F(hsm_pin_file), 0, 0, NULL},
	{"hsm", "softhsm_conf", K_PATH, F(softhsm_conf), 0, 0, ""},
	{"hsm", "sessions", K_UINT, U(hsm_sessions), 1, 64, "4"},
	{"hsm", "vault_key", K_KEYID, F(vault_key), 0, 0, NULL},
	{"ca", "trusted", K_PATH, F(trusted_cas), 0, 0, NULL},
	{"signing", "listen", K_LISTEN, offsetof(struct hk_config, signing), 0,
	    0, 0, NULL},
	{"signing", "cert", K_PATH, F(signing.cert), 0, 0, NULL},
	{"signing", "key", K_PATH, F(signing.key), 0, 0, NULL},
	{"admin", "listen", K_LISTEN, offsetof(struct hk_config, admin), 0, 0,
	    0, NULL},
	{"admin", "cert", K_PATH, F(admin.cert), 0, 0, NULL},
	{"admin", "key", K_PATH, F(admin.key), 0, 0, NULL},
	{"admin", "client_ca", K_PATH, F(admin.client_ca), 0, 0, NULL},
	{"front", "user", K_NAME, F(front_user), 0, 0, "hanko-front"},
	{"front", "max_connections", K_UINT, U(max_connections), 1, 100000,
	    "2000"},
	{"front", "idle_timeout_s", K_UINT, U(idle_timeout_s), 1, 3600, "60"},
	{"front", "header_timeout_s", K_UINT, U(header_timeout_s), 1, 600,
	    "10"},
	{"front", "body_timeout_s", K_UINT, U(body_timeout_s), 1, 600, "30"},
	{"policy", "session_idle_s", K_UINT, U(session_idle_s), 60, 86400,
	    "900"},
	{"policy", "session_lifetime_s", K_UINT, U(session_lifetime_s), 300,
	    604800, "28800"},
	{"policy", "sad_lifetime_s", K_UINT, U(sad_lifetime_s), 10, 3600,
	    "300"},
	{"policy", "lockout_failures", K_UINT, U(lockout_failures), 1, 100,
	    "5"},
	{"policy", "enrollment_code_s", K_UINT, U(enrollment_code_s), 60,
	    2592000, "259200"},
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

struct parse {
	const char *path, *state_dir;
	struct hk_config *cfg;
	FILE *f;
	unsigned line;
	int seen[NKEYS];
	char *err;
	size_t errlen;
	int failed;
	crypto_hash_sha256_state h;
};

static int
failf(struct parse *p, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
failf(struct parse *p, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->failed++)
		return 0; /* keep the first error */
	n = line ? snprintf(p->err, p->errlen, "%s:%u: ", p->path, line) :
		   snprintf(p->err, p->errlen, "%s: ", p->path);
	if (n < 0 || (size_t)n >= p->errlen)
		return 0;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return 0;
}

/* The line reader inih calls: counts lines, hashes the file, and refuses
 * what inih would otherwise accept silently. */
static char *
reader(char *str, int num, void *stream)
{
	struct parse *p = stream;
	size_t n;

	if (fgets(str, num, p->f) == NULL)
		return NULL;
	p->line++;
	n = strlen(str);
	crypto_hash_sha256_update(&p->h, (const unsigned char *)str, n);
	if (n == (size_t)num - 1 && str[n - 1] != '\n' && !feof(p->f))
		failf(p, p->line, "line longer than %d characters", num - 2);
	else if (str[0] == ' ' || str[0] == '\t')
		failf(p, p->line, "indented line (continuation lines are not "
				  "allowed)");
	return str;
}

static int
set_path(struct parse *p, char *dst, size_t size, const char *v)
{
	int n;

	n = v[0] == '/' ? snprintf(dst, size, "%s", v) :
			  snprintf(dst, size, "%s/%s", p->state_dir, v);
	if (n < 0 || (size_t)n >= size)
		return failf(p, p->line, "path too long");
	if (access(dst, R_OK) != 0)
		return failf(p, p->line, "%s: %s", dst, strerror(errno));
	return 1;
}

static int
set_value(struct parse *p, const struct key *k, const char *v)
{
	char *dst = (char *)p->cfg + k->off;
	const char *c;
	unsigned long u;
	char *end;

	switch (k->kind) {
	case K_STR:
	case K_NAME:
	case K_ORIGIN:
		if (strlen(v) == 0 || strlen(v) >= k->size)
			return failf(p, p->line, "%s: empty or longer than %zu "
						 "characters", k->name,
			    k->size - 1);
		for (c = v; *c; c++) {
			unsigned char ch = (unsigned char)*c;

			if ((k->kind == K_NAME &&
				!(ch == '.' || ch == '_' || ch == '-' ||
				    (ch >= '0' && ch <= '9') ||
				    ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z'))) ||
			    (k->kind == K_ORIGIN &&
				(ch <= 0x20 || ch >= 0x7f || ch == '+')) ||
			    ch < 0x20 || ch == 0x7f)
				return failf(p, p->line, "%s: character '%c' not "
							 "allowed", k->name, ch);
		}
		memcpy(dst, v, strlen(v) + 1);
		return 1;
	case K_PATH:
		if (v[0] == '\0') {
			dst[0] = '\0';
			return 1;
		}
		return set_path(p, dst, k->size, v);
	case K_LISTEN: {
		struct hk_config_listener *l = (void *)dst;
		const char *colon = strrchr(v, ':');

		if (colon == NULL || colon == v ||
		    (size_t)(colon - v) >= sizeof(l->host))
			return failf(p, p->line, "%s: expected host:port",
			    k->name);
		errno = 0;
		u = strtoul(colon + 1, &end, 10);
		if (colon[1] < '0' || colon[1] > '9' || *end != '\0' ||
		    errno != 0 || u == 0 || u > 65535)
			return failf(p, p->line, "%s: port must be 1-65535",
			    k->name);
		memcpy(l->host, v, (size_t)(colon - v));
		l->host[colon - v] = '\0';
		l->port = (uint16_t)u;
		return 1;
	}
	case K_KEYID: {
		size_t n;

		if (strlen(v) != 2 * k->size ||
		    hk_hex_decode((uint8_t *)dst, k->size, v, strlen(v), &n) !=
			0)
			return failf(p, p->line, "%s: expected %zu hex digits",
			    k->name, 2 * k->size);
		return 1;
	}
	case K_UINT:
		errno = 0;
		u = strtoul(v, &end, 10);
		if (v[0] < '0' || v[0] > '9' || *end != '\0' || errno != 0 ||
		    u < k->min || u > k->max)
			return failf(p, p->line, "%s: must be a whole number from "
						 "%u to %u", k->name, k->min,
			    k->max);
		*(unsigned *)(void *)dst = (unsigned)u;
		return 1;
	}
	return 0;
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	size_t i;
	int known_section = 0;

	if (p->failed)
		return 1;
	for (i = 0; i < NKEYS; i++) {
		if (strcmp(keys[i].section, section) != 0)
			continue;
		known_section = 1;
		if (strcmp(keys[i].name, name) != 0)
			continue;
		if (p->seen[i])
			return failf(p, p->line, "%s: set twice in [%s] (first "
						 "at line %d)", name, section,
			    p->seen[i]);
		p->seen[i] = (int)p->line;
		return set_value(p, &keys[i], value);
	}
	if (!known_section)
		return failf(p, p->line, "unknown section [%s]", section);
	return failf(p, p->line, "unknown key '%s' in [%s]", name, section);
}

/** hk_config_load(path, state_dir, cfg, err, errlen): parse and validate. */
int
hk_config_load(const char *path, const char *state_dir, struct hk_config *cfg,
    char *err, size_t errlen)
{
	struct parse p;
	size_t i;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	memset(&p, 0, sizeof(p));
	p.path = path;
	p.state_dir = state_dir;
	p.cfg = cfg;
	p.err = err;
	p.errlen = errlen;
	err[0] = '\0';
	if ((p.f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? HK_ENOTFOUND : HK_ECONFIG;
	}
	crypto_hash_sha256_init(&p.h);
	rc = ini_parse_stream(reader, &p, handler, &p);
	if (ferror(p.f))
		failf(&p, 0, "read error");
	fclose(p.f);
	if (rc > 0 && !p.failed)
		failf(&p, (unsigned)rc, "syntax error (expected [section] or "
					"key = value)");
	else if (rc < 0 && !p.failed)
		failf(&p, 0, "cannot parse (%d)", rc);
	/* Defaults, then required keys. */
	for (i = 0; i < NKEYS && !p.failed; i++) {
		if (p.seen[i])
			continue;
		if (keys[i].def == NULL) {
			failf(&p, 0, "missing '%s' in [%s]", keys[i].name,
			    keys[i].section);
			break;
		}
		p.line = 0;
		if (keys[i].def[0] != '\0' || keys[i].kind != K_PATH)
			set_value(&p, &keys[i], keys[i].def);
	}
	crypto_hash_sha256_final(&p.h, cfg->sha256);
	return p.failed ? HK_ECONFIG : 0;
}
