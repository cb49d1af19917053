/* SPDX-License-Identifier: Apache-2.0 */
/* version: the software version recorded in the ledger (OPS-3). */
#ifndef HK_VERSION_H
#define HK_VERSION_H

#define HK_VERSION "0.1.0"
#define HK_SOFTWARE "hanko " HK_VERSION

#endif
