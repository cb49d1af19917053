#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# hankod end to end (issue 4): init, TLS, limits, privilege separation,
# process supervision, start/stop events. See daemon.py.
set -u
exec /usr/bin/python3 "$(dirname "$0")/daemon.py"
