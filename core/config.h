/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config: hankod's one configuration file, `STATE/hanko.conf`, INI syntax
 * parsed by Debian's libinih with a strict schema (OPS-3: the file's
 * SHA-256 is what appliance.started records, so a changed configuration
 * between two starts is visible in the ledger). Unknown sections or keys,
 * duplicate keys, bad values, indented (continuation) lines and lines
 * over the parser's limit are refused with the file, the line and the
 * reason. Relative paths are resolved against the state directory; files
 * named by the configuration must exist.
 */
#ifndef HK_CONFIG_H
#define HK_CONFIG_H

#include <stdint.h>

#include "core/err.h"

#define HK_CONFIG_PATH_MAX 1024
#define HK_CONFIG_FILE "hanko.conf"

struct hk_config_listener {
	char host[64];
	uint16_t port;
	char cert[HK_CONFIG_PATH_MAX];
	char key[HK_CONFIG_PATH_MAX];
	char client_ca[HK_CONFIG_PATH_MAX]; /* admin only */
};

struct hk_config {
	char origin[256];
	uint8_t checkpoint_key[16]; /* CKA_ID of the Ed25519 key in the HSM */
	unsigned commit_window_us;
	unsigned anchor_interval_ms; /* HSM anchor cadence (anchor.h) */
	unsigned verify_interval_s;  /* background verification; 0: off */

	char hsm_module[HK_CONFIG_PATH_MAX];
	char hsm_token[33];
	char hsm_pin_file[HK_CONFIG_PATH_MAX];
	char softhsm_conf[HK_CONFIG_PATH_MAX]; /* "" unless the embedded token */
	unsigned hsm_sessions;
	uint8_t vault_key[16]; /* CKA_ID of the AES seal key of the vault */

	char trusted_cas[HK_CONFIG_PATH_MAX]; /* PEM bundle of issuing CAs */

	struct hk_config_listener signing, admin;

	char front_user[33];
	unsigned max_connections;
	unsigned idle_timeout_s, header_timeout_s, body_timeout_s;

	unsigned session_idle_s, session_lifetime_s, sad_lifetime_s;
	unsigned lockout_failures;
	unsigned enrollment_code_s;

	uint8_t sha256[32]; /* of the file's bytes */
};

/** hk_config_load(path, state_dir, cfg, err, errlen): parse and validate
 * ${path}; relative paths resolve against ${state_dir}. 0, or HK_ECONFIG
 * with "file:line: reason" in ${err}; HK_ENOTFOUND if the file is missing. */
HK_MUST_CHECK int hk_config_load(const char *path, const char *state_dir,
    struct hk_config *cfg, char *err, size_t errlen);

#endif
