# test/data/smtp/e2e-lib.sh - the whole mail system in an nsd namespace, for
# the end-to-end smtp tests (test/e2e/smtp-e2e*.sh). Source it after
# test/lib.sh, test/lib/instance.sh, test/lib/nsd.sh and
# test/data/smtp/smtp-lib.sh.
#
#   e2e_setup          an instance (inst_setup, $ADDR 127.0.0.10) with
#                      Debian's whole master.cf (smtpd on $ADDR:25 inside the
#                      namespace), a local test user $EU whose mailbox is
#                      $MAIL/$EU (mail_spool_directory), mydestination with
#                      example.com, long retry times (only postqueue -f
#                      retries), and an exit trap that stops the sinks, master
#                      and nsd and removes the user
#   e2e_zone           prints the zone "test" (nsd_soa test, then stdin)
#   e2e_start          postfix start inside the namespace; sets MPID
#   e2e_stop           postfix stop, waits (bounded) for master to go
#   e2e_smtp FROM RCPTS SUBJECT [N]
#                      Python's smtplib, inside the namespace, sends N
#                      (default 1) messages over one session to smtpd;
#                      RCPTS is |-separated, each an address and
#                      optionally RCPT parameters after spaces
#                      ("a@b NOTIFY=NEVER"); prints one queue id per
#                      message (from smtpd's "queued as" reply)
#   e2e_notice RCPT TEXT...
#                      true when $MAIL/$EU holds a non-delivery notice, a
#                      multipart/report from the null sender whose
#                      delivery-status says Final-Recipient: rfc822; RCPT
#                      and Action: failed, and holds every TEXT (header
#                      lines unfolded)
#   e2e_queue_empty    incoming/, active/ and deferred/ hold no file
EU=pste2e$$
MAIL=
D_RE='[0-9]+(\.[0-9]+)?'

e2e_cleanup() {
    sink_stop_all
    inst_cleanup
    userdel "$EU" 2>/dev/null
}

e2e_setup() {
    INST_ADDR=127.0.0.10
    INST_SMTPD_PORT=25
    inst_setup
    trap e2e_cleanup EXIT
    MAIL=$T/mail
    mkdir -p "$MAIL" "$T/home/$EU"
    chmod 1777 "$MAIL"
    chmod 755 "$T/home"
    useradd -M -d "$T/home/$EU" -s /bin/sh "$EU" || return 1
    chown "$EU:" "$T/home/$EU"
    inst_master_cf_full
    inst_param mydestination '$myhostname, localhost, example.com'
    inst_param mail_spool_directory "$MAIL"
    inst_param alias_maps ''
    inst_param local_recipient_maps ''
    inst_param smtpd_error_sleep_time 0
    inst_param minimal_backoff_time 300s
    inst_param maximal_backoff_time 600s
    inst_param queue_run_delay 300s
    inst_param smtp_connect_timeout 5s
}

e2e_zone() {
    nsd_soa test
    cat
}

e2e_start() {
    nsd_exec postfix start >"$T/start.out" 2>&1 || { cat "$T/start.out" >&2; return 1; }
    inst_wait test -s "$Q/pid/master.pid" || return 1
    MPID=$(tr -d ' \n' <"$Q/pid/master.pid")
    inst_wait_sock public/qmgr && inst_wait_sock private/smtp && inst_wait_sock private/local
}

e2e_stop() {
    nsd_exec postfix stop >/dev/null 2>&1
    [ -n "$MPID" ] && inst_wait bash -c "! kill -0 $MPID 2>/dev/null"
    local rc=$?
    MPID=
    return $rc
}

e2e_smtp() {
    ip netns exec "$NSD_NS" python3 - "$ADDR" "$@" <<'PY'
import re, smtplib, sys
addr, frm, subj = sys.argv[1], sys.argv[2], sys.argv[4]
rcpts = [r.split() for r in sys.argv[3].split("|")]
n = int(sys.argv[5]) if len(sys.argv) > 5 else 1
with smtplib.SMTP(addr, 25, local_hostname="client.example.org", timeout=20) as s:
    s.ehlo()
    for i in range(n):
        code, _ = s.mail(frm)
        assert code == 250, code
        for r in rcpts:
            code, resp = s.rcpt(r[0], r[1:])
            assert code == 250, (r, code, resp)
        body = "From: %s\r\nTo: %s\r\nSubject: %s %d\r\n\r\nhello %d\r\n" % (
            frm, ", ".join(r[0] for r in rcpts), subj, i + 1, i + 1)
        code, resp = s.data(body.encode())
        assert code == 250, (code, resp)
        print(re.search(rb"queued as ([0-9A-Za-z]+)", resp).group(1).decode())
PY
}

e2e_notice() {
    python3 - "$MAIL/$EU" "$@" <<'PY'
import mailbox, re, sys
box, rcpt, texts = sys.argv[1], sys.argv[2], sys.argv[3:]
for m in mailbox.mbox(box):
    if m.get_content_type() != "multipart/report" or m["Return-Path"] != "<>":
        continue
    parts = m.get_payload()
    if len(parts) < 2 or parts[1].get_content_type() != "message/delivery-status":
        continue
    status = re.sub(r"\r?\n[ \t]+", " ", parts[1].as_string())
    if "Final-Recipient: rfc822; %s\n" % rcpt not in status:
        continue
    if "Action: failed" in status and all(t in status for t in texts):
        sys.exit(0)
    print(status, file=sys.stderr)
sys.exit(1)
PY
}

e2e_queue_empty() {
    [ -z "$(find "$Q/incoming" "$Q/active" "$Q/deferred" -type f 2>/dev/null)" ]
}
