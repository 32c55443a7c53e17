#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Planted on purpose (KPAXOS_PLANT_FAIL=1): a test that fails, which the
# VM verdict must report as a failed run.
echo "planted failure"
exit 1
