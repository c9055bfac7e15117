#!/bin/sh
# An agent without the supervisor role is refused in words: S in the
# console says so, and balie --supervisor ends with status 1 and a line
# that names the role.
. "$(dirname "$0")/lib.sh"

fresh_db
start_console ann
wait_for_screen 'Ann Jansen \(ann\)'
wait_for_screen ' online *$'
keys S
wait_for_screen 'the supervisor screen is for supervisors; ann is not one'
keys p
wait_for_screen 'the supervisor screen is for supervisors'
keys q
wait_for_screen '^EXIT=0$'
tm kill-server

start_console ann tmux-256color --supervisor
wait_for_screen '^balie: --supervisor: Ann Jansen \(ann\) is not a supervisor$'
wait_for_screen '^EXIT=1$'
pass
