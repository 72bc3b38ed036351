#!/usr/bin/env bash
# Creates a throw-away test CA and a server certificate for 127.0.0.1 and
# localhost in DIR, plus a second CA that did not sign it, for the RouterOS
# REST tests. Prints nothing on success. The keys are for tests only.
set -euo pipefail

dir=${1:?usage: make_test_certs.sh DIR}
mkdir -p "$dir"
cd "$dir"

quiet() { "$@" >/dev/null 2>&1 || { echo "make_test_certs.sh: failed: $*" >&2; "$@"; exit 1; }; }

quiet openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=wanctl test CA" \
  -keyout ca.key -out ca.pem
quiet openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=unrelated test CA" \
  -keyout other-ca.key -out other-ca.pem
quiet openssl req -newkey rsa:2048 -nodes -subj "/CN=router.test" -keyout server.key -out server.csr
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' >server.ext
quiet openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
  -extfile server.ext -out server.pem

# The SHA-256 fingerprint as 64 hex digits, for fingerprint pinning.
openssl x509 -in server.pem -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' >server.sha256
