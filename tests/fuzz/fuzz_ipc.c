/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness for the front <-> core messages (style item 30;
 * ACT-3, ACT-5: each side treats the other's frames as untrusted input):
 * hk_ipc_frame_next and hk_ipc_decode on arbitrary bytes, both as one
 * frame's value and as a stream of length-prefixed frames. Besides "never
 * crashes", it checks:
 *  - framing: a frame found lies inside the input, its announced length
 *    is 1..HK_IPC_MAX_FRAME, and HK_ETOOBIG means exactly a length outside
 *    that range;
 *  - refusals come with a reason and an offset inside the value;
 *  - determinism: whenever a message decodes, hk_ipc_encode of the decoded
 *    message gives back exactly the same frame bytes (length prefix and
 *    value), so a message has one encoding and what one side logs or
 *    hashes is what the other sent.
 * A violation aborts (a libFuzzer crash).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ipc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) \
	do { \
		if (!(x)) \
			abort(); \
	} while (0)

/* check_value(v, n): decode ${v}[0..n) as one frame's value. */
static void
check_value(const uint8_t *v, size_t n)
{
	struct hk_buf out = HK_BUF_INIT;
	struct hk_mpk_error err;
	struct hk_ipc_msg m;
	uint8_t hdr[HK_IPC_HEADER_LEN];
	int r;

	memset(&err, 0, sizeof(err));
	r = hk_ipc_decode(v, n, &m, &err);
	CHECK(r == 0 || r == HK_EPROFILE);
	if (r != 0) {
		CHECK(err.msg != NULL && err.off <= n);
		return;
	}
	CHECK(n >= 1 && n <= HK_IPC_MAX_FRAME);
	CHECK(hk_ipc_encode(&m, &out) == 0);
	hdr[0] = (uint8_t)(n >> 24);
	hdr[1] = (uint8_t)(n >> 16);
	hdr[2] = (uint8_t)(n >> 8);
	hdr[3] = (uint8_t)n;
	{
		CHECK(out.len == HK_IPC_HEADER_LEN + n);
		CHECK(memcmp(out.p, hdr, HK_IPC_HEADER_LEN) == 0);
		CHECK(memcmp(out.p + HK_IPC_HEADER_LEN, v, n) == 0);
	}
	hk_buf_release(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *frame;
	size_t off = 0, flen, consumed, announced;
	int r;

	check_value(data, size);
	while (off < size) {
		r = hk_ipc_frame_next(data + off, size - off, &frame, &flen,
		    &consumed);
		CHECK(r == 0 || r == HK_EAGAIN || r == HK_ETOOBIG);
		announced = size - off < HK_IPC_HEADER_LEN ? 0 :
		    (size_t)data[off] << 24 | (size_t)data[off + 1] << 16 |
			(size_t)data[off + 2] << 8 | data[off + 3];
		if (r == HK_EAGAIN) {
			CHECK(size - off < HK_IPC_HEADER_LEN ||
			    size - off - HK_IPC_HEADER_LEN < announced);
			break;
		}
		if (r == HK_ETOOBIG) {
			CHECK(announced == 0 || announced > HK_IPC_MAX_FRAME);
			break;
		}
		CHECK(announced == flen && flen >= 1 &&
		    flen <= HK_IPC_MAX_FRAME);
		CHECK(frame == data + off + HK_IPC_HEADER_LEN);
		CHECK(consumed == HK_IPC_HEADER_LEN + flen &&
		    consumed <= size - off);
		check_value(frame, flen);
		off += consumed;
	}
	return 0;
}
