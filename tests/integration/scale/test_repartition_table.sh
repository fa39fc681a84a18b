#!/usr/bin/env bash
# A GROUP BY on a value over a table (users moving between regions, some
# deleted) with tasks shared by three members (engine/README.md
# "Scale-out", repartition topics): a change whose old and new regions are
# other tasks' goes as a retraction to the old one's task and an addition
# to the new one's; 5 SIGKILLs of random members while they process, each
# restarted at once; the final count and sum per region exact against an
# uninterrupted single-process run and awk (from each user's last row).
APP=repart_tab KILLS=5 GUARANTEE=at_least_once KIND=table_repartition exec bash "$(dirname "$0")/assign_kills.sh"
