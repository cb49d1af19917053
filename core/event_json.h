/* SPDX-License-Identifier: Apache-2.0 */
/*
 * event_json: a decoded event as a JSON object, for people and for tools
 * that do not read msgpack (`hanko ledger show`, audit exports). Body keys
 * get their registered names; bin values become lowercase hex. SIG-6.
 */
#ifndef HK_EVENT_JSON_H
#define HK_EVENT_JSON_H

#include <jansson.h>

#include "core/event.h"

/** hk_event_to_json(ev, leaf): a new JSON object for ${ev}, with
 * "leaf_hash" when ${leaf} is not NULL; NULL on ENOMEM or a body that does
 * not decode. The caller json_decref()s it. */
json_t *hk_event_to_json(const struct hk_event *ev,
    const uint8_t leaf[HK_SHA256_LEN]);

#endif
