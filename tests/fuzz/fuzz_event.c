/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness for the ledger event decoder (style item 30; OPS-4,
 * SIG-6): hk_mpk_check and hk_event_decode on arbitrary bytes. Besides
 * "never crashes", it checks the determinism property the ledger relies
 * on (verifiers hash stored bytes and never re-encode): whenever
 * hk_event_decode accepts bytes, they are one profile value
 * (hk_mpk_check agrees) and hk_event_encode of the decoded event
 * reproduces them exactly. A violation aborts (a libFuzzer crash).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/event.h"
#include "core/mpk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) \
	do { \
		if (!(x)) \
			abort(); \
	} while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hk_buf out = HK_BUF_INIT;
	struct hk_mpk_error err;
	struct hk_event ev;
	int checked, decoded;

	memset(&err, 0, sizeof(err));
	checked = hk_mpk_check(data, size, &err);
	CHECK(checked == 0 || checked == HK_EPROFILE);
	CHECK(checked == 0 || (err.msg != NULL && err.off <= size));
	decoded = hk_event_decode(data, size, &ev, &err);
	CHECK(decoded == 0 || decoded == HK_EPROFILE);
	if (decoded != 0)
		return 0;
	CHECK(checked == 0);
	CHECK(hk_event_encode(&ev, &out) == 0);
	CHECK(out.len == size && memcmp(out.p, data, size) == 0);
	hk_buf_release(&out);
	return 0;
}
