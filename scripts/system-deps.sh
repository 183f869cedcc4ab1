#!/usr/bin/env bash
# Installs the Debian packages the test suite uses (a no-op when they are all present):
#   protobuf-compiler  protoc, for the Python client's messages
#   python3-grpcio, python3-protobuf  an independent gRPC client (/usr/bin/python3)
#   prometheus         promtool, to lint our metrics
#   nats-server        the control plane (JetStream)
#   openssl            ediff certs (the TLS tests make their certificates with it)
#   chromium-headless-shell  a browser for the web UI's tests (driven by playwright-core)
#   kubernetes-client  kubectl, to render the Kubernetes manifests (only when no kubectl is installed)
set -euo pipefail
packages=(protobuf-compiler python3-grpcio python3-protobuf prometheus nats-server openssl chromium-headless-shell)
command -v kubectl >/dev/null || packages+=(kubernetes-client)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "system-deps: missing Debian packages: ${missing[*]}; run as root or: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "system-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
