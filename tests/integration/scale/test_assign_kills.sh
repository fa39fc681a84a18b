#!/usr/bin/env bash
# Tasks shared by three members (engine/README.md "Scale-out", assigned
# mode), at least once: 10 SIGKILLs of random members while they process,
# 3 with the state directory deleted, each restarted at once, the members
# keeping standby copies of each other's tasks; the final table exact
# (assign_kills.sh says how).
APP=kills_app KILLS=10 GUARANTEE=at_least_once STANDBYS=1 exec bash "$(dirname "$0")/assign_kills.sh"
