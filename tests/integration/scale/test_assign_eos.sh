#!/usr/bin/env bash
# Exactly-once output (processing.guarantee = 'exactly_once_v2',
# engine/README.md "Scale-out"): three members, each task's output,
# changelog records and input offsets in one Kafka transaction per
# checkpoint (a transactional producer per task, id <service.id>-<query
# id>-<task>); 4 SIGKILLs of random members while they process, and every
# 5th commit of a member failing (a test hook), so its query rewinds to
# its last committed checkpoint: the final table exact (assign_kills.sh).
# What the development broker cannot show: it does not hide an aborted or
# open transaction's records from readers, so the re-emitted updates a
# real cluster would hide are counted and printed, not asserted (README,
# "Running on several machines").
APP=eos_app KILLS=4 GUARANTEE=exactly_once_v2 ABORT_EVERY=5 exec bash "$(dirname "$0")/assign_kills.sh"
