# test/lib/nsd.sh - an nsd of the test's own in a network namespace; source it.
#
#   nsd_start ZONE FILE [ZONE FILE ...]
#       creates the namespace pst-dns-$$ (lo up, so every 127.x address is
#       there), writes a config, pid file and zone list into a temporary
#       directory, starts nsd serving those zones on $NSD_ADDR port 53 (default
#       127.0.0.53) inside the namespace, and points the namespace's
#       /etc/resolv.conf at it (/etc/netns/pst-dns-$$/resolv.conf), then waits
#       (at most 10 s) until nsd answers for the first zone. Returns 1 with a
#       message on standard error when any step fails.
#   nsd_exec CMD ARGS...   runs a command inside the namespace: its
#                          /etc/resolv.conf names this nsd
#   nsd_soa ZONE           prints a zone file's head ($ORIGIN, $TTL, SOA, NS)
#                          for tests that write their own zones:
#                          { nsd_soa example.net; echo '@ MX 10 mx'; } >"$T/z"
#   nsd_add_addr ADDR      adds an address (e.g. 192.0.2.25, 2001:db8::25) to
#                          lo in the namespace, for servers the test starts
#                          there (all of 127/8 and ::1 are there already)
#   nsd_stop               stops nsd (by its pid), removes the namespace,
#                          /etc/netns/<ns> and the directory; nsd_start
#                          arranges for it to run at exit too
# Sets NSD_NS (namespace), NSD_ADDR, NSD_DIR, NSD_PID. Needs root, ip(8),
# nsd and python3 (for the readiness query); nsd_available tells whether
# they are there. The system's own nsd is never touched: ours has its own
# config, address, pid file and database settings.

NSD_ADDR=${NSD_ADDR:-127.0.0.53}
NSD_NS=
NSD_DIR=
NSD_PID=

nsd_available() {
    [ "$(id -u)" -eq 0 ] && command -v ip >/dev/null && command -v python3 >/dev/null &&
        { command -v nsd >/dev/null || [ -x /usr/sbin/nsd ]; }
}

_nsd_bin() {
    command -v nsd 2>/dev/null || echo /usr/sbin/nsd
}

# One SOA query over UDP from inside the namespace; 0 when a NOERROR answer
# with our query id comes back.
_nsd_query() {
    ip netns exec "$NSD_NS" python3 - "$1" "$2" <<'PY'
import os, socket, struct, sys
addr, zone = sys.argv[1], sys.argv[2].rstrip('.')
qid = struct.unpack('!H', os.urandom(2))[0]
q = struct.pack('!HHHHHH', qid, 0, 1, 0, 0, 0)
for label in zone.split('.'):
    q += bytes([len(label)]) + label.encode()
q += b'\0' + struct.pack('!HH', 6, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.3)
try:
    s.sendto(q, (addr, 53))
    r = s.recv(4096)
except OSError:
    sys.exit(1)
ok = len(r) >= 12 and struct.unpack('!H', r[:2])[0] == qid and (r[3] & 15) == 0
sys.exit(0 if ok else 1)
PY
}

nsd_start() {
    local ns=pst-dns-$$ i zone file first= prev
    if [ $# -lt 2 ] || [ $(($# % 2)) -ne 0 ]; then
        echo "nsd_start: usage: nsd_start ZONE FILE [ZONE FILE ...]" >&2
        return 1
    fi
    _nsd_clean_stale
    NSD_NS=$ns
    NSD_DIR=$(mktemp -d /tmp/postern-nsd.XXXXXX) || return 1
    if [ -z "${_NSD_TRAP_SET:-}" ]; then
        prev=$(trap -p EXIT)
        [ -z "$prev" ] || eval "_nsd_third $prev"
        _NSD_PREV_TRAP=${_NSD_THIRD:-}
        trap '_nsd_at_exit' EXIT
        # A test killed by timeout(1) still cleans up.
        [ -n "$(trap -p TERM)" ] || trap 'exit 143' TERM
        [ -n "$(trap -p INT)" ] || trap 'exit 130' INT
        _NSD_TRAP_SET=1
    fi
    ip netns add "$ns" || return 1
    ip netns exec "$ns" ip link set lo up || return 1
    mkdir -p "/etc/netns/$ns" || return 1
    printf 'nameserver %s\n' "$NSD_ADDR" >"/etc/netns/$ns/resolv.conf"

    cat >"$NSD_DIR/nsd.conf" <<CONF
server:
    ip-address: $NSD_ADDR
    port: 53
    do-ip6: no
    server-count: 1
    reuseport: no
    username: ""
    chroot: ""
    zonesdir: "$NSD_DIR"
    database: ""
    zonelistfile: "$NSD_DIR/zone.list"
    xfrdfile: "$NSD_DIR/xfrd.state"
    xfrdir: "$NSD_DIR"
    pidfile: "$NSD_DIR/nsd.pid"
    logfile: "$NSD_DIR/nsd.log"
    verbosity: 1
    hide-version: yes
remote-control:
    control-enable: no
CONF
    i=0
    while [ $# -gt 0 ]; do
        zone=$1 file=$2
        shift 2
        [ -n "$first" ] || first=$zone
        cp "$file" "$NSD_DIR/zone$i" || return 1
        printf 'zone:\n    name: "%s"\n    zonefile: "%s/zone%s"\n' "$zone" "$NSD_DIR" "$i" \
            >>"$NSD_DIR/nsd.conf"
        i=$((i + 1))
    done
    ip netns exec "$ns" "$(_nsd_bin)" -d -c "$NSD_DIR/nsd.conf" >"$NSD_DIR/nsd.out" 2>&1 &
    NSD_PID=$!
    for i in $(seq 1 100); do
        if ! kill -0 "$NSD_PID" 2>/dev/null; then
            echo "nsd_start: nsd exited:" >&2
            cat "$NSD_DIR/nsd.out" "$NSD_DIR/nsd.log" 2>/dev/null | tail -20 >&2
            NSD_PID=
            return 1
        fi
        if _nsd_query "$NSD_ADDR" "$first"; then
            return 0
        fi
        sleep 0.1
    done
    echo "nsd_start: nsd does not answer on $NSD_ADDR after 10 s:" >&2
    tail -20 "$NSD_DIR/nsd.log" >&2 2>/dev/null
    return 1
}

_nsd_third() {
    _NSD_THIRD=${3:-}
}

# Namespaces of earlier runs whose shell is gone (killed with SIGKILL): the
# processes in them are nsd instances this fixture started.
_nsd_clean_stale() {
    local ns pid
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^pst-dns-[0-9]+$'); do
        kill -0 "${ns#pst-dns-}" 2>/dev/null && continue
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            kill -KILL "$pid" 2>/dev/null
        done
        ip netns del "$ns" 2>/dev/null
        rm -rf "/etc/netns/$ns"
    done
}

nsd_soa() {
    local zone=${1%.}
    printf '$ORIGIN %s.\n$TTL 300\n' "$zone"
    printf '@ IN SOA ns.%s. hostmaster.%s. 1 3600 900 604800 300\n' "$zone" "$zone"
    printf '@ IN NS ns.%s.\nns IN A %s\n' "$zone" "$NSD_ADDR"
}

nsd_add_addr() {
    case $1 in
    *:*) ip -n "$NSD_NS" addr add "$1/128" dev lo nodad ;;
    *) ip -n "$NSD_NS" addr add "$1/32" dev lo ;;
    esac
}

nsd_exec() {
    ip netns exec "$NSD_NS" "$@"
}

nsd_stop() {
    local i pid
    if [ -n "$NSD_PID" ]; then
        kill -TERM "$NSD_PID" 2>/dev/null
        for i in $(seq 1 50); do
            kill -0 "$NSD_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$NSD_PID" 2>/dev/null
        wait "$NSD_PID" 2>/dev/null
        NSD_PID=
    fi
    if [ -n "$NSD_NS" ]; then
        # nsd's own children, if any outlived it: only processes in our namespace.
        for pid in $(ip netns pids "$NSD_NS" 2>/dev/null); do
            kill -KILL "$pid" 2>/dev/null
        done
        ip netns del "$NSD_NS" 2>/dev/null
        rm -rf "/etc/netns/$NSD_NS"
        NSD_NS=
    fi
    if [ -n "$NSD_DIR" ]; then
        rm -rf "$NSD_DIR"
        NSD_DIR=
    fi
}

_nsd_at_exit() {
    nsd_stop
    [ -z "${_NSD_PREV_TRAP:-}" ] || eval "$_NSD_PREV_TRAP"
}
