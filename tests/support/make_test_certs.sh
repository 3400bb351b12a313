#!/usr/bin/env bash
# make_test_certs.sh DIR [HOST...] — the certificates and tokens of the TLS tests (parameter server,
# S3 over HTTPS) and ps_bench.
#
# Writes into DIR (created if needed), all PEM, EC P-256 keys (fast to make), valid 10 years:
#   ca.pem, ca.key                   the test CA
#   server.pem, server.key           signed by ca; subjectAltName IP:127.0.0.1, DNS:localhost and
#                                    DNS:HOST for each HOST given (ps_bench's servers on other hosts)
#   client.pem, client.key           signed by ca (a worker's certificate for mutual TLS)
#   other-ca.pem, other-ca.key       a second CA, unrelated to the first
#   other-client.pem, other-client.key  signed by other-ca (mutual TLS must refuse it)
#   token, wrong-token               bearer tokens (64 hex digits each, different)
#
# Idempotent and safe to run concurrently (several test processes may call it at once): the set is
# made in a private temporary directory beside DIR and renamed to DIR in one step (DIR must be
# absent or empty then), and a DIR that already holds a complete set is left alone. Prints nothing on success; on failure, openssl's output and
# a non-zero exit.
set -euo pipefail

dir=${1:?usage: make_test_certs.sh DIR [HOST...]}
shift
server_names="IP:127.0.0.1,DNS:localhost"
for host in "$@"; do
  [[ $host =~ ^[A-Za-z0-9.-]+$ ]] || { echo "make_test_certs.sh: '$host' is not a host name" >&2; exit 2; }
  server_names+=",DNS:$host"
done
files=(ca.pem ca.key server.pem server.key client.pem client.key other-ca.pem other-ca.key
       other-client.pem other-client.key token wrong-token)

complete() {
  local f
  for f in "${files[@]}"; do [[ -s "$1/$f" ]] || return 1; done
}
complete "$dir" && exit 0

mkdir -p "$(dirname "$dir")"
work=$(mktemp -d "$(dirname "$dir")/.certs-XXXXXX")
log="$work/openssl.log"
trap 'rm -rf "$work"' EXIT

run() {  # run openssl ARGS... quietly; on failure show what it said and stop
  if ! openssl "$@" >"$log" 2>&1; then
    echo "make_test_certs.sh: openssl $1 failed:" >&2
    cat "$log" >&2
    exit 1
  fi
}

# new_ca NAME SUBJECT: a self-signed CA certificate NAME.pem and its key NAME.key.
new_ca() {
  run req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -sha256 -days 3650 \
    -keyout "$work/$1.key" -out "$work/$1.pem" -subj "$2" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
}

# new_leaf NAME SUBJECT CA EXTENSIONS: a key NAME.key and a certificate NAME.pem signed by CA.
new_leaf() {
  local ext="$work/$1.ext"
  printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" "$4" >"$ext"
  run req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -sha256 \
    -keyout "$work/$1.key" -out "$work/$1.csr" -subj "$2"
  run x509 -req -in "$work/$1.csr" -CA "$work/$3.pem" -CAkey "$work/$3.key" -CAcreateserial \
    -days 3650 -sha256 -extfile "$ext" -out "$work/$1.pem"
  rm -f "$work/$1.csr" "$ext"
}

new_ca ca "/CN=ronde test CA"
new_leaf server "/CN=localhost" ca \
  "$(printf 'extendedKeyUsage=serverAuth\nsubjectAltName=%s' "$server_names")"
new_leaf client "/CN=ronde test worker" ca "extendedKeyUsage=clientAuth"
new_ca other-ca "/CN=ronde unrelated CA"
new_leaf other-client "/CN=ronde stranger" other-ca "extendedKeyUsage=clientAuth"
run rand -hex -out "$work/token" 32
run rand -hex -out "$work/wrong-token" 32
chmod 600 "$work"/*.key "$work/token" "$work/wrong-token"
rm -f "$work"/*.srl "$log"

# Move the set into place in one rename (onto an absent or empty DIR), so that concurrent runs
# never mix two sets; if another run got there first, its set is as good as ours.
chmod 755 "$work"
if ! mv -T "$work" "$dir" 2>/dev/null; then
  complete "$dir" && exit 0
  echo "make_test_certs.sh: $dir exists and holds an incomplete set; remove it and run again" >&2
  exit 1
fi
