#!/usr/bin/env bash
# A GROUP BY on a value column with tasks shared by three members
# (engine/README.md "Scale-out", repartition topics): each row reaches its
# group's task through the query's repartition topic; 5 SIGKILLs of random
# members while they process (one with the state directory deleted), each
# restarted at once; the final table exact against an uninterrupted
# single-process run and awk, the repartition topic named in EXPLAIN and
# used, and the entries re-sent after a kill and dropped counted
# (assign_kills.sh says how).
APP=repart_app KILLS=5 GUARANTEE=at_least_once KIND=repartition exec bash "$(dirname "$0")/assign_kills.sh"
