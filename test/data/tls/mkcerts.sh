#!/bin/bash
# mkcerts.sh DIR - make the keys and certificates of the TLS tests in DIR
# with the openssl command (no private key is kept in the source tree):
#   rsa.{key,crt}       RSA 2048 self-signed, CN rsa.test
#   ec.{key,crt}        ECDSA P-256 self-signed, CN ec.test
#   ca.{key,crt}        root CA "Postern Test Root CA" (ECDSA P-256)
#   int.{key,crt}       intermediate CA "Postern Test Intermediate CA", by the root
#   leaf.{key,crt}      RSA, CN mx.example.test, SAN mx.example.test and
#                       *.mail.example.test, by the intermediate;
#                       leaf-chain.crt = leaf + intermediate
#   ecleaf.{key,crt}    the same names with an ECDSA P-256 key
#   client.{key,crt}    CN client.example.test, by the root (client auth)
#   chain-rsa.pem       leaf.key, leaf.crt, int.crt  (key first)
#   chain-ec.pem        ecleaf.crt, ecleaf.key, int.crt  (leaf, then key)
#   chain-both.pem      both groups in one file, each starting with its key
#   chain-bad.pem       rsa.key with leaf.crt (they do not match)
set -euo pipefail
d=${1:?usage: mkcerts.sh DIR}
cd "$d"
days=3
ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
rsa() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null; }

rsa rsa.key
openssl req -x509 -new -key rsa.key -out rsa.crt -days $days -subj /CN=rsa.test \
    -addext subjectAltName=DNS:rsa.test 2>/dev/null
ec ec.key
openssl req -x509 -new -key ec.key -out ec.crt -days $days -subj /CN=ec.test \
    -addext subjectAltName=DNS:ec.test 2>/dev/null

ec ca.key
openssl req -x509 -new -key ca.key -out ca.crt -days $days -subj "/O=Postern/CN=Postern Test Root CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null

cat >ca.ext <<'X'
basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
X
cat >leaf.ext <<'X'
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=DNS:mx.example.test,DNS:*.mail.example.test
X
cat >client.ext <<'X'
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth
X
sign() { # key subject issuer-crt issuer-key ext out
    openssl req -new -key "$1" -subj "$2" -out "$6.csr" 2>/dev/null
    openssl x509 -req -in "$6.csr" -CA "$3" -CAkey "$4" -set_serial "$RANDOM$RANDOM" \
        -days $days -extfile "$5" -out "$6" 2>/dev/null
    rm -f "$6.csr"
}
ec int.key
sign int.key "/O=Postern/CN=Postern Test Intermediate CA" ca.crt ca.key ca.ext int.crt
rsa leaf.key
sign leaf.key /CN=mx.example.test int.crt int.key leaf.ext leaf.crt
cat leaf.crt int.crt >leaf-chain.crt
ec ecleaf.key
sign ecleaf.key /CN=mx.example.test int.crt int.key leaf.ext ecleaf.crt
ec client.key
sign client.key /CN=client.example.test ca.crt ca.key client.ext client.crt

cat leaf.key leaf.crt int.crt >chain-rsa.pem
cat ecleaf.crt ecleaf.key int.crt >chain-ec.pem
cat leaf.key leaf.crt int.crt ecleaf.key ecleaf.crt int.crt >chain-both.pem
cat rsa.key leaf.crt >chain-bad.pem
