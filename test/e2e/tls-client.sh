#!/bin/bash
# The client side of lib/net/tls against openssl s_server: the security
# levels may, encrypt, fingerprint, verify and secure, SNI, the log line in
# Postfix's shape, a server that does not speak TLS, a server that stalls,
# and our client against our server.
. "$POSTERN_SRC/test/lib.sh"
tmpdir
. "$POSTERN_SRC/test/data/tls/lib.sh"
tls_setup

CAF=(-o smtp_tls_CAfile=$T/ca.crt)
CHAIN=(-cert $T/leaf.crt -key $T/leaf.key -cert_chain $T/int.crt)
SELF=(-cert $T/rsa.crt -key $T/rsa.key)
LOGRE='^tls_tool: (Anonymous|Untrusted|Trusted|Verified) TLS connection established to [^ ]+\[[0-9.]+\]:[0-9]+: TLSv1(\.[0-3])? with cipher [A-Z0-9_-]+ \([0-9]+/[0-9]+ bits\)( key-exchange [A-Za-z0-9-]+( \([^)]+\))?)?( server-signature [A-Za-z0-9-]+ \([^)]+\)( server-digest [A-Z0-9-]+)?)?$'

# may: any certificate; the status is logged.
ossl_server may1 "${SELF[@]}" -rev
ok $? "s_server with a self-signed certificate"
tool_client may1 -L may
ok $? "level may accepts a self-signed certificate"
tls_wait $SRV_PID
is "$(grep 'TLS connection' $T/may1.cerr)" \
    "tls_tool: Untrusted TLS connection established to localhost[127.0.0.1]:$SRV_PORT: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256" \
    "Untrusted, logged exactly as Postfix's client does"
like "$(grep 'TLS connection' $T/may1.cerr)" "$LOGRE" "log line matches Postfix's shape"
is "$(sed -n 's/^reply: //p' $T/may1.cout)" "olleh" "data flows both ways"
is "$(sed -n 's/^peer_CN: //p' $T/may1.cout)" "rsa.test" "peer CN"

ossl_server may2 "${CHAIN[@]}" -rev
tool_client may2 -L may "${CAF[@]}" -H wrong.example.test
ok $? "level may with a CA: a wrong name does not matter"
tls_wait $SRV_PID
like "$(grep 'TLS connection' $T/may2.cerr)" '^tls_tool: Trusted TLS connection established to wrong\.example\.test\[127\.0\.0\.1\]:[0-9]+: ' \
    "chain to the CA: Trusted"
is "$(sed -n 's/^issuer_CN: //p' $T/may2.cout)" "Postern Test Intermediate CA" "issuer CN"

ossl_server enc1 "${SELF[@]}" -rev
tool_client enc1 -L encrypt
ok $? "level encrypt accepts a self-signed certificate"
tls_wait $SRV_PID

# verify: a chain to the CA and the MX host name.
ossl_server v1 "${CHAIN[@]}" -rev
tool_client v1 -L verify "${CAF[@]}" -H mx.example.test
ok $? "level verify: right name, chain to the root through the intermediate"
tls_wait $SRV_PID
like "$(grep 'TLS connection' $T/v1.cerr)" \
    '^tls_tool: Verified TLS connection established to mx\.example\.test\[127\.0\.0\.1\]:[0-9]+: TLSv1\.3 with cipher ' \
    "Verified"

ossl_server v2 "${CHAIN[@]}" -rev
tool_client v2 -L verify "${CAF[@]}" -H other.example.test
ok $((!$?)) "level verify: wrong host name refused"
tls_wait $SRV_PID
like "$(cat $T/v2.cerr)" 'TLS handshake with other\.example\.test\[127\.0\.0\.1\]:[0-9]+ failed: Server certificate not verified' \
    "Server certificate not verified"
ok $(grep -c 'TLS connection established' $T/v2.cerr) "no established line for it"

ossl_server v3 "${SELF[@]}" -rev
tool_client v3 -L verify "${CAF[@]}" -H rsa.test
ok $((!$?)) "level verify: self-signed refused (even with the right name)"
tls_wait $SRV_PID
like "$(cat $T/v3.cerr)" 'failed: Server certificate not trusted' "Server certificate not trusted"
like "$(cat $T/v3.cerr)" 'server certificate verification failed for rsa\.test\[127\.0\.0\.1\]:[0-9]+: num=18:self-signed certificate' \
    "the verification error is logged"

ossl_server v4 "${CHAIN[@]}" -rev
tool_client v4 -L verify -H mx.example.test
ok $((!$?)) "level verify without a CAfile: not trusted"
tls_wait $SRV_PID

ossl_server v5 "${CHAIN[@]}" -rev
tool_client v5 -L verify "${CAF[@]}" -H a.mail.example.test
ok $? "level verify: wildcard *.mail.example.test matches a.mail.example.test"
tls_wait $SRV_PID
ossl_server v6 "${CHAIN[@]}" -rev
tool_client v6 -L verify "${CAF[@]}" -H b.a.mail.example.test
ok $? "a wildcard matches several labels (tls_wildcard_matches_multiple_labels = yes)"
tls_wait $SRV_PID
ossl_server v6b "${CHAIN[@]}" -rev
tool_client v6b -L verify "${CAF[@]}" -H b.a.mail.example.test -o tls_wildcard_matches_multiple_labels=no
ok $((!$?)) "and one label only when it is no"
tls_wait $SRV_PID
ossl_server v6c "${CHAIN[@]}" -rev
tool_client v6c -L verify "${CAF[@]}" -H mail.example.test
ok $((!$?)) "a wildcard does not match the bare parent"
tls_wait $SRV_PID

ossl_server v7 -cert $T/leaf.crt -key $T/leaf.key -rev
tool_client v7 -L verify "${CAF[@]}" -H mx.example.test
ok $((!$?)) "a server that does not send its intermediate is not trusted"
tls_wait $SRV_PID

ossl_server v8 "${CHAIN[@]}" -rev
tool_client v8 -L verify "${CAF[@]}" -H other.test -o 'smtp_tls_verify_cert_match=hostname, mx.example.test'
ok $? "smtp_tls_verify_cert_match with a literal name"
tls_wait $SRV_PID

mkdir $T/capath && cp $T/ca.crt $T/capath/root.pem && openssl rehash $T/capath 2>/dev/null
ossl_server v9 "${CHAIN[@]}" -rev
tool_client v9 -L verify -o smtp_tls_CApath=$T/capath -H mx.example.test
ok $? "level verify with smtp_tls_CApath (a hashed directory)"
tls_wait $SRV_PID

# secure: the next-hop domain and its subdomains.
ossl_server s1 "${CHAIN[@]}" -rev
tool_client s1 -L secure "${CAF[@]}" -H mx.example.test -N example.test
ok $? "level secure: mx.example.test is under the next-hop example.test (dot-nexthop)"
tls_wait $SRV_PID
like "$(grep 'TLS connection' $T/s1.cerr)" '^tls_tool: Verified TLS' "Verified"
ossl_server s2 "${CHAIN[@]}" -rev
tool_client s2 -L secure "${CAF[@]}" -H mx.example.test -N example.org
ok $((!$?)) "level secure: another next-hop domain refused"
tls_wait $SRV_PID
ossl_server s3 "${CHAIN[@]}" -rev
tool_client s3 -L secure "${CAF[@]}" -H mx.example.test -N example.test -o smtp_tls_secure_cert_match=nexthop
ok $((!$?)) "level secure with nexthop only: a subdomain does not match"
tls_wait $SRV_PID

# fingerprint: the certificate's or the public key's digest.
fp=$(openssl x509 -in $T/rsa.crt -noout -fingerprint -sha256 | sed 's/.*=//')
pkfp=$(openssl x509 -in $T/rsa.crt -noout -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256 -c | sed 's/.*= *//' | tr a-f A-F)
FPD=(-o smtp_tls_fingerprint_digest=sha256)
ossl_server f1 "${SELF[@]}" -rev
tool_client f1 -L fingerprint "${FPD[@]}" -o "smtp_tls_fingerprint_cert_match=00:11, $fp"
ok $? "level fingerprint: certificate digest matches"
tls_wait $SRV_PID
like "$(grep 'TLS connection' $T/f1.cerr)" '^tls_tool: Verified TLS' "Verified"
is "$(sed -n 's/^fingerprint: //p' $T/f1.cout)" "$fp" "certificate fingerprint as openssl x509 prints it"
is "$(sed -n 's/^pkey_fingerprint: //p' $T/f1.cout)" "$pkfp" "public key fingerprint"
ossl_server f2 "${SELF[@]}" -rev
tool_client f2 -L fingerprint "${FPD[@]}" -o "smtp_tls_fingerprint_cert_match=$(echo $pkfp | tr -d : | tr A-F a-f)"
ok $? "level fingerprint: public key digest matches (lower case, no colons)"
tls_wait $SRV_PID
ossl_server f3 "${SELF[@]}" -rev
tool_client f3 -L fingerprint "${FPD[@]}" -o "smtp_tls_fingerprint_cert_match=AB:CD"
ok $((!$?)) "level fingerprint: no match refused"
tls_wait $SRV_PID
like "$(cat $T/f3.cerr)" 'failed: Server certificate not verified' "Server certificate not verified"

# SNI: s_server answers names it knows with its second certificate.
ossl_server sni1 "${CHAIN[@]}" -servername rsa.test -cert2 $T/rsa.crt -key2 $T/rsa.key -rev
tool_client sni1 -L may -H rsa.test -o smtp_tls_servername=hostname
ok $? "SNI from the host name"
tls_wait $SRV_PID
is "$(sed -n 's/^peer_CN: //p' $T/sni1.cout)" "rsa.test" "the server chose by SNI"
ossl_server sni2 "${CHAIN[@]}" -servername rsa.test -cert2 $T/rsa.crt -key2 $T/rsa.key -rev
tool_client sni2 -L may -H rsa.test
tls_wait $SRV_PID
is "$(sed -n 's/^peer_CN: //p' $T/sni2.cout)" "mx.example.test" "no SNI by default"
ossl_server sni3 "${CHAIN[@]}" -servername rsa.test -cert2 $T/rsa.crt -key2 $T/rsa.key -rev
tool_client sni3 -L may -H mx.example.test -o smtp_tls_servername=rsa.test
tls_wait $SRV_PID
is "$(sed -n 's/^peer_CN: //p' $T/sni3.cout)" "rsa.test" "literal SNI name"

# Protocols and ciphers of the client.
ossl_server pr1 "${SELF[@]}" -rev -tls1_2
tool_client pr1 -L may -o 'smtp_tls_protocols=>=TLSv1.3'
ok $((!$?)) "client with >=TLSv1.3 refuses a TLS 1.2-only server"
tls_wait $SRV_PID
ossl_server pr2 "${SELF[@]}" -rev -tls1_2
tool_client pr2 -L encrypt -o 'smtp_tls_protocols=>=TLSv1.3' -o 'smtp_tls_mandatory_protocols=>=TLSv1.2'
ok $? "level encrypt uses smtp_tls_mandatory_protocols"
tls_wait $SRV_PID
like "$(grep 'TLS connection' $T/pr2.cerr)" ': TLSv1\.2 with cipher ECDHE-RSA-' "TLS 1.2 logged"
like "$(grep 'TLS connection' $T/pr2.cerr)" "$LOGRE" "TLS 1.2 log line matches Postfix's shape"

# A server that does not speak TLS; a server that stalls.
"$TLS_TOOL" plain -l 127.0.0.1:0 -w 5 >$T/plain.out 2>&1 &
plain=$!
TLS_PIDS="$TLS_PIDS $plain"
wait_for $T/plain.out '^listening' 50
SRV_PORT=$(sed -n 's/^listening .*:\([0-9]*\)$/\1/p' $T/plain.out)
start=$(date +%s%N)
tool_client plain -L encrypt
ok $((!$?)) "level encrypt refuses a server that does not speak TLS"
ms=$((($(date +%s%N) - start) / 1000000))
ok $((ms > 4000)) "at once, not when the server hangs up at 5 s (${ms} ms)"
like "$(cat $T/plain.cerr)" 'TLS handshake with localhost\[127\.0\.0\.1\]:[0-9]+ failed: ' "with the reason"
kill $plain 2>/dev/null
wait $plain 2>/dev/null

"$TLS_TOOL" stall -l 127.0.0.1:0 -w 8 >$T/stall.out 2>&1 &
stall=$!
TLS_PIDS="$TLS_PIDS $stall"
wait_for $T/stall.out '^listening' 50
SRV_PORT=$(sed -n 's/^listening .*:\([0-9]*\)$/\1/p' $T/stall.out)
start=$(date +%s%N)
tool_client stall -L may -t 1
ok $((!$?)) "a server that stalls the handshake"
ms=$((($(date +%s%N) - start) / 1000000))
ok $((ms < 900 || ms > 5000)) "is cut at the 1 s deadline, not when the server lets go at 8 s (${ms} ms)"
like "$(cat $T/stall.cerr)" 'failed: timed out' "timed out"
kill $stall 2>/dev/null
wait $stall 2>/dev/null

# Our client against our server, STARTTLS, verify, client certificate.
tool_server ours -m smtp -n client.example.test[127.0.0.1] \
    -o "smtpd_tls_chain_files=$T/chain-rsa.pem" -o smtpd_tls_ask_ccert=yes -o smtpd_tls_CAfile=$T/ca.crt
tool_client ours -m smtp -L verify "${CAF[@]}" -H mx.example.test \
    -o smtp_tls_cert_file=$T/client.crt -o smtp_tls_key_file=$T/client.key
ok $? "our client verifies our server over STARTTLS"
tls_wait $SRV_PID
ok $? "our server is content"
like "$(grep 'TLS connection' $T/ours.cerr)" \
    '^tls_tool: Verified TLS connection established to mx\.example\.test\[127\.0\.0\.1\]:[0-9]+: TLSv1\.3 with cipher TLS_AES_256_GCM_SHA384 \(256/256 bits\) key-exchange X25519 server-signature RSA-PSS \(2048 bits\) server-digest SHA256 client-signature ECDSA \(P-256\) client-digest SHA256$' \
    "client log line, with our client signature"
like "$(grep 'TLS connection' $T/ours.err)" \
    '^tls_tool: Trusted TLS connection established from client\.example\.test\[127\.0\.0\.1\]: TLSv1\.3 .* client-signature ECDSA \(P-256\) client-digest SHA256$' \
    "server log line: Trusted client"
is "$(sed -n 's/^reply: //p' $T/ours.cout)" "echo: hello" "data flows"

done_testing
