# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# lib.sh: the shared harness for lambdad's integration and system tests.
#
# Each test is one script = one meson test (protocol 'exitcode', the default): it prints TAP or
# plain lines and exits 0 (pass), 1 (fail) or 77 (skip). A test starts with
#
#     source "$(dirname "${BASH_SOURCE[0]}")/../lib/lib.sh"
#     lib_init my-test
#
# and from then on everything it starts through this file (containers, processes, buses,
# network namespaces) and $TEST_TMP are gone when it exits: on success, on failure, on
# SIGINT/SIGTERM (meson's timeout sends SIGTERM to the test's process group).
#
# Sourcing this file only defines functions; nothing runs until lib_init. tools/*.sh source it
# too (for ensure_dockerd and build_dir), so keep the top level free of side effects.
#
# Rules for callers:
# - Helpers that start things (start_bg, socket_activate, dbus_start_private) must run in the
#   test's own shell, not inside $(...): a background job belongs to the shell that started it.
#   docker_run_tracked and lib_cleanup are safe inside $(...) (the cleanup list is a file).
# - Helpers that check something (assert_*, wait_for_*) print "FAIL: ..." to stderr and return 1,
#   so a bare call ends the test through `set -e`, and inside `check` it becomes a "not ok".

# Where this file lives; used to find the source tree and the default build dir.
_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# The Docker Engine socket the tests and ensure_dockerd talk to, and the pid file dockerd writes
# (both overridable so that selftest.sh can stand a fake dockerd in for the real one).
LIB_DOCKER_SOCK=${LIB_DOCKER_SOCK:-/var/run/docker.sock}
LIB_DOCKER_PIDFILE=${LIB_DOCKER_PIDFILE:-/var/run/docker.pid}

# ---------------------------------------------------------------------------------------------
# Life cycle: lib_init, lib_cleanup, lib_skip, lib_fail

# lib_init NAME: strict mode, $TEST_NAME, $TEST_TMP, and the EXIT/INT/TERM traps that clean up.
lib_init() {
        set -euo pipefail
        _lib_fix_path

        TEST_NAME=${1:-$(basename "$0" .sh)}
        # Short directory names: unix socket paths (the private bus) must fit in 108 bytes.
        TEST_TMP=$(mktemp -d "/tmp/lambdad-${TEST_NAME:0:32}.XXXXXX")
        export TEST_NAME TEST_TMP

        _LIB_MAIN_PID=$BASHPID
        _LIB_CLEANUPS="$TEST_TMP/.cleanups"
        : >"$_LIB_CLEANUPS"
        _lib_owner >"$TEST_TMP/.owner"
        _lib_sweep_tmp
        # Where a test puts D-Bus activation and policy files before dbus_start_private.
        mkdir "$TEST_TMP/dbus-services" "$TEST_TMP/dbus-policy"
        _LIB_NCHECKS=0
        _LIB_NFAILED=0

        trap _lib_on_exit EXIT
        # Turn signals into an ordinary exit so the EXIT trap does the cleaning.
        trap 'exit 130' INT
        trap 'exit 143' TERM
        trap 'exit 129' HUP
}

# lib_cleanup CMD...: run CMD when the test exits; cleanups run in reverse order of registration.
# One argument is taken as a shell string ("kill $pid"); several as a command and its arguments.
lib_cleanup() {
        local cmd
        if (($# == 1)); then
                cmd=$1
        else
                printf -v cmd '%q ' "$@"
        fi
        # NUL-separated entries in a file, so that registrations made in subshells count too.
        printf '%s\0' "$cmd" >>"$_LIB_CLEANUPS"
}

# lib_skip REASON: the test cannot run here (a prerequisite truly missing); exit 77. Inside
# $(...) the reason goes to stderr, as stdout is captured there (the 77 still ends the test
# through `set -e`).
lib_skip() {
        if [[ ${_LIB_MAIN_PID:-$BASHPID} == "$BASHPID" ]]; then
                echo "SKIP: $*"
        else
                echo "SKIP: $*" >&2
        fi
        exit 77
}

# lib_fail MSG: stop the test as failed.
lib_fail() {
        echo "FAIL: $*" >&2
        exit 1
}

_lib_on_exit() {
        local rc=$?
        local -a pids=()

        # Subshells do not inherit the trap in bash, but stay safe if one ever does.
        [[ ${_LIB_MAIN_PID:-} == "$BASHPID" ]] || return "$rc"

        # Nothing may interrupt the cleaning, and no failure in it may stop it.
        trap '' INT TERM HUP
        set +e +u
        set +o pipefail

        [[ -f $TEST_TMP/.pids ]] && mapfile -t pids <"$TEST_TMP/.pids"

        if ((rc > 128)); then
                # Killed by a signal: meson follows its SIGTERM with a SIGKILL to the test's whole
                # process group 0.5 s later. Leave it first thing, on a loaded machine too: all the
                # rest runs in a job with a process group of its own (set -m), which that SIGKILL
                # does not reach.
                set -m
                _lib_finish "$rc" &
                wait "$!"
        else
                _lib_finish "$rc"
        fi

        # Collect the exit status of the processes the cleanups stopped: they are this shell's
        # children, and a zombie handed to PID 1 may stay forever where PID 1 is no real init.
        local pid
        for pid in "${pids[@]}"; do
                _lib_alive "$pid" || wait "$pid" 2>/dev/null
        done
        exit "$rc"
}

# _lib_finish RC: on failure, show the ends of the logs of what the test started (they are about
# to vanish with $TEST_TMP; meson --print-errorlogs prints stderr), then run the cleanups.
_lib_finish() {
        if (($1 != 0 && $1 != 77)); then
                _lib_dump_logs >&2
        fi
        _lib_run_cleanups
}

# Run the registered cleanups, last registered first, then remove $TEST_TMP.
_lib_run_cleanups() {
        local i cmd
        local -a cleanups=()
        [[ -f $_LIB_CLEANUPS ]] && mapfile -d '' cleanups <"$_LIB_CLEANUPS"
        for ((i = ${#cleanups[@]} - 1; i >= 0; i--)); do
                cmd=${cleanups[i]}
                # A subshell, so that not even an `exit` in one cleanup skips the others; stdout
                # to stderr, as the test's stdout may be a TAP stream.
                (eval "$cmd") >&2 || echo "# cleanup failed (ignored): $cmd" >&2
        done
        [[ -n ${TEST_TMP:-} && -d $TEST_TMP ]] && rm -rf "$TEST_TMP"
}

# Remove what is left of the $TEST_TMP of tests that died without cleaning up (SIGKILL).
_lib_sweep_tmp() {
        local f owner ns
        ns=$(readlink /proc/self/ns/pid)
        for f in /tmp/lambdad-*/.owner; do
                owner=$(cat "$f" 2>/dev/null) || continue
                [[ ${owner%:*} == "$ns" ]] || continue
                _lib_alive "${owner##*:}" && continue
                # A private Podman's containers outlive a killed test (podman_start_private).
                [[ -d ${f%/.owner}/podman ]] && _lib_podman_remove "${f%/.owner}/podman"
                rm -rf "${f%/.owner}"
        done
}

_lib_dump_logs() {
        local f
        for f in "$TEST_TMP"/*.log; do
                [[ -s $f ]] || continue
                echo "# ---- last lines of $(basename "$f") ----"
                tail -n 40 "$f" | sed 's/^/# /'
        done
}

# CI and `sudo` environments may lack the sbin directories (dockerd, ip, ss live there).
_lib_fix_path() {
        local d
        for d in /usr/local/sbin /usr/sbin /sbin; do
                [[ :$PATH: == *:"$d":* ]] || PATH=$PATH:$d
        done
        export PATH
}

# ---------------------------------------------------------------------------------------------
# Checks and TAP output

# ok NAME / not_ok NAME [DIAGNOSTIC...]: record one TAP result.
ok() {
        _LIB_NCHECKS=$((_LIB_NCHECKS + 1))
        echo "ok $_LIB_NCHECKS - $*"
}

not_ok() {
        _LIB_NCHECKS=$((_LIB_NCHECKS + 1))
        _LIB_NFAILED=$((_LIB_NFAILED + 1))
        echo "not ok $_LIB_NCHECKS - $1"
        shift
        (($# == 0)) || echo "# $*"
}

# check NAME CMD...: run CMD (in this shell; its stdout goes to stderr to keep TAP clean) and
# record ok/not ok. Note that `set -e` does not apply inside CMD: a function's status is its
# last command's, so chain its steps with && or end it with an assert.
check() {
        local name=$1
        shift
        if "$@" >&2; then
                ok "$name"
        else
                not_ok "$name" "failed: $*"
        fi
}

# lib_done: print the TAP plan and exit 1 if any check failed, else 0.
lib_done() {
        echo "1..$_LIB_NCHECKS"
        if ((_LIB_NFAILED > 0)); then
                echo "# $_LIB_NFAILED of $_LIB_NCHECKS checks failed" >&2
                exit 1
        fi
        exit 0
}

# assert_eq EXPECTED ACTUAL WHAT
assert_eq() {
        [[ $1 == "$2" ]] && return 0
        echo "FAIL: $3: expected '$1', got '$2'" >&2
        return 1
}

# assert_contains HAYSTACK NEEDLE WHAT
assert_contains() {
        [[ $1 == *"$2"* ]] && return 0
        echo "FAIL: $3: '$2' not found in '$1'" >&2
        return 1
}

# require_cmd CMD [PACKAGE]: skip the test when a tool it needs is not installed.
require_cmd() {
        command -v "$1" >/dev/null 2>&1 || lib_skip "$1 not installed (apt-get install ${2:-$1})"
}

# ---------------------------------------------------------------------------------------------
# Paths

# build_dir: the meson build directory (absolute).
build_dir() {
        local d=${MESON_BUILD_ROOT:-${LAMBDAD_BUILD_DIR:-$_LIB_DIR/../../build}}
        (cd "$d" 2>/dev/null && pwd) || echo "$d"
}

# source_dir: the repository's top directory (absolute).
source_dir() {
        (cd "$_LIB_DIR/../.." && pwd)
}

# ---------------------------------------------------------------------------------------------
# Processes

# start_bg NAME CMD...: run CMD in the background, output in $TEST_TMP/NAME.log. Its pid is in
# $BG_PID, in $TEST_TMP/NAME.pid and in the variable PID_<NAME> (non-alphanumerics as '_').
# It (and its children) get SIGTERM, then SIGKILL after 5 s, when the test exits.
start_bg() {
        local name=$1
        shift
        "$@" >"$TEST_TMP/$name.log" 2>&1 </dev/null &
        BG_PID=$!
        _lib_track_pid "$name" "$BG_PID"
}

_lib_track_pid() {
        local name=$1 pid=$2
        echo "$pid" >"$TEST_TMP/$name.pid"
        echo "$pid" >>"$TEST_TMP/.pids"
        printf -v "PID_${name//[^A-Za-z0-9_]/_}" '%s' "$pid"
        lib_cleanup _lib_kill_tree "$pid"
}

# _lib_descendants PID: the pids of PID's children, grandchildren, ...
_lib_descendants() {
        local child
        for child in $(pgrep -P "$1" 2>/dev/null); do
                echo "$child"
                _lib_descendants "$child"
        done
}

_lib_any_alive() {
        local p
        for p; do
                _lib_alive "$p" && return 0
        done
        return 1
}

_lib_alive() {
        local state
        [[ $1 =~ ^[0-9]+$ ]] || return 1
        state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
        # A zombie is as good as gone (and PID 1 here may never reap it).
        [[ -n $state && $state != Z ]]
}

# _lib_kill_tree PID: stop PID and everything it started, politely first.
_lib_kill_tree() {
        local pid=$1 p i
        local -a pids
        mapfile -t pids < <(echo "$pid"; _lib_descendants "$pid")
        kill -TERM "${pids[@]}" 2>/dev/null
        for ((i = 0; i < 50; i++)); do
                _lib_any_alive "${pids[@]}" || break
                sleep 0.1
        done
        for p in "${pids[@]}"; do
                _lib_alive "$p" && kill -KILL "$p" 2>/dev/null
        done
        return 0
}

# ---------------------------------------------------------------------------------------------
# Waiting

# wait_for_port HOST PORT [TIMEOUT_S=10]: until a TCP connection to HOST:PORT succeeds.
wait_for_port() {
        local host=$1 port=$2 timeout=${3:-10}
        local deadline=$((SECONDS + timeout))
        until (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; do
                if ((SECONDS >= deadline)); then
                        echo "FAIL: nothing accepts connections on $host:$port after ${timeout}s" >&2
                        return 1
                fi
                sleep 0.1
        done
}

# wait_for_http [--ok] URL [TIMEOUT_S=10]: until URL answers with any HTTP status (a server is
# up), or with --ok until it answers 2xx (the server is also ready). Prints nothing.
wait_for_http() {
        local want_ok=0 url timeout code deadline
        if [[ $1 == --ok ]]; then
                want_ok=1
                shift
        fi
        url=$1 timeout=${2:-10}
        deadline=$((SECONDS + timeout))
        while :; do
                code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" 2>/dev/null) || true
                if [[ $code != 000 && -n $code ]] && ((!want_ok || (code >= 200 && code < 300))); then
                        return 0
                fi
                if ((SECONDS >= deadline)); then
                        echo "FAIL: $url did not answer$( ((want_ok)) && echo ' 2xx') after ${timeout}s (last status: ${code:-none})" >&2
                        return 1
                fi
                sleep 0.1
        done
}

# _lib_listening ADDR: is a socket listening at ADDR (PORT, HOST:PORT, [V6]:PORT, /path, @abstract)?
# Asks the kernel (ss) instead of connecting: a probe connection would start an --accept child.
_lib_listening() {
        local addr=$1
        case $addr in
        /* | @*) [[ -n $(ss -Hlx "src $addr" 2>/dev/null) ]] ;;
        *) [[ -n $(ss -Hltn "sport = :${addr##*:}" 2>/dev/null) ]] ;;
        esac
}

# ---------------------------------------------------------------------------------------------
# Socket activation

# socket_activate ADDR [OPTIONS... --] CMD...: run CMD under systemd-socket-activate listening on
# ADDR (see systemd-socket-activate(1); OPTIONS are its own, e.g. --accept, --inetd, -E VAR).
# DBUS_SYSTEM_BUS_ADDRESS is passed on when set (systemd-socket-activate passes only a few
# variables). Returns once ADDR is listening; the pid is in $SOCKET_ACTIVATE_PID. Without
# --accept, CMD itself starts at the first connection, as under systemd.
socket_activate() {
        local addr=$1 bin deadline
        shift
        local -a opts=()
        # A command never starts with '-': a leading option means "options until --".
        if [[ ${1:-} == -* ]]; then
                while (($# > 0)) && [[ $1 != -- ]]; do
                        opts+=("$1")
                        shift
                done
                (($# > 0)) && shift
        fi
        (($# > 0)) || lib_fail "socket_activate $addr: no command given"
        local var
        # The bus, the gateway's state directory (tests/lib/lambdad.sh), and a sanitized build's
        # options (tools/test.sh), pass on when set.
        for var in DBUS_SYSTEM_BUS_ADDRESS STATE_DIRECTORY ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
                [[ -n ${!var:-} ]] && opts+=(-E "$var")
        done

        for bin in /usr/bin/systemd-socket-activate /lib/systemd/systemd-socket-activate ""; do
                [[ -x $bin ]] && break
        done
        [[ -n $bin ]] || lib_skip "systemd-socket-activate not found (apt-get install systemd)"

        start_bg "socket-activate-${addr//[^A-Za-z0-9]/_}" "$bin" -l "$addr" "${opts[@]}" "$@"
        SOCKET_ACTIVATE_PID=$BG_PID
        deadline=$((SECONDS + 10))
        until _lib_listening "$addr"; do
                _lib_alive "$SOCKET_ACTIVATE_PID" || lib_fail "systemd-socket-activate on $addr exited early"
                ((SECONDS < deadline)) || lib_fail "systemd-socket-activate is not listening on $addr after 10s"
                sleep 0.05
        done
}

# ---------------------------------------------------------------------------------------------
# A private system bus

# dbus_start_private [--strict]: start a dbus-daemon that behaves like the system bus, only for
# this test, and export DBUS_SYSTEM_BUS_ADDRESS (pid in $DBUS_PID). Before calling it (or
# before dbus_reload), put activation files (*.service) into $TEST_TMP/dbus-services and policy
# files (*.conf) into $TEST_TMP/dbus-policy. Activated services are exec'd directly as root (no
# setuid helper, no systemd). By default root may own any name and call anything, so tests of
# the daemons need no policy file; with --strict root gets only what Debian's system.conf gives
# it, so a test can check that the project's own policy file is what lets the manager work.
dbus_start_private() {
        local strict=0 conf addrfile deadline
        [[ ${1:-} == --strict ]] && strict=1
        require_cmd dbus-daemon dbus

        mkdir -p "$TEST_TMP/dbus-services" "$TEST_TMP/dbus-policy"
        conf=$TEST_TMP/dbus-system.conf
        addrfile=$TEST_TMP/dbus.address
        {
                cat <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$TEST_TMP/system_bus_socket</listen>
  <auth>EXTERNAL</auth>
  <servicedir>$TEST_TMP/dbus-services</servicedir>

  <!-- The defaults of Debian's /usr/share/dbus-1/system.conf. -->
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
    <deny send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus" send_member="UpdateActivationEnvironment"/>
    <deny send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Debug.Stats"/>
  </policy>
EOF
                # ReloadConfig is root-only on a real system bus too (dbus_reload needs it).
                if ((strict)); then
                        cat <<EOF
  <policy user="root">
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus" send_member="ReloadConfig"/>
  </policy>
EOF
                else
                        cat <<EOF
  <policy user="root">
    <allow own="*"/>
    <allow send_type="method_call"/>
  </policy>
EOF
                fi
                cat <<EOF

  <includedir>$TEST_TMP/dbus-policy</includedir>
</busconfig>
EOF
        } >"$conf"

        dbus-daemon --config-file="$conf" --nofork --print-address=3 \
                3>"$addrfile" >"$TEST_TMP/dbus.log" 2>&1 </dev/null &
        DBUS_PID=$!
        _lib_track_pid dbus "$DBUS_PID"

        # The address is printed once the socket listens.
        deadline=$((SECONDS + 10))
        until [[ -s $addrfile ]]; do
                _lib_alive "$DBUS_PID" || lib_fail "dbus-daemon exited: $(cat "$TEST_TMP/dbus.log")"
                ((SECONDS < deadline)) || lib_fail "dbus-daemon printed no address after 10s"
                sleep 0.05
        done
        DBUS_SYSTEM_BUS_ADDRESS=$(head -n 1 "$addrfile")
        export DBUS_SYSTEM_BUS_ADDRESS
}

# dbus_reload: make the private bus re-read its policy and activation files.
dbus_reload() {
        busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" call org.freedesktop.DBus /org/freedesktop/DBus \
                org.freedesktop.DBus ReloadConfig >/dev/null
}

# ---------------------------------------------------------------------------------------------
# Network namespaces

# netns_create NAME: an `ip netns` namespace that is deleted when the test exits.
netns_create() {
        require_cmd ip iproute2
        ip netns add "$1"
        lib_cleanup ip netns delete "$1"
}

# ---------------------------------------------------------------------------------------------
# Docker

_lib_docker_ping() {
        [[ $(curl -s --max-time 2 --unix-socket "$LIB_DOCKER_SOCK" http://d/_ping 2>/dev/null) == OK ]]
}

# _lib_start_dockerd: make sure an engine answers on $LIB_DOCKER_SOCK. Returns 0 when it does,
# 2 when dockerd is not installed, 1 when it would not start (the reason on stderr).
# Shared with tools/*.sh, which treat the outcomes their own way.
_lib_start_dockerd() {
        local log=/var/log/lambdad-test-dockerd.log lockfd pid i
        _lib_fix_path
        _lib_docker_ping && return 0
        command -v dockerd >/dev/null 2>&1 || return 2

        # Tests run in parallel: only one of them may start the engine.
        exec {lockfd}>/run/lambdad-test-dockerd.lock
        if ! flock -w 90 "$lockfd"; then
                exec {lockfd}>&-
                echo "could not take /run/lambdad-test-dockerd.lock" >&2
                return 1
        fi

        if ! _lib_docker_ping; then
                # A pid file left by a dead engine makes dockerd refuse to start; a live one means
                # it is still starting, so wait for it instead of starting another.
                pid=$(cat "$LIB_DOCKER_PIDFILE" 2>/dev/null) || pid=
                if [[ -z $pid ]] || ! _lib_alive "$pid"; then
                        rm -f "$LIB_DOCKER_PIDFILE"
                        echo "# starting dockerd (log: $log)" >&2
                        # setsid+nohup: the engine outlives this test and its process group
                        # (meson kills the group on timeout). It must not hold the lock, nor
                        # the test's stdout (meson reads that until EOF).
                        # --icc=false: no traffic between containers on the default bridge, where
                        # lambda-manager then runs isolated functions (README, Security model).
                        setsid nohup dockerd --icc=false >>"$log" 2>&1 </dev/null {lockfd}>&- &
                        pid=$!
                fi
                for ((i = 0; i < 600; i++)); do
                        _lib_docker_ping && break
                        _lib_alive "$pid" || break
                        sleep 0.1
                done
        fi

        exec {lockfd}>&-
        _lib_docker_ping && return 0
        echo "dockerd did not answer on $LIB_DOCKER_SOCK within 60s; last lines of $log:" >&2
        tail -n 20 "$log" >&2 2>/dev/null
        return 1
}

# ensure_engine: the container engine the test drives, chosen by $LAMBDAD_ENGINE: "docker" (the
# default: ensure_dockerd) or "podman" (podman_start_private). Either way $LIB_DOCKER_SOCK is then
# the Engine API socket to give lambda-manager, and the `docker` client talks to that engine.
ensure_engine() {
        case ${LAMBDAD_ENGINE:-docker} in
        docker) ensure_dockerd ;;
        podman) podman_start_private ;;
        *) lib_fail "LAMBDAD_ENGINE='$LAMBDAD_ENGINE': docker or podman" ;;
        esac
}

# podman_start_private: a rootful Podman serving the Docker-compatible API for this test only:
# `podman system service` with its own storage, run directory and event log under
# $TEST_TMP/podman, and default ulimits within this machine's hard limits (Podman's own defaults
# exceed them here, and then every start fails with "error setting rlimit"). Sets $LIB_DOCKER_SOCK
# and exports DOCKER_HOST (the docker client), CONTAINERS_CONF and CONTAINERS_STORAGE_CONF (the
# podman client), so that both reach it. When the test exits the service stops, and its
# containers and storage are removed; any other Podman on the machine is left alone.
podman_start_private() {
        local dir=$TEST_TMP/podman i nofile nproc
        command -v podman >/dev/null 2>&1 ||
                lib_skip "podman is not installed (apt-get install podman; tools/deps.sh installs it)"
        mkdir -p "$dir/tmp"
        # The values tried on the development machines, lowered to this machine's hard limits
        # (the hard limits themselves are refused there for nproc).
        nofile=$(ulimit -Hn) nproc=$(ulimit -Hu)
        [[ $nofile != unlimited ]] && ((nofile < 20000)) || nofile=20000
        [[ $nproc != unlimited ]] && ((nproc < 32768)) || nproc=32768
        printf '%s\n' '[containers]' \
                "default_ulimits = [\"nofile=$nofile:$nofile\", \"nproc=$nproc:$nproc\"]" '' \
                '[engine]' 'events_logger = "file"' "events_logfile_path = \"$dir/events.log\"" \
                "tmp_dir = \"$dir/tmp\"" >"$dir/containers.conf"
        printf '%s\n' '[storage]' 'driver = "overlay"' "graphroot = \"$dir/root\"" \
                "runroot = \"$dir/run\"" >"$dir/storage.conf"
        export CONTAINERS_CONF=$dir/containers.conf CONTAINERS_STORAGE_CONF=$dir/storage.conf
        LIB_DOCKER_SOCK=$dir/podman.sock
        export DOCKER_HOST=unix://$LIB_DOCKER_SOCK
        # Registered first, so that it runs after the service has stopped.
        lib_cleanup _lib_podman_remove "$dir"
        # The service must not hold the manager lock (tests/lib/lambdad.sh) if it is taken.
        if [[ -n ${_LAMBDAD_LOCK:-} ]]; then
                start_bg podman-service podman system service --time=0 "unix://$LIB_DOCKER_SOCK" {_LAMBDAD_LOCK}>&-
        else
                start_bg podman-service podman system service --time=0 "unix://$LIB_DOCKER_SOCK"
        fi
        for ((i = 0; i < 300; i++)); do
                _lib_docker_ping && return 0
                _lib_alive "$BG_PID" || break
                sleep 0.1
        done
        lib_fail "podman system service did not answer on $LIB_DOCKER_SOCK within 30s"
}

# _lib_podman_remove DIR: remove the containers of the private Podman in DIR (their conmon
# processes outlive the service), stop what still runs from it (the conmon of an exec session
# lingers for minutes), then unmount what is mounted under it, and remove its storage. Also for
# the directory of a test that was killed (_lib_sweep_tmp), so nothing here may fail.
_lib_podman_remove() {
        local dir=$1 m p
        CONTAINERS_CONF=$dir/containers.conf CONTAINERS_STORAGE_CONF=$dir/storage.conf \
                podman rm --all --force --time 0 >/dev/null 2>&1 || true
        for p in $(pgrep -f -- "$dir/"); do
                _lib_kill_tree "$p"
        done
        for m in $(findmnt -rn -o TARGET | grep -F "$dir/" | sort -r); do
                umount -l "$m" 2>/dev/null || true
        done
        rm -rf "$dir" || true
}

# ensure_dockerd: a Docker engine answers, starting dockerd if needed (it is left running).
# Also removes the containers of tests that died too hard to clean up after themselves.
ensure_dockerd() {
        local rc=0
        _lib_start_dockerd || rc=$?
        case $rc in
        0) ;;
        2) lib_skip "dockerd not installed (apt-get install docker.io)" ;;
        *) lib_fail "could not start dockerd" ;;
        esac
        docker_sweep_orphans
}

# Who owns a tracked container: the test shell's pid, qualified by its pid namespace (a test
# may run inside systemd-nspawn against the same engine).
_lib_owner() {
        echo "$(readlink /proc/self/ns/pid):$$"
}

# docker_sweep_orphans: remove the containers docker_run_tracked made for tests whose shell is
# gone (killed by SIGKILL, say: meson kills a timed-out test 0.5 s after SIGTERM). Containers of
# tests still running, here or in another checkout sharing the engine, are left alone. The number
# removed is left in $DOCKER_SWEPT.
docker_sweep_orphans() {
        local id owner ns pid
        local -a orphans=()
        ns=$(readlink /proc/self/ns/pid)
        while read -r id owner; do
                [[ -n $id ]] || continue
                pid=${owner##*:}
                # Another pid namespace's test: its pids mean nothing here.
                [[ -z $owner || ${owner%:*} == "$ns" ]] || continue
                _lib_alive "$pid" || orphans+=("$id")
        done < <(docker ps -a --filter label=org.lambdad.test \
                --format '{{.ID}} {{.Label "org.lambdad.test.owner"}}' 2>/dev/null)
        if ((${#orphans[@]} > 0)); then
                docker rm -f "${orphans[@]}" >/dev/null 2>&1 || true
        fi
        # shellcheck disable=SC2034  # read by callers
        DOCKER_SWEPT=${#orphans[@]}
}

# docker_run_tracked ARGS...: `docker run -d ARGS...` labelled org.lambdad.test=$TEST_NAME (and
# with its owner, for docker_sweep_orphans), removed (docker rm -f) when the test exits; echoes
# the container id.
docker_run_tracked() {
        local cidfile
        cidfile=$(mktemp -u "$TEST_TMP/cid.XXXXXX")
        # Registered before the run: a container that is created but fails to start still counts.
        lib_cleanup _lib_docker_rm_cidfile "$cidfile"
        docker run -d --cidfile "$cidfile" --label "org.lambdad.test=$TEST_NAME" \
                --label "org.lambdad.test.owner=$(_lib_owner)" "$@" >/dev/null || return
        cat "$cidfile"
}

_lib_docker_rm_cidfile() {
        [[ -s $1 ]] || return 0
        docker rm -f "$(cat "$1")" >/dev/null 2>&1 || true
}

# container_port ID [PORT=8080]: the host port that container port PORT/tcp is published on.
container_port() {
        local port=${2:-8080} line
        [[ $port == */* ]] || port=$port/tcp
        line=$(docker port "$1" "$port" | head -n 1) || return
        [[ $line =~ :([0-9]+)$ ]] || {
                echo "FAIL: container $1 publishes no port for $port" >&2
                return 1
        }
        echo "${BASH_REMATCH[1]}"
}

# docker_image_busybox [TAG=lambdad-test-busybox:latest]: build (if missing) an image FROM
# scratch holding only /bin/busybox from busybox-static (no registry is reachable); echoes TAG.
docker_image_busybox() {
        local tag=${1:-lambdad-test-busybox:latest} ctx
        if ! docker image inspect "$tag" >/dev/null 2>&1; then
                [[ -x /bin/busybox ]] || lib_skip "/bin/busybox missing (apt-get install busybox-static)"
                file -L /bin/busybox | grep -q 'statically linked' ||
                        lib_skip "/bin/busybox is not static (apt-get install busybox-static)"
                ctx=$(mktemp -d "$TEST_TMP/busybox-image.XXXXXX")
                cp /bin/busybox "$ctx/busybox"
                printf 'FROM scratch\nCOPY busybox /bin/busybox\nENTRYPOINT ["/bin/busybox"]\n' >"$ctx/Dockerfile"
                # The classic builder: dockerd 20.10's BuildKit needs a buildx the clients may lack.
                DOCKER_BUILDKIT=0 docker build -q -t "$tag" "$ctx" >/dev/null 2>"$ctx/build.err" || {
                        cat "$ctx/build.err" >&2
                        return 1
                }
        fi
        echo "$tag"
}
