#!/usr/bin/env bash
# A windowed GROUP BY on a value column (TUMBLING 1 minute, by region) with
# tasks shared by three members (engine/README.md "Scale-out", repartition
# topics): rows reach their group's task through the repartition topic,
# each with its source partition's stream time, and time marks tell every
# task how far each source partition has got; 5 SIGKILLs of random members
# while they process, each restarted at once; the final table, a row per
# (region, window), exact against an uninterrupted single-process run and
# awk; entries re-sent after a kill dropped (assign_kills.sh says how).
APP=repart_win KILLS=5 GUARANTEE=at_least_once KIND=windowed_repartition exec bash "$(dirname "$0")/assign_kills.sh"
