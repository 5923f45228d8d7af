#!/bin/bash
# inet services: one socket per address of inet_interfaces and family of
# inet_protocols (IPv4 and IPv6), a host in column 1 overrides
# inet_interfaces, a reload that changes them reopens the sockets, and
# loopback-only means 127.0.0.1 and ::1.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/master/master-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
grep -q ' lo$' /proc/net/if_inet6 2>/dev/null || { echo "1..0 # SKIP no IPv6 loopback"; exit 0; }
mt_setup
P1=$(mt_port) P2=$(mt_port)
sed -i '/^inet_interfaces/d; /^inet_protocols/d' "$C/main.cf"
printf 'inet_interfaces = %s, ::1\ninet_protocols = all\n' "$ADDR" >>"$C/main.cf"
mt_master_cf "$P1 inet n - n - - test_echo
[::1]:$P2 inet n - n - - test_echo
postlog unix-dgram n - n - 1 postlogd"
postfix check >/dev/null 2>&1
mt_start
ok $? "master runs"
socks() { ss -Hltn "sport = :$1" | awk '{print $4}' | sort | tr '\n' ' '; }
is "$(socks "$P1")" "$ADDR:$P1 [::1]:$P1 " "port only: every inet_interfaces address, IPv4 and IPv6"
is "$(socks "$P2")" "[::1]:$P2 " "[::1]:port: only that address"
exec 5<>"/dev/tcp/::1/$P1"
like "$(mt_hello 5)" "^hello service=$P1 " "a client over IPv6 is served"
exec 5>&-
exec 5<>"/dev/tcp/$ADDR/$P1"
like "$(mt_hello 5)" "^hello service=$P1 " "a client over IPv4 is served"
exec 5>&-

sed -i 's/^inet_protocols = all/inet_protocols = ipv4/' "$C/main.cf"
postfix reload >/dev/null 2>&1
mt_wait bash -c "[ \"\$(ss -Hltn 'sport = :$P1' | wc -l)\" = 1 ]"
ok $? "reload with inet_protocols = ipv4 closes the IPv6 socket"
is "$(socks "$P1")" "$ADDR:$P1 " "and keeps the IPv4 one"
# loopback-only: Postfix's keyword for 127.0.0.1 and ::1.
sed -i 's/^inet_protocols = ipv4/inet_protocols = all/; s/^inet_interfaces = .*/inet_interfaces = loopback-only/' "$C/main.cf"
postfix reload >/dev/null 2>&1
mt_wait bash -c "ss -Hltn 'sport = :$P1' | grep -q '127.0.0.1:$P1'"
is "$(socks "$P1")" "127.0.0.1:$P1 [::1]:$P1 " "inet_interfaces = loopback-only: 127.0.0.1 and ::1"
exec 5<>"/dev/tcp/127.0.0.1/$P1"
like "$(mt_hello 5)" "^hello service=$P1 " "and serves there"
exec 5>&-
postfix stop >/dev/null 2>&1
ok $? "stop"
done_testing
