#!/usr/bin/env bash
# Tasks shared by three members (engine/README.md "Scale-out", assigned
# mode), at least once: 10 SIGKILLs of random members while they process,
# 3 with the state directory deleted, each restarted at once; the final
# table exact (assign_kills.sh says how).
APP=kills_app KILLS=10 GUARANTEE=at_least_once exec bash "$(dirname "$0")/assign_kills.sh"
