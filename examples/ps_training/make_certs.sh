#!/usr/bin/env bash
# make_certs.sh DIR [HOST...] — a private CA, a server certificate and a worker certificate for the
# parameter servers' mutual TLS, and a bearer token, written to DIR:
#   ca.pem ca.key            the CA (keep ca.key private; every node needs ca.pem)
#   server.pem server.key    for ronde-ps-server --cert/--key; valid for 127.0.0.1, localhost and
#                            each HOST given (names or IP addresses the workers dial)
#   worker.pem worker.key    for the workers (RONDE_PS_CERT / RONDE_PS_KEY) under --tls=mutual
#   token                    for --token-file and RONDE_PS_TOKEN_FILE
# EC P-256 keys, valid one year. The same openssl commands are explained in docs/PARAMETER_SERVER.md.
set -euo pipefail
dir=${1:?usage: make_certs.sh DIR [HOST...]}
shift
mkdir -p "$dir"
cd "$dir"

san="IP:127.0.0.1,DNS:localhost"
for host in "$@"; do
  if [[ $host =~ ^[0-9.]+$ || $host == *:* ]]; then san+=",IP:$host"; else san+=",DNS:$host"; fi
done

quiet() { "$@" >openssl.log 2>&1 || { cat openssl.log >&2; exit 1; }; }

# The CA: a self-signed certificate allowed to sign others.
quiet openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -sha256 -days 365 \
  -keyout ca.key -out ca.pem -subj "/CN=ronde parameter-server CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"

# leaf NAME SUBJECT EXTENSIONS: a key, a signing request, and the certificate the CA signs.
leaf() {
  quiet openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -keyout "$1.key" -out "$1.csr" -subj "$2"
  printf '%s\n' "$3" >"$1.ext"
  quiet openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 365 -sha256 \
    -extfile "$1.ext" -out "$1.pem"
  rm -f "$1.csr" "$1.ext"
}
leaf server "/CN=ronde-ps-server" "subjectAltName=$san
extendedKeyUsage=serverAuth"
leaf worker "/CN=ronde-ps-worker" "extendedKeyUsage=clientAuth"
openssl rand -hex 32 >token
chmod 600 ./*.key token
rm -f openssl.log ca.srl
echo "make_certs.sh: CA, server ($san), worker certificates and a token in $dir"
