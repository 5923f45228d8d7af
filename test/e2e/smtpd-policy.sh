#!/bin/bash
# check_policy_service (SMTPD_POLICY_README): smtpd under master asks a
# policy server written here (Python, TCP on $ADDR and a UNIX socket
# private/policy under the queue directory) which records every request and
# answers per recipient: DUNNO, REJECT text, DEFER_IF_PERMIT, 4xx text,
# PREPEND, a restriction class, a reply slower than the service's timeout,
# a malformed reply, an oversized line, a closed connection. Checks: the
# exact SMTP replies and reject log lines, the request (every 3.7 attribute,
# one per line, the empty line at its end, DATA-stage values), one kept
# connection for many requests, the PREPENDed header in the queue file, the
# warnings, and the default action when the server is down.
. "$POSTERN_SRC/test/lib.sh"
. "$POSTERN_SRC/test/data/smtpd/smtpd-lib.sh"
inst_require smtpd cleanup
sd_setup "local_recipient_maps =" \
    "smtpd_restriction_classes = polclass, limclass, greyclass" \
    "polclass = reject"
PPORT=$(inst_port)
PGPORT=$(inst_port)
REQ=$T/requests.log
# END-OF-MESSAGE requests on a service of their own (the other counts stay).
P_EOD=$(inst_port)
sd_params "eod_policy = check_policy_service unix:private/policy"
inst_service "$ADDR:$P_EOD inet n - y - - smtpd -o smtpd_end_of_data_restrictions=\$eod_policy"
sd_params "limclass = check_policy_service { inet:$ADDR:$PPORT, request_limit=2, try_limit=2, retry_delay=1s, timeout = 1s, policy_context=lim }" \
    "greyclass = check_policy_service inet:$ADDR:$PGPORT, permit" \
    "smtpd_recipient_restrictions = reject_unauth_destination, check_recipient_access inline:{{lim1@mail.example.com=limclass}, {lim2@mail.example.com=limclass}, {lim3@mail.example.com=limclass}, {lim4@mail.example.com=limclass}, {limclosed@mail.example.com=limclass}, {grey@mail.example.com=greyclass}}, check_policy_service { inet:$ADDR:$PPORT, timeout=1s, try_limit=1 }" \
    "smtpd_data_restrictions = check_policy_service { policy_context=datactx } unix:private/policy"

cat >"$T/policy.py" <<'PY'
import os, socket, sys, threading, time
addr, port, upath, log = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
lock = threading.Lock()
counter = [0]

def answer(attrs):
    local = attrs.get("recipient", "").split("@")[0]
    if attrs.get("protocol_state") != "RCPT":
        return b"action=DUNNO\n\n"
    return {
        "dunno": b"action=DUNNO\n\n",
        "reject": b"action=REJECT policy says no\n\n",
        "dip": b"action=DEFER_IF_PERMIT greylisted by policy\n\n",
        "tempfail": b"action=450 4.2.0 try later from policy\nextra=ignored\n\n",
        "prepend": b"action=PREPEND X-Policy: tagged\n\n",
        "class": b"action=polclass\n\n",
        "malformed": b"this line has no equals sign\n\n",
        "garbage": b"action=" + b"x" * 9000 + b"\n\n",
    }.get(local, b"action=DUNNO\n\n")

def serve(conn, n):
    f = conn.makefile("rb")
    while True:
        raw = []
        while True:
            line = f.readline(20000)
            if not line:
                conn.close()
                return
            raw.append(line)
            if line == b"\n":
                break
        attrs = dict(l.decode("latin-1").rstrip("\n").split("=", 1) for l in raw if l != b"\n")
        with lock:
            with open(log, "ab") as out:
                out.write(b"conn=%d\n" % n + b"".join(raw) + b"---\n")
        local = attrs.get("recipient", "").split("@")[0]
        if local in ("closed", "limclosed"):
            conn.close()
            return
        if local == "slow":
            time.sleep(2.5)
        try:
            conn.sendall(answer(attrs))
        except OSError:
            return

def accept(ls):
    while True:
        c, _ = ls.accept()
        with lock:
            counter[0] += 1
            n = counter[0]
        threading.Thread(target=serve, args=(c, n), daemon=True).start()

t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind((addr, port)); t.listen(16)
u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
u.bind(upath); os.chmod(upath, 0o666); u.listen(16)
threading.Thread(target=accept, args=(u,), daemon=True).start()
open(log + ".ready", "w").close()
accept(t)
PY
mkdir -p "$Q/private"
python3 "$T/policy.py" "$ADDR" "$PPORT" "$Q/private/policy" "$REQ" &
POLPID=$!
pol_stop() { [ -n "$POLPID" ] && kill "$POLPID" 2>/dev/null && wait "$POLPID" 2>/dev/null; POLPID=; }
trap 'pol_stop; inst_cleanup' EXIT
inst_wait test -e "$REQ.ready"
ok $? "policy server listens"
sd_start
ok $? "master and smtpd run"

# --- the answers ---------------------------------------------------------------------
sd_dialog answers <<'D'
S~ 220 .*
C: EHLO client.example.net
M: 250
C: MAIL FROM:<sender@example.net>
S: 250 2.1.0 Ok
C: RCPT TO:<dunno@mail.example.com>
S: 250 2.1.5 Ok
C: RCPT TO:<reject@mail.example.com>
S: 554 5.7.1 <reject@mail.example.com>: Recipient address rejected: policy says no
C: RCPT TO:<dip@mail.example.com>
S: 450 4.7.1 <dip@mail.example.com>: Recipient address rejected: greylisted by policy
C: RCPT TO:<tempfail@mail.example.com>
S: 450 4.2.0 try later from policy
C: RCPT TO:<class@mail.example.com>
S: 554 5.7.1 <class@mail.example.com>: Recipient address rejected: Access denied
C: RCPT TO:<prepend@mail.example.com>
S: 250 2.1.5 Ok
C: DATA
S~ 354 .*
C: Subject: policy test
C:
C: hello
C: .
S~ 250 2\.0\.0 Ok: queued as [0-9A-F]+
C: QUIT
S: 221 2.0.0 Bye
D

like "$(sd_log 'reject: RCPT from [^ ]+: 554 5\.7\.1 <reject@')" \
    "[0-9A-F]+: reject: RCPT from unknown\[127\.0\.0\.1\]: 554 5\.7\.1 <reject@mail\.example\.com>: Recipient address rejected: policy says no; from=<sender@example\.net> to=<reject@mail\.example\.com> proto=ESMTP helo=<client\.example\.net>" \
    "reject log line in Postfix's shape"
like "$(sd_log 'reject: RCPT from [^ ]+: 450 4\.7\.1 <dip@')" \
    "greylisted by policy; from=<sender@example\.net> to=<dip@mail\.example\.com> proto=ESMTP" \
    "DEFER_IF_PERMIT log line"

# The first request, attribute by attribute, in order, ended by an empty line.
awk '/^conn=/{n++} n==1 && !/^conn=/ && !/^---$/' "$REQ" >"$T/first"
is "$(sed 's/=.*//' "$T/first" | tr '\n' ' ')" \
    "request protocol_state protocol_name helo_name queue_id sender recipient recipient_count client_address client_name reverse_client_name instance sasl_method sasl_username sasl_sender size ccert_subject ccert_issuer ccert_fingerprint ccert_pubkey_fingerprint encryption_protocol encryption_cipher encryption_keysize etrn_domain stress client_port policy_context server_address server_port compatibility_level mail_version  " \
    "request: every attribute, one per line, then the empty line"
like "$(tr "\n" " " <"$T/first")" \
    "request=smtpd_access_policy protocol_state=RCPT protocol_name=ESMTP helo_name=client\.example\.net queue_id= sender=sender@example\.net recipient=dunno@mail\.example\.com recipient_count=0 client_address=127\.0\.0\.1 client_name=unknown reverse_client_name=unknown instance=[0-9a-f]+\.[0-9a-f]+\.[0-9a-f]+\.[0-9a-f]+ sasl_method= sasl_username= sasl_sender= size=0 .* encryption_protocol= .* etrn_domain= stress= client_port=[0-9]+ policy_context= server_address=$ADDR server_port=$PORT compatibility_level=[0-9.]+ mail_version=3\.7\.[0-9]+" \
    "request: values"
is "$(awk '/^conn=/{c=$0} /^recipient=/{print c}' "$REQ" | head -6 | sort -u | wc -l)" 1 \
    "six RCPT requests over one kept connection"
is "$(grep -c '^instance=' "$REQ")" "$(grep '^instance=' "$REQ" | grep -c "$(grep -m1 '^instance=' "$REQ")")" \
    "one instance value for the whole transaction"
# DATA: through the UNIX socket, with the recipient count and the context.
awk '/^conn=/{b=""} {b=b $0 " "} /^---$/ && b ~ /protocol_state=DATA/ {print b}' "$REQ" >"$T/datareq"
like "$(cat "$T/datareq")" "recipient= recipient_count=2 .*policy_context=datactx" \
    "DATA request over unix:private/policy: recipient_count=2, no single recipient, policy_context"
id=$(sd_queue_id -e '^X-Policy: tagged')
ok $([ -n "$id" ]; echo $?) "PREPEND header in the queued message $id"

# --- failures: each is the default action, with a warning -----------------------------
n_before=$(grep -c '^conn=' "$REQ")
sd_dialog failures <<'D'
S~ 220 .*
C: EHLO client.example.net
M: 250
C: MAIL FROM:<sender@example.net>
S: 250 2.1.0 Ok
C: RCPT TO:<slow@mail.example.com>
S: 451 4.3.5 Server configuration problem
C: RCPT TO:<malformed@mail.example.com>
S: 451 4.3.5 Server configuration problem
C: RCPT TO:<garbage@mail.example.com>
S: 451 4.3.5 Server configuration problem
C: RCPT TO:<closed@mail.example.com>
S: 451 4.3.5 Server configuration problem
C: RCPT TO:<dunno@mail.example.com>
S: 250 2.1.5 Ok
C: QUIT
S: 221 2.0.0 Bye
D
like "$(sd_log "problem talking to server inet:$ADDR:$PPORT: .*time")" "warning: problem talking to server" \
    "warning: timeout"
like "$(sd_log "problem talking to server inet:.*malformed")" "malformed reply line" "warning: malformed reply"
like "$(sd_log "problem talking to server inet:.*too long")" "reply line too long" "warning: oversized reply line"
like "$(sd_log "problem talking to server inet:.*closed")" "closed by server" "warning: closed connection"
like "$(sd_log 'reject: RCPT from [^ ]+: 451 4\.3\.5 ')" \
    "451 4\.3\.5 Server configuration problem; from=<sender@example\.net> to=<slow@mail\.example\.com> proto=ESMTP helo=<client\.example\.net>" \
    "default action logged as a reject"
ok $([ "$(grep -c '^conn=' "$REQ")" -eq $((n_before + 5)) ]; echo $?) "five requests seen by the server"

# --- request_limit and try_limit (a restriction class names the service) ---------------
sd_dialog limits <<'D'
S~ 220 .*
C: EHLO client.example.net
M: 250
C: MAIL FROM:<sender@example.net>
S: 250 2.1.0 Ok
C: RCPT TO:<lim1@mail.example.com>
S: 250 2.1.5 Ok
C: RCPT TO:<lim2@mail.example.com>
S: 250 2.1.5 Ok
C: RCPT TO:<lim3@mail.example.com>
S: 250 2.1.5 Ok
C: RCPT TO:<lim4@mail.example.com>
S: 250 2.1.5 Ok
C: RCPT TO:<limclosed@mail.example.com>
S: 451 4.3.5 Server configuration problem
C: QUIT
S: 221 2.0.0 Bye
D
awk '/^conn=/{c=$0} /^recipient=/{r=$0} /^policy_context=lim$/ && r ~ /=lim[1-4]@/ {print c}' "$REQ" >"$T/limconns"
is "$(wc -l <"$T/limconns") $(sort -u "$T/limconns" | wc -l)" "4 2" \
    "request_limit=2: four requests over two connections"
is "$(grep -c '^recipient=limclosed@' "$REQ")" 2 "try_limit=2: two attempts"
is "$(grep -c "problem talking to server inet:$ADDR:$PPORT: connection closed by server" "$LOG")" 3 \
    "one warning per failed attempt"

# --- a real policy server: Debian's postgrey (greylisting) -------------------------------
if command -v postgrey >/dev/null && id postgrey >/dev/null 2>&1; then
    mkdir "$T/pg" && : >"$T/pg/none" && chown postgrey "$T/pg"
    postgrey --inet="$ADDR:$PGPORT" --dbdir="$T/pg" --delay=1 --auto-whitelist-clients=0 \
        --whitelist-clients="$T/pg/none" --whitelist-recipients="$T/pg/none" >"$T/pg/log" 2>&1 &
    PGPID=$!
    trap 'pol_stop; [ -n "$PGPID" ] && kill "$PGPID" 2>/dev/null; inst_cleanup' EXIT
    inst_wait grep -q "Setting uid" "$T/pg/log"
    sd_dialog postgrey-first <<'D'
S~ 220 .*
C: EHLO client.example.net
M: 250
C: MAIL FROM:<sender@example.net>
S: 250 2.1.0 Ok
C: RCPT TO:<grey@mail.example.com>
S: 450 4.2.0 <grey@mail.example.com>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/mail.example.com.html
C: QUIT
S: 221 2.0.0 Bye
D
    # after postgrey's delay (1 s) the same triplet passes, with its PREPENDed header
    SD_RETRY=1 sd_dialog postgrey-retry <<'D'
S~ 220 .*
C: EHLO client.example.net
M: 250
C: MAIL FROM:<sender@example.net>
S: 250 2.1.0 Ok
C: RCPT TO:<grey@mail.example.com>
S: 250 2.1.5 Ok
C: DATA
S~ 354 .*
C: Subject: greylisted
C:
C: hello again
C: .
S~ 250 2\.0\.0 Ok: queued as [0-9A-F]+
C: QUIT
S: 221 2.0.0 Bye
D
    id=$(sd_queue_id -e '^X-Greylist: delayed [0-9]* seconds by postgrey')
    ok $([ -n "$id" ]; echo $?) "postgrey's X-Greylist header in the queued message $id"
    kill "$PGPID" 2>/dev/null
    wait "$PGPID" 2>/dev/null
    PGPID=
else
    skip "postgrey is not installed (test/deps.sh)"
fi

# --- END-OF-MESSAGE: size is the size received, not MAIL FROM SIZE= -----------------
# The content is 29 bytes: "Subject: size test" CR LF, CR LF, "hello" CR LF.
PORT=$P_EOD sd_dialog eod <<'D'
S~ 220 .*
C: EHLO client.example.net
M: 250
C: MAIL FROM:<sender@example.net> SIZE=99999
S: 250 2.1.0 Ok
C: RCPT TO:<dunno@mail.example.com>
S: 250 2.1.5 Ok
C: DATA
S~ 354 .*
C: Subject: size test
C:
C: hello
C: .
S~ 250 2\.0\.0 Ok: queued as [0-9A-F]+
C: QUIT
S: 221 2.0.0 Bye
D
awk '/^conn=/{b=""} {b=b $0 " "} /^---$/ && b ~ /protocol_state=RCPT/ && b ~ /size=99999/ {print b}' \
    "$REQ" >"$T/rcptreq"
like "$(cat "$T/rcptreq")" " size=99999 " "RCPT request: size is MAIL FROM SIZE="
awk '/^conn=/{b=""} {b=b $0 " "} /^---$/ && b ~ /protocol_state=END-OF-MESSAGE/ {print b}' \
    "$REQ" >"$T/eodreq"
like "$(cat "$T/eodreq")" " size=29 .*recipient_count=1|recipient_count=1 .* size=29 " \
    "END-OF-MESSAGE request: size is the content received (29), not SIZE=99999"

# --- the server is down ------------------------------------------------------------------
pol_stop
sd_dialog down <<'D'
S~ 220 .*
C: EHLO client.example.net
M: 250
C: MAIL FROM:<sender@example.net>
S: 250 2.1.0 Ok
C: RCPT TO:<dunno@mail.example.com>
S: 451 4.3.5 Server configuration problem
C: QUIT
S: 221 2.0.0 Bye
D
like "$(sd_log "problem talking to server inet:$ADDR:$PPORT: connect: Connection refused")" \
    "Connection refused" "warning: server down"

sd_finish
done_testing
