#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# shellcheck disable=SC2016,SC2119,SC2317  # eval strings, optional args, functions run via check
#
# selftest.sh: proves the test harness (lib.sh) keeps its promises, above all that whatever a test
# starts is gone after it exits, whether it passes, fails or is killed. The scenarios that end a
# test run as child scripts, so this script can look at what they leave behind.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lib_init lib-selftest

LIB=$_LIB_DIR/lib.sh

# child NAME BODY: write a test script that sources lib.sh and runs BODY; prints its path.
child() {
        local f=$TEST_TMP/$1.sh
        printf 'source %q\nlib_init %q\n%s\n' "$LIB" "selftest-$1" "$2" >"$f"
        echo "$f"
}

# run_child NAME BODY: run it; its stdout+stderr in $OUT, exit status in $RC.
run_child() {
        RC=0
        OUT=$(bash "$(child "$1" "$2")" 2>&1) || RC=$?
}

# gone FILE: the pid in FILE is no longer running (a zombie counts as gone).
gone() {
        local pid
        pid=$(cat "$1")
        ! _lib_alive "$pid" || {
                echo "FAIL: pid $pid from $1 still runs: $(ps -o pid,stat,args -p "$pid" | tail -n 1)" >&2
                return 1
        }
}

tmp_gone() {
        [[ ! -e $1 ]] || {
                echo "FAIL: $1 still exists" >&2
                return 1
        }
}

# --- Life cycle -------------------------------------------------------------------------------

marks=$TEST_TMP/marks
run_child order "
        echo \"\$TEST_TMP\" >$marks.tmp
        lib_cleanup 'echo first >>$marks'
        lib_cleanup false
        lib_cleanup echo second \">>\" $marks
        x=\$(lib_cleanup 'echo from-subshell >>$marks'; echo y)
        lib_cleanup exit 3
        lib_cleanup 'echo third >>$marks'
        lib_fail 'on purpose'
"
check "lib_fail exits 1" assert_eq 1 "$RC" "exit status"
check "lib_fail prints FAIL:" assert_contains "$OUT" "FAIL: on purpose" "output"
# 'exit 3' in a cleanup must not stop the others; the ">>" registered as an argument stays literal.
check "cleanups run in reverse order, failures ignored" \
        assert_eq "third from-subshell first" "$(tr '\n' ' ' <"$marks" | sed 's/ $//')" "cleanup order"
check "a cleanup given as arguments is not re-parsed" assert_contains "$OUT" "second >> $marks" "output"
check "TEST_TMP removed after failure" tmp_gone "$(cat "$marks.tmp")"

run_child skip 'lib_skip "no frobnicator"; echo not reached'
check "lib_skip exits 77" assert_eq 77 "$RC" "exit status"
check "lib_skip says why" assert_eq "SKIP: no frobnicator" "$OUT" "output"

run_child tap '
        check "true passes" true
        check "false fails" false
        ok "plain ok"
        lib_done
'
check "lib_done exits 1 when a check failed" assert_eq 1 "$RC" "exit status"
check "TAP lines" assert_contains "$OUT" $'ok 1 - true passes\nnot ok 2 - false fails' "output"
check "TAP plan" assert_contains "$OUT" $'ok 3 - plain ok\n1..3' "output"

run_child tap-pass 'check "one" true; lib_done'
check "lib_done exits 0 when all passed" assert_eq 0 "$RC" "exit status"

run_child asserts '
        assert_eq a a "same" && assert_contains "haystack" "yst" "inside" && echo fine
        assert_eq a b "letters"
        echo not reached
'
check "asserts pass quietly" assert_contains "$OUT" "fine" "output"
check "failed assert_eq ends the test" assert_eq 1 "$RC" "exit status"
check "failed assert_eq says what" assert_contains "$OUT" "FAIL: letters: expected 'a', got 'b'" "output"
check "failed assert_eq stops the script" eval '[[ $OUT != *"not reached"* ]]'

# A test killed by meson's timeout still cleans up what it started, grandchildren too: meson
# sends SIGTERM to the test's process group and SIGKILL 0.5 s later, so the cleaning (slow here
# on purpose) must survive that SIGKILL.
f=$(child killed "
        lib_cleanup 'sleep 1; echo cleaned >$marks.killed'
        start_bg sleeper sleep 1000
        start_bg family bash -c 'sleep 1000 & echo \$! >$TEST_TMP/grandchild.pid; wait'
        echo \"\$TEST_TMP\" >$marks.killed-tmp
        cp \"\$TEST_TMP/sleeper.pid\" $TEST_TMP/sleeper.pid
        echo ready >$marks.ready
        sleep 1000
")
# Like meson, the test leads a process group of its own.
setsid bash "$f" >"$TEST_TMP/killed.log" 2>&1 &
killed=$!
lib_cleanup "kill -KILL -- -$killed 2>/dev/null || true"
for ((i = 0; i < 100; i++)); do
        [[ -e $marks.ready && -s $TEST_TMP/grandchild.pid ]] && break
        sleep 0.05
done
kill -TERM -- "-$killed"
sleep 0.5
kill -KILL -- "-$killed" 2>/dev/null || true
wait "$killed" 2>/dev/null || true
# Each stopped process may take its 5 s of grace: on a loaded machine the cleaning is slow.
for ((i = 0; i < 300; i++)); do
        [[ -e $marks.killed && ! -e $(cat "$marks.killed-tmp") ]] && break
        sleep 0.1
done
check "SIGTERM+SIGKILL: cleanups ran to the end" test -e "$marks.killed"
check "SIGTERM+SIGKILL: background process gone" gone "$TEST_TMP/sleeper.pid"
check "SIGTERM+SIGKILL: its child gone too" gone "$TEST_TMP/grandchild.pid"
check "SIGTERM+SIGKILL: TEST_TMP removed" tmp_gone "$(cat "$marks.killed-tmp")"

# --- Private system bus and socket activation ---------------------------------------------------

require_cmd busctl systemd

run_child dbus "
        cat >\"\$TEST_TMP/dbus-services/org.lambdad.SelfTest.service\" <<EOF
[D-BUS Service]
Name=org.lambdad.SelfTest
Exec=/bin/sh -c 'echo activated >$marks.activated; exit 1'
EOF
        dbus_start_private
        echo \$DBUS_PID >$TEST_TMP/dbus.pid
        case \$DBUS_SYSTEM_BUS_ADDRESS in unix:path=\$TEST_TMP/*) ;; *) lib_fail \"address \$DBUS_SYSTEM_BUS_ADDRESS\" ;; esac
        busctl list --no-pager | grep -q '^org.freedesktop.DBus ' || lib_fail 'busctl list'
        busctl --address=\"\$DBUS_SYSTEM_BUS_ADDRESS\" status org.freedesktop.DBus >/dev/null || lib_fail 'busctl --address'
        # Activation execs the file's Exec=; it fails without taking the name, and the bus says so.
        err=\$(busctl call --timeout=5 org.lambdad.SelfTest / org.lambdad.SelfTest Ping 2>&1) && lib_fail 'call succeeded'
        assert_contains \"\$err\" 'exited with status 1' 'activation error'
        test -e $marks.activated || lib_fail 'activation did not run Exec='
        dbus_reload || lib_fail 'ReloadConfig'
        echo dbus-ok
"
check "dbus_start_private: busctl list, activation, reload" assert_contains "$OUT" "dbus-ok" "output"
check "dbus_start_private: dbus-daemon gone afterwards" gone "$TEST_TMP/dbus.pid"

run_child dbus-strict "
        cat >\"\$TEST_TMP/dbus-policy/selftest.conf\" <<EOF
<busconfig><policy user=\"root\"><allow own=\"org.lambdad.Allowed\"/></policy></busconfig>
EOF
        dbus_start_private --strict
        dbus_reload || lib_fail 'ReloadConfig in --strict'
        busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus RequestName su org.lambdad.Allowed 0 || lib_fail 'policy file not applied'
        if busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus RequestName su org.lambdad.Other 0; then
                lib_fail 'strict policy lets root own anything'
        fi
        echo strict-ok
"
check "dbus_start_private --strict: policy dir applies, root owns only what it allows" \
        assert_contains "$OUT" "strict-ok" "output"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$TEST_TMP/fd3-server.py" <<'EOF'
# Serves on the socket systemd passes as fd 3, like the gateway will.
import os, socket
assert os.environ["LISTEN_FDS"] == "1" and os.environ["LISTEN_PID"] == str(os.getpid())
s = socket.socket(fileno=3)
while True:
    c, _ = s.accept()
    c.recv(65536)
    body = os.environ.get("DBUS_SYSTEM_BUS_ADDRESS", "unset").encode()
    c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    c.close()
EOF
run_child socket "
        export DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent-test-value
        socket_activate 127.0.0.1:$port python3 $TEST_TMP/fd3-server.py
        echo \$SOCKET_ACTIVATE_PID >$TEST_TMP/socket.pid
        wait_for_http --ok http://127.0.0.1:$port/ 5
        curl -s http://127.0.0.1:$port/
        echo
        mkdir \"\$TEST_TMP/www\" && echo inetd-ok >\"\$TEST_TMP/www/index.html\"
        socket_activate \"\$TEST_TMP/http.sock\" --accept --inetd -- busybox httpd -i -h \"\$TEST_TMP/www\"
        curl -s --unix-socket \"\$TEST_TMP/http.sock\" http://x/index.html
"
check "socket_activate: LISTEN_FDS server answers, bus address passed" \
        assert_contains "$OUT" "unix:path=/nonexistent-test-value" "output"
check "socket_activate: options before --, unix socket" assert_contains "$OUT" "inetd-ok" "output"
check "socket_activate: process gone afterwards" gone "$TEST_TMP/socket.pid"

# --- ensure_dockerd's start path, with a fake dockerd (a real engine may be running already) -----

fake=$TEST_TMP/fake-dockerd
mkdir -p "$fake/bin"
cat >"$fake/bin/dockerd" <<'EOF'
#!/usr/bin/env python3
# Writes its pid file at once but answers GET /_ping only after a second, like a starting engine.
import os, socket, time
with open(os.environ["FAKE_DIR"] + "/starts", "a") as f:
    f.write("%d\n" % os.getpid())
with open(os.environ["LIB_DOCKER_PIDFILE"], "w") as f:
    f.write(str(os.getpid()))
time.sleep(1)
s = socket.socket(socket.AF_UNIX)
s.bind(os.environ["LIB_DOCKER_SOCK"])
s.listen(16)
while True:
    c, _ = s.accept()
    c.recv(4096)
    c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nOK")
    c.close()
EOF
chmod +x "$fake/bin/dockerd"
# It is started detached on purpose, so it is not ours to reap: stop it through its pid file.
lib_cleanup "kill \$(cat $fake/docker.pid) 2>/dev/null || true"

# Three "tests" at once: one engine start, all three succeed, and none hangs on its stdout
# (the engine must not keep the pipe open that $(...) and meson read to EOF).
for i in 1 2 3; do
        (
                export FAKE_DIR=$fake LIB_DOCKER_SOCK=$fake/docker.sock LIB_DOCKER_PIDFILE=$fake/docker.pid
                export PATH=$fake/bin:$PATH
                rc=0
                : "$(timeout 30 bash -c "source $LIB; _lib_start_dockerd" 2>&1)" || rc=$?
                echo "$rc" >"$fake/rc.$i"
        ) &
done
wait
check "ensure_dockerd: parallel callers all succeed" \
        assert_eq "0 0 0" "$(cat "$fake"/rc.{1,2,3} | tr '\n' ' ' | sed 's/ $//')" "exit statuses"
check "ensure_dockerd: exactly one engine started" assert_eq 1 "$(wc -l <"$fake/starts")" "starts"
check "ensure_dockerd: the engine outlives its starter" _lib_alive "$(cat "$fake/docker.pid")"

# --- Docker -------------------------------------------------------------------------------------

ensure_dockerd
image=$(docker_image_busybox)

cid=$(docker_run_tracked -p 127.0.0.1::8080 "$image" httpd -f -p 8080 -h /)
check "docker_run_tracked labels the container" assert_eq "lib-selftest" \
        "$(docker inspect -f '{{index .Config.Labels "org.lambdad.test"}}' "$cid")" "label"
hport=$(container_port "$cid")
check "container_port gives a port" eval '[[ $hport =~ ^[0-9]+$ ]]'
check "wait_for_port on the container" wait_for_port 127.0.0.1 "$hport" 10
check "wait_for_http on the container" wait_for_http "http://127.0.0.1:$hport/" 10
check "wait_for_http --ok times out on a 404" eval "! wait_for_http --ok http://127.0.0.1:$hport/nope 1 2>/dev/null"

# A test killed by SIGKILL cleans nothing up; the next ensure_dockerd removes its containers, and
# only those.
exists() { docker inspect "$1" >/dev/null 2>&1; }
f=$(child orphan "
        echo \"\$TEST_TMP\" >$TEST_TMP/orphan.tmp
        docker_run_tracked $image httpd -f -p 8080 -h / >$TEST_TMP/orphan.cid
        kill -KILL \$\$
")
# (A wrapper shell takes bash's "Killed" report to /dev/null.)
bash -c 'bash "$1" >/dev/null 2>&1; exit 0' _ "$f" 2>/dev/null
orphan_tmp=$(cat "$TEST_TMP/orphan.tmp")
lib_cleanup rm -rf "$orphan_tmp"
check "SIGKILL: its TEST_TMP is left behind" test -d "$orphan_tmp"
run_child next 'true'
check "the next lib_init removes it" tmp_gone "$orphan_tmp"
orphan=$(cat "$TEST_TMP/orphan.cid")
lib_cleanup "docker rm -f $orphan >/dev/null 2>&1 || true"
check "SIGKILL: the container is left behind" exists "$orphan"
docker_sweep_orphans
check "docker_sweep_orphans removes it" eval "! exists $orphan"
check "docker_sweep_orphans keeps a live test's containers" exists "$cid"

# A failing test removes its containers, even one that was created but could not start.
run_child docker "
        ensure_dockerd
        docker_run_tracked $image httpd -f -p 8080 -h / >/dev/null
        docker_run_tracked --entrypoint /no/such/binary $image >/dev/null || echo start-failed
        docker ps -aq --filter label=org.lambdad.test=selftest-docker | wc -l
        lib_fail 'on purpose'
"
check "docker: both containers existed" assert_contains "$OUT" $'start-failed\n2' "output"
check "docker: none left after a failed test" \
        assert_eq 0 "$(docker ps -aq --filter label=org.lambdad.test=selftest-docker | wc -l)" "containers left"

# --- Podman ---------------------------------------------------------------------------------------

# A private Podman, as LAMBDAD_ENGINE=podman tests use it: the docker client reaches it, a
# container runs in it (and an exec session, whose conmon lingers), the service does not hold the
# manager lock it was started under, and after a failed test nothing of it is left: no process
# started from its directory, nothing mounted there, the directory gone.
if command -v podman >/dev/null 2>&1; then
        run_child podman "
                exec {_LAMBDAD_LOCK}>'$TEST_TMP/podman-test.lock'
                LAMBDAD_ENGINE=podman ensure_engine
                echo \"\$TEST_TMP/podman\" >'$TEST_TMP/podman.dir'
                echo \"\$LIB_DOCKER_SOCK \$DOCKER_HOST\"
                ls -l /proc/\$PID_podman_service/fd | grep -q podman-test.lock || echo lock-not-held
                img=\$(docker_image_busybox lambdad-selftest-busybox:latest)
                id=\$(docker run -d \"\$img\" sleep 300)
                docker exec \"\$id\" /bin/busybox true && echo exec-ok
                lib_fail 'on purpose'
        "
        pdir=$(cat "$TEST_TMP/podman.dir")
        check "podman_start_private: the docker client talks to its socket" \
                assert_contains "$OUT" "$pdir/podman.sock unix://$pdir/podman.sock" "output"
        check "podman_start_private: the service does not hold the manager lock" \
                assert_contains "$OUT" "lock-not-held" "output"
        check "podman_start_private: a container runs, exec works" assert_contains "$OUT" "exec-ok" "output"
        check "podman_start_private: no process of it left" eval "[[ -z \$(pgrep -f -- '$pdir/') ]]"
        check "podman_start_private: nothing mounted under it left" \
                eval "! findmnt -rn -o TARGET | grep -qF '$pdir/'"
        check "podman_start_private: its storage removed" test ! -e "$pdir"

        # A test killed by SIGKILL cleans nothing up: the next lib_init stops its Podman and
        # removes its containers and storage.
        f=$(child podman-orphan "
                LAMBDAD_ENGINE=podman ensure_engine
                echo \"\$TEST_TMP/podman\" >'$TEST_TMP/podman-orphan.dir'
                docker run -d \"\$(docker_image_busybox lambdad-selftest-busybox:latest)\" sleep 300 >/dev/null
                kill -KILL \$\$
        ")
        bash -c 'bash "$1" >/dev/null 2>&1; exit 0' _ "$f" 2>/dev/null
        pdir=$(cat "$TEST_TMP/podman-orphan.dir")
        check "SIGKILL: its Podman's container is left behind" eval "[[ -n \$(pgrep -f -- 'conmon.*$pdir/') ]]"
        run_child next 'true'
        check "the next lib_init stops what ran from its Podman" eval "[[ -z \$(pgrep -f -- '$pdir/') ]]"
        check "the next lib_init removes its Podman's storage" test ! -e "$pdir"
else
        ok "# SKIP podman is not installed (apt-get install podman)"
fi

lib_done
