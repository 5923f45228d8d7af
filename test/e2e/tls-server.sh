#!/bin/bash
# The server side of lib/net/tls against openssl s_client: RSA and ECDSA
# certificates side by side, smtpd_tls_chain_files, protocol limits, the log
# line and Received: text in Postfix's shape, client certificates, STARTTLS
# with pipelined plaintext, and a client that stalls mid-handshake.
. "$POSTERN_SRC/test/lib.sh"
tmpdir
. "$POSTERN_SRC/test/data/tls/lib.sh"
tls_setup

RSA=(-o smtpd_tls_cert_file=$T/rsa.crt -o smtpd_tls_key_file=$T/rsa.key)
EC=(-o smtpd_tls_eccert_file=$T/ec.crt -o smtpd_tls_eckey_file=$T/ec.key)
NAME=(-n client.test[127.0.0.1])
LOGRE='^tls_tool: (Anonymous|Untrusted|Trusted|Verified) TLS connection established from [^ ]+\[[0-9.]+\]: TLSv1(\.[0-3])? with cipher [A-Z0-9_-]+ \([0-9]+/[0-9]+ bits\)( key-exchange [A-Za-z0-9-]+( \([^)]+\))?)?( server-signature [A-Za-z0-9-]+ \([^)]+\)( server-digest [A-Z0-9-]+)?)?( client-signature [A-Za-z0-9-]+ \([^)]+\)( client-digest [A-Z0-9-]+)?)?$'

# RSA and ECDSA side by side: the client's signature algorithms choose.
tool_server rsa "${RSA[@]}" "${EC[@]}" "${NAME[@]}"
ok $? "server with RSA and ECDSA certificates listens"
ossl_client rsa -sigalgs rsa_pss_rsae_sha256
ok $? "s_client asking for RSA signatures connects"
tls_wait $SRV_PID
ok $? "server ends after one session"
like "$(cat $T/rsa.cli)" 'subject=CN ?= ?rsa\.test' "s_client sees the RSA certificate"
is "$(grep 'TLS connection' $T/rsa.err)" \
    "tls_tool: Anonymous TLS connection established from client.test[127.0.0.1]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256" \
    "server log line for TLS 1.3 with RSA, exactly Postfix's"
like "$(grep 'TLS connection' $T/rsa.err)" "$LOGRE" "log line matches Postfix's shape"
is "$(sed -n 's/^received: //p' $T/rsa.out)" \
    '(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\n\t key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)\n\t(No client certificate requested)' \
    "Received: comment for TLS 1.3"
is "$(sed -n 's/^got: //p' $T/rsa.out)" "hello" "data flows from client to server"
like "$(cat $T/rsa.cli)" 'echo: hello' "data flows from server to client"

tool_server ec "${RSA[@]}" "${EC[@]}" "${NAME[@]}"
ossl_client ec -sigalgs ECDSA+SHA256
ok $? "s_client asking for ECDSA signatures connects"
tls_wait $SRV_PID
like "$(cat $T/ec.cli)" 'subject=CN ?= ?ec\.test' "s_client sees the ECDSA certificate"
is "$(grep 'TLS connection' $T/ec.err)" \
    "tls_tool: Anonymous TLS connection established from client.test[127.0.0.1]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature ECDSA (P-256) server-digest SHA256" \
    "server log line for TLS 1.3 with ECDSA"

tool_server ec12 "${RSA[@]}" "${EC[@]}" "${NAME[@]}"
ossl_client ec12 -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
ok $? "TLS 1.2 with an ECDSA cipher connects"
tls_wait $SRV_PID
like "$(cat $T/ec12.cli)" 'subject=CN ?= ?ec\.test' "TLS 1.2 ECDSA cipher gets the ECDSA certificate"
is "$(grep 'TLS connection' $T/ec12.err)" \
    "tls_tool: Anonymous TLS connection established from client.test[127.0.0.1]: TLSv1.2 with cipher ECDHE-ECDSA-AES128-GCM-SHA256 (128/128 bits)" \
    "TLS 1.2 log line has no key-exchange details (as Postfix)"
is "$(sed -n 's/^received: //p' $T/ec12.out)" \
    '(using TLSv1.2 with cipher ECDHE-ECDSA-AES128-GCM-SHA256 (128/128 bits))\n\t(No client certificate requested)' \
    "Received: comment for TLS 1.2"

tool_server rsa12 "${RSA[@]}" "${EC[@]}" "${NAME[@]}"
ossl_client rsa12 -tls1_2 -cipher ECDHE-RSA-AES256-GCM-SHA384
tls_wait $SRV_PID
like "$(cat $T/rsa12.cli)" 'subject=CN ?= ?rsa\.test' "TLS 1.2 RSA cipher gets the RSA certificate"

# Protocol limits. TLS 1.1 needs OpenSSL's security level 0 on both sides,
# so the first case shows that only the protocol list refuses it.
LOWSEC=(-o 'tls_medium_cipherlist=aNULL:-aNULL:HIGH:MEDIUM:+RC4:@STRENGTH:@SECLEVEL=0')
tool_server p1 "${RSA[@]}" "${LOWSEC[@]}" -o 'smtpd_tls_protocols=>=TLSv1'
ossl_client p1 -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'
ok $? "TLSv1.1 accepted with smtpd_tls_protocols = >=TLSv1"
tls_wait $SRV_PID
like "$(grep 'TLS connection' $T/p1.err)" ': TLSv1\.1 with cipher ' "logged as TLSv1.1"

n=0
for spec in '>=TLSv1.2' '!SSLv2, !SSLv3, !TLSv1, !TLSv1.1' 'TLSv1.2 TLSv1.3'; do
    n=$((n + 1))
    failed=$T_FAILED
    tool_server p2$n "${RSA[@]}" "${LOWSEC[@]}" -o "smtpd_tls_protocols=$spec"
    ossl_client p2$n -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'
    ok $((!$?)) "s_client -tls1_1 refused with smtpd_tls_protocols = $spec"
    tls_wait $SRV_PID
    ok $((!$?)) "server reports the failed handshake ($spec)"
    like "$(cat $T/p2$n.err)" 'SSL_accept error from unknown\[127\.0\.0\.1\]: .*protocol' \
        "server says why ($spec)"
    diag_if_failed $failed $T/p2$n.out $T/p2$n.err $T/p2$n.cli
done

tool_server p3 "${RSA[@]}" -o 'smtpd_tls_protocols=<=TLSv1.2'
ossl_client p3
ok $? "default s_client connects to a <=TLSv1.2 server"
tls_wait $SRV_PID
like "$(grep 'TLS connection' $T/p3.err)" ': TLSv1\.2 with cipher ' "and gets TLSv1.2"

# Mandatory protocols apply with -M (smtpd_tls_security_level = encrypt).
tool_server p4 -M "${RSA[@]}" -o 'smtpd_tls_protocols=>=TLSv1' \
    -o 'smtpd_tls_mandatory_protocols=>=TLSv1.3'
ossl_client p4 -tls1_2
ok $((!$?)) "TLS 1.2 refused by smtpd_tls_mandatory_protocols = >=TLSv1.3"
tls_wait $SRV_PID

# Cipher grade and exclusions reach OpenSSL.
tool_server c1 "${RSA[@]}" -o smtpd_tls_exclude_ciphers=AESGCM
ossl_client c1 -tls1_2 -cipher ECDHE-RSA-AES256-GCM-SHA384
ok $((!$?)) "excluded cipher (AESGCM) refused"
tls_wait $SRV_PID
tool_server c2 "${RSA[@]}" -o smtpd_tls_exclude_ciphers=AESGCM
ossl_client c2 -tls1_2 -cipher ECDHE-RSA-CHACHA20-POLY1305
ok $? "another cipher still accepted"
tls_wait $SRV_PID
"$TLS_TOOL" server -l 127.0.0.1:0 "${RSA[@]}" -o 'smtpd_tls_protocols=>=TLSv1.4' >$T/bad.out 2>$T/bad.err
ok $((!$?)) "server refuses to start with a bad protocol list"
like "$(cat $T/bad.err)" 'invalid TLS protocol list: ">=TLSv1.4"' "and names it"
"$TLS_TOOL" server -l 127.0.0.1:0 "${RSA[@]}" -o 'smtpd_tls_ciphers=best' >$T/bad.out 2>$T/bad.err
ok $((!$?)) "server refuses to start with a bad cipher grade"
like "$(cat $T/bad.err)" 'invalid TLS cipher grade: "best"' "and names it"

# Session cache: none by default (no ticket issued); in memory when a
# smtpd_tls_session_cache_database is set (there is no tlsmgr).
tool_server sc1 -k 2 "${RSA[@]}" -o smtpd_tls_session_cache_database=btree:/nonexistent/scache
ossl_client sc1a -sess_out $T/sess.pem
ok $? "first session with a cache"
ossl_client sc1b -sess_in $T/sess.pem
ok $? "second session offers the first"
tls_wait $SRV_PID
like "$(cat $T/sc1b.cli)" '^Reused, TLSv1\.3' "s_client: session reused"
is "$(grep '^reused:' $T/sc1.out | tr '\n' ' ')" "reused: no reused: yes " "server knows it resumed the second"
is "$(grep -c 'TLS connection established from' $T/sc1.err)" 2 "both logged as established"
rm -f $T/sess2.pem
tool_server sc2 "${RSA[@]}"
ossl_client sc2 -sess_out $T/sess2.pem
tls_wait $SRV_PID
ok $([ ! -s $T/sess2.pem ]; echo $?) "without a cache no session ticket is issued"

# DH parameters from smtpd_tls_dh1024_param_file; bad eecdh grade.
openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048 -out $T/dh.pem 2>/dev/null
tool_server dh1 "${RSA[@]}" -o smtpd_tls_dh1024_param_file=$T/dh.pem -o tls_random_source=dev:/dev/urandom
ossl_client dh1 -tls1_2 -cipher DHE-RSA-AES256-GCM-SHA384
ok $? "DHE cipher with the DH parameter file"
tls_wait $SRV_PID
like "$(grep 'TLS connection' $T/dh1.err)" ': TLSv1\.2 with cipher DHE-RSA-AES256-GCM-SHA384 \(256/256 bits\)$' "logged"
like "$(cat $T/dh1.cli)" 'Server Temp Key: DH, 2048 bits' "the 2048-bit group from the file"
"$TLS_TOOL" server -l 127.0.0.1:0 "${RSA[@]}" -o smtpd_tls_dh1024_param_file=$T/rsa.crt >$T/bad.out 2>$T/bad.err
ok $((!$?)) "a file without DH parameters is refused"
like "$(cat $T/bad.err)" "cannot load DH parameters from $T/rsa.crt" "and named"
"$TLS_TOOL" server -l 127.0.0.1:0 "${RSA[@]}" -o smtpd_tls_eecdh_grade=extreme >$T/bad.out 2>$T/bad.err
ok $((!$?)) "an unknown smtpd_tls_eecdh_grade is refused"
tool_server eg "${RSA[@]}" -o smtpd_tls_eecdh_grade=ultra
ossl_client eg
tls_wait $SRV_PID
like "$(grep 'TLS connection' $T/eg.err)" 'key-exchange ECDHE \(P-384\)' "eecdh grade ultra: secp384r1"

# TLS 1.2 renegotiation is refused.
tool_server rn -t 5 "${RSA[@]}"
mkfifo $T/rn.fifo
timeout 10 openssl s_client -tls1_2 -connect 127.0.0.1:$SRV_PORT <$T/rn.fifo >$T/rn.cli 2>&1 &
cli=$!
exec 4>$T/rn.fifo
wait_for $T/rn.cli 'Verify return code' 100
kill -0 $cli 2>/dev/null && printf 'R\n' >&4
wait_for $T/rn.cli 'no renegotiation' 100
exec 4>&-
tls_wait $cli
tls_wait $SRV_PID
like "$(cat $T/rn.cli)" 'RENEGOTIATING' "s_client asked to renegotiate"
like "$(cat $T/rn.cli)" 'no renegotiation' "and was refused"

# smtpd_tls_chain_files: two files, each a key with its chain.
tool_server ch1 -o "smtpd_tls_chain_files=$T/chain-rsa.pem, $T/chain-ec.pem"
ok $? "server with two chain files listens"
ossl_client ch1 -sigalgs rsa_pss_rsae_sha256 -CAfile $T/ca.crt -verify_return_error \
    -verify_hostname mx.example.test
ok $? "RSA chain verifies against the root (intermediate sent)"
tls_wait $SRV_PID
like "$(cat $T/ch1.cli)" 'Server public key is 2048 bit' "RSA key from chain-rsa.pem"
tool_server ch2 -o "smtpd_tls_chain_files=$T/chain-rsa.pem $T/chain-ec.pem"
ossl_client ch2 -sigalgs ECDSA+SHA256 -CAfile $T/ca.crt -verify_return_error \
    -verify_hostname mx.example.test
ok $? "ECDSA chain (leaf before key) verifies against the root"
tls_wait $SRV_PID
like "$(cat $T/ch2.cli)" 'Server public key is 256 bit' "ECDSA key from chain-ec.pem"
like "$(grep 'TLS connection' $T/ch2.err)" 'server-signature ECDSA \(P-256\) server-digest SHA256$' \
    "logged as ECDSA"
for alg in rsa_pss_rsae_sha256 ECDSA+SHA256; do
    tool_server ch3 -o "smtpd_tls_chain_files=$T/chain-both.pem"
    ossl_client ch3 -sigalgs $alg -CAfile $T/ca.crt -verify_return_error -verify_hostname mx.example.test
    ok $? "one file with two key+chain groups: $alg verifies"
    tls_wait $SRV_PID
done
like "$(cat $T/ch3.cli)" 'Server public key is 256 bit' "the second group's ECDSA key"
"$TLS_TOOL" server -l 127.0.0.1:0 -o "smtpd_tls_chain_files=$T/chain-bad.pem" >$T/bad.out 2>$T/bad.err
ok $((!$?)) "a chain file whose key does not match is refused"
like "$(cat $T/bad.err)" 'chain-bad.pem: key and certificate group 1: the private key does not match' \
    "with the file named"
"$TLS_TOOL" server -l 127.0.0.1:0 -o "smtpd_tls_chain_files=$T/ca.ext" >$T/bad.out 2>$T/bad.err
ok $((!$?)) "a chain file without PEM objects is refused"
"$TLS_TOOL" server -l 127.0.0.1:0 -o "smtpd_tls_cert_file=$T/rsa.crt" -o "smtpd_tls_key_file=$T/ec.key" \
    >$T/bad.out 2>$T/bad.err
ok $((!$?)) "a cert_file/key_file pair that does not match is refused"
like "$(cat $T/bad.err)" 'does not match' "and says so"

# Client certificates: asked for, presented and trusted; asked for and absent;
# required (mandatory) and absent.
CA=(-o smtpd_tls_CAfile=$T/ca.crt)
tool_server cc1 "${RSA[@]}" "${CA[@]}" -o smtpd_tls_ask_ccert=yes "${NAME[@]}"
ossl_client cc1 -cert $T/client.crt -key $T/client.key
ok $? "client with a certificate connects"
tls_wait $SRV_PID
like "$(grep 'TLS connection' $T/cc1.err)" \
    '^tls_tool: Trusted TLS connection established from client\.test\[127\.0\.0\.1\]: TLSv1\.3 .* client-signature ECDSA \(P-256\) client-digest SHA256$' \
    "Trusted client, client-signature logged"
like "$(grep 'TLS connection' $T/cc1.err)" "$LOGRE" "log line matches Postfix's shape"
like "$(sed -n 's/^received: //p' $T/cc1.out)" \
    '\\n\\t\(Client CN "client\.example\.test", Issuer "Postern Test Root CA" \(verified OK\)\)$' \
    "Received: comment names the client certificate"
tool_server cc2 "${RSA[@]}" "${CA[@]}" -o smtpd_tls_ask_ccert=yes
ossl_client cc2
tls_wait $SRV_PID
like "$(grep 'TLS connection' $T/cc2.err)" '^tls_tool: Anonymous TLS' "no client certificate: Anonymous"
like "$(sed -n 's/^received: //p' $T/cc2.out)" '\(Client did not present a certificate\)$' \
    "Received: comment says none was presented"
tool_server cc3 "${RSA[@]}" "${CA[@]}" -o smtpd_tls_ask_ccert=yes
ossl_client cc3 -cert $T/ec.crt -key $T/ec.key
tls_wait $SRV_PID
like "$(grep 'TLS connection' $T/cc3.err)" '^tls_tool: Untrusted TLS' "self-signed client certificate: Untrusted"
like "$(sed -n 's/^received: //p' $T/cc3.out)" '\(Client CN "ec\.test", Issuer "ec\.test" \(not verified\)\)$' \
    "Received: comment says not verified"
tool_server cc4 -M "${RSA[@]}" "${CA[@]}" -o smtpd_tls_req_ccert=yes
ossl_client cc4
tls_wait $SRV_PID
ok $((!$?)) "req_ccert: a client without a certificate is refused"
like "$(cat $T/cc4.err)" 'SSL_accept error from .*: no client certificate' "and the reason is logged"

# STARTTLS, and plaintext pipelined after it (discarded, not decrypted).
tool_server st1 -m smtp "${RSA[@]}"
ossl_client st1 -starttls smtp
ok $? "s_client -starttls smtp"
tls_wait $SRV_PID
like "$(grep 'TLS connection' $T/st1.err)" '^tls_tool: Anonymous TLS connection established' "STARTTLS handshake logged"
tool_server st2 -m smtp "${RSA[@]}"
exec 3<>/dev/tcp/127.0.0.1/$SRV_PORT
printf 'EHLO x\r\nSTARTTLS\r\nRSET\r\n' >&3
wait_for $T/st2.out '^discarded' 50
ok $? "pipelined bytes after STARTTLS are noticed"
is "$(grep '^discarded' $T/st2.out)" "discarded 6 pipelined bytes" "all 6 of them (RSET CR LF)"
exec 3>&-
tls_wait $SRV_PID

# A client that stalls mid-handshake is cut at the deadline.
tool_server dl -t 1 "${RSA[@]}"
start=$(date +%s%N)
"$TLS_TOOL" stall-client -a 127.0.0.1:$SRV_PORT -w 8 &
stall=$!
TLS_PIDS="$TLS_PIDS $stall"
tls_wait $SRV_PID 60
ok $((!$?)) "server gives up on a stalled handshake"
ms=$((($(date +%s%N) - start) / 1000000))
ok $((ms > 5000)) "within the 1 s deadline, well before the client lets go (took ${ms} ms)"
like "$(cat $T/dl.err)" 'SSL_accept error from unknown\[127\.0\.0\.1\]: timed out' "says timed out"
kill $stall 2>/dev/null
wait $stall 2>/dev/null

done_testing
