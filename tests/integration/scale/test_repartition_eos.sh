#!/usr/bin/env bash
# test_repartition.sh under exactly_once_v2: the repartition records go in
# each task's transaction with its output and changelog; 3 SIGKILLs and
# every 5th commit failing (EDDY_TEST_TXN_ABORT_EVERY); the final table
# exact (the development broker shows aborted records to read_committed
# readers, so the re-sent entries are still dropped by source offset:
# assign_kills.sh).
APP=repart_eos_app KILLS=3 GUARANTEE=exactly_once_v2 KIND=repartition ABORT_EVERY=5 exec bash "$(dirname "$0")/assign_kills.sh"
