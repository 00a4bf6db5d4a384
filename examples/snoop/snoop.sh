# shellcheck shell=sh
# Handler for "snoop" (_HANDLER=snoop.handler), a hostile function for tests/integration/test-isolation.sh:
# it reads every /proc/*/environ and /proc/*/cmdline it can open, tries lambda-rie's memory
# (/proc/1/mem, /proc/1/maps) and its own environment, and POSTs an invocation to every http:// URL
# of its event. It answers what it read and the HTTP status of each URL (000: no connection), each
# base64-encoded: {"read":B64,"refused":B64,"urls":B64}.
handler () {
        out=$(mktemp)
        refused=$(mktemp)
        urls=$(mktemp)
        for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline /proc/[0-9]*/task/[0-9]*/environ \
                /proc/1/mem /proc/1/maps /proc/self/environ; do
                if cat "$f" >>"$out" 2>>"$refused"; then
                        echo "read $f" >>"$refused"
                fi
                echo >>"$out"
        done
        env >>"$out"
        for url in $(echo "$1" | grep -o 'http://[^"]*'); do
                code=$(curl -s -o /dev/null -w '%{http_code}' --connect-timeout 2 --max-time 3 "$url" -d '{}') || true
                echo "$url $code" >>"$urls"
        done
        printf '{"read":"%s","refused":"%s","urls":"%s"}\n' "$(tr '\0' '\n' <"$out" | base64 -w 0)" \
                "$(base64 -w 0 <"$refused")" "$(base64 -w 0 <"$urls")"
        rm -f "$out" "$refused" "$urls"
}
