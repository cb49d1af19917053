#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# hankod end to end (issue 4): init, TLS, limits, privilege separation,
# process supervision, start/stop events. See daemon.py.
set -u
# The load test holds a thousand connections on each side.
ulimit -n 8192 2>/dev/null || ulimit -n 4096 2>/dev/null || true
exec /usr/bin/python3 "$(dirname "$0")/daemon.py"
