/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log: one line per message on stderr, "<time> <level> <function>: <text>".
 * Log once, where an error is first detected (style item 13). Never pass a
 * PIN, OTP, SAD, token or key through here (REG-2). Leaf module.
 */
#ifndef HK_LOG_H
#define HK_LOG_H

enum hk_log_level {
	HK_LOG_ERROR = 0,
	HK_LOG_WARN = 1,
	HK_LOG_INFO = 2,
	HK_LOG_DEBUG = 3,
};

/** hk_log_set_level(level): messages above ${level} are dropped. Not
 * thread-safe; call before starting threads. */
void hk_log_set_level(int level);

/** hk_log_set_ident(ident): prefix every line with ${ident} (borrowed; must
 * outlive all logging, e.g. a string literal). */
void hk_log_set_ident(const char *ident);

/** hk_log_msg(level, func, fmt, ...): write one line; thread-safe (one
 * write(2) per line). */
void hk_log_msg(int level, const char *func, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** hk_thread_name(name): name the calling thread as ps -L, top -H and
 * /proc/PID/task/TID/comm show it (at most 15 bytes are kept). */
void hk_thread_name(const char *name);

#define hk_error_f(...) hk_log_msg(HK_LOG_ERROR, __func__, __VA_ARGS__)
#define hk_warn_f(...) hk_log_msg(HK_LOG_WARN, __func__, __VA_ARGS__)
#define hk_info_f(...) hk_log_msg(HK_LOG_INFO, __func__, __VA_ARGS__)
#define hk_debug_f(...) hk_log_msg(HK_LOG_DEBUG, __func__, __VA_ARGS__)

#endif
