#!/usr/bin/env bash
# A real Kubernetes API server on loopback for the k8s_real tests, built only from Debian's
# archive: etcd from the etcd-server package, kube-apiserver v1.20.2 compiled from Debian
# bookworm's `kubernetes` source package with Debian's Go. Nothing reconciles (no
# controller-manager, scheduler or kubelet): objects are stored, validated and RBAC-checked.
#
#   tools/kube-apiserver.sh build     install etcd and kubectl; compile once per machine (~7 min), cached
#   tools/kube-apiserver.sh up [DIR]  start etcd + apiserver; optionally kubectl-apply manifests in DIR
#   tools/kube-apiserver.sh down      stop what `up` started, by its pid files
#
# Settings (environment): K8S_STATE (/tmp/readiness-k8s), K8S_BIN_CACHE (/var/cache/k8s-apiserver),
# K8S_PORT (6443), ETCD_PORT (12379; +1 peer, +2 metrics), K8S_AUTHORIZATION_MODE (Node,RBAC),
# K8S_RUNTIME_CONFIG (unset; e.g. rbac.authorization.k8s.io/v1=false for a server without RBAC).
# Results: $K8S_STATE/k8s/admin.kubeconfig (group system:masters) and viewer.kubeconfig
# (authenticated, bound to nothing: every read is 403).
set -euo pipefail

state=${K8S_STATE:-/tmp/readiness-k8s}
cache=${K8S_BIN_CACHE:-/var/cache/k8s-apiserver}
api_port=${K8S_PORT:-6443}
etcd_port=${ETCD_PORT:-12379}
source_version=1.20.5+really1.20.2-1.1+deb12u1
binary=$cache/kube-apiserver-v1.20.2
conf=$state/k8s
pids=$state/pids

running() {  # running PID: alive and not a zombie
  kill -0 "$1" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

started() {  # started NAME: our pid file names a live process
  [ -s "$pids/$1.pid" ] && running "$(head -1 "$pids/$1.pid")"
}

need_packages() {
  local missing=() package
  for package in "$@"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  apt-get update -qq
  # policy-rc.d keeps package scripts from starting daemons (etcd) we did not ask for.
  local blocked=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && blocked=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ "$blocked" = 1 ] && rm -f /usr/sbin/policy-rc.d
  return 0
}

fetch_source() {  # fetch_source DIR: Debian's kubernetes source package, unpacked in DIR
  local list=/etc/apt/sources.list.d/zz-readiness-k8s-src.sources archive
  archive=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  printf 'Types: deb-src\nURIs: %s\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$archive" >"$list"
  apt-get update -qq
  (cd "$1" && apt-get source --download-only -qq "kubernetes=$source_version" 2>&1 | grep -v unsandboxed || true)
  rm -f "$list"
  apt-get update -qq
  tar -C "$1" -xzf "$1"/kubernetes_*.orig.tar.gz
}

need_runtime() {  # etcd and kubectl, which `up` and the tests use
  command -v etcd >/dev/null || need_packages etcd-server
  command -v kubectl >/dev/null || need_packages kubernetes-client  # Debian's kubectl
}

build() {
  need_runtime
  if [ -x "$binary" ]; then
    echo "kube-apiserver already built: $binary"
    return 0
  fi
  need_packages golang-go jq rsync dpkg-dev golang-github-modern-go-reflect2-dev
  local work tree reflect
  work=$(mktemp -d /tmp/readiness-k8s-build.XXXXXX)
  fetch_source "$work"
  tree=$work/kubernetes-1.20.2
  # The vendored reflect2 1.0.1 crashes under Go >= 1.18; Debian ships the fixed 1.0.2.
  reflect=$tree/vendor/github.com/modern-go/reflect2
  rm -f "$reflect"/*.go "$reflect"/*.s
  cp /usr/share/gocode/src/github.com/modern-go/reflect2/*.go \
    /usr/share/gocode/src/github.com/modern-go/reflect2/*.s "$reflect/"
  rm -f "$reflect"/*_test.go
  (
    cd "$tree"
    export GOPATH=$tree/.go CGO_ENABLED=0 HOME=$work/home GOCACHE=$work/go-cache
    export KUBE_GIT_VERSION=v1.20.2 KUBE_GIT_MAJOR=1 KUBE_GIT_MINOR=20 KUBE_GIT_TREE_STATE=clean
    mkdir -p .go/src/k8s.io "$HOME"
    ln -sfn ../../.. .go/src/k8s.io/kubernetes
    make WHAT=cmd/kube-apiserver >"$work/build.log" 2>&1 || { tail -40 "$work/build.log"; exit 1; }
  )
  mkdir -p "$cache"
  install -m 755 "$tree/_output/bin/kube-apiserver" "$binary"
  rm -rf "$work"
  echo "built $binary"
}

write_kubeconfig() {  # write_kubeconfig FILE USER TOKEN
  cat >"$1" <<CONF
apiVersion: v1
kind: Config
current-context: local
clusters:
- name: local
  cluster: {server: "https://127.0.0.1:$api_port", certificate-authority: "$conf/certs/apiserver.crt"}
users:
- name: $2
  user: {token: $3}
contexts:
- name: local
  context: {cluster: local, user: $2}
CONF
}

wait_for() {  # wait_for TRIES COMMAND...: poll until COMMAND succeeds
  local tries=$1
  shift
  for _ in $(seq 1 "$tries"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.25; done
  return 1
}

up() {
  [ -x "$binary" ] || build
  need_runtime
  mkdir -p "$conf/certs" "$conf/etcd" "$pids"
  if [ ! -s "$conf/sa.key" ]; then
    openssl genrsa -out "$conf/sa.key" 2048 2>/dev/null
    openssl rsa -in "$conf/sa.key" -pubout -out "$conf/sa.pub" 2>/dev/null
  fi
  printf 'admin-token,admin,uid-admin,"system:masters"\nviewer-token,viewer,uid-viewer,"viewers"\n' >"$conf/tokens.csv"
  if ! started etcd; then
    setsid etcd --name local --data-dir "$conf/etcd" \
      --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
      --listen-peer-urls "http://127.0.0.1:$((etcd_port + 1))" \
      --initial-advertise-peer-urls "http://127.0.0.1:$((etcd_port + 1))" \
      --initial-cluster "local=http://127.0.0.1:$((etcd_port + 1))" \
      --listen-metrics-urls "http://127.0.0.1:$((etcd_port + 2))" </dev/null >"$conf/etcd.log" 2>&1 &
    echo $! >"$pids/etcd.pid"
    wait_for 100 curl -fsS "http://127.0.0.1:$etcd_port/health" || { tail -20 "$conf/etcd.log"; exit 1; }
  fi
  if ! started kube-apiserver; then
    setsid "$binary" --etcd-servers="http://127.0.0.1:$etcd_port" \
      --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$api_port" --insecure-port=0 \
      --cert-dir="$conf/certs" --token-auth-file="$conf/tokens.csv" --authorization-mode="${K8S_AUTHORIZATION_MODE:-Node,RBAC}" \
      ${K8S_RUNTIME_CONFIG:+--runtime-config="$K8S_RUNTIME_CONFIG"} \
      --service-account-issuer=https://kubernetes.default.svc --service-account-key-file="$conf/sa.pub" \
      --service-account-signing-key-file="$conf/sa.key" --service-cluster-ip-range=10.96.0.0/16 \
      --enable-priority-and-fairness=false --disable-admission-plugins=ServiceAccount \
      </dev/null >"$conf/apiserver.log" 2>&1 &
    echo $! >"$pids/kube-apiserver.pid"
  fi
  wait_for 240 curl -skf -H 'Authorization: Bearer admin-token' "https://127.0.0.1:$api_port/readyz" ||
    { tail -20 "$conf/apiserver.log"; exit 1; }
  write_kubeconfig "$conf/admin.kubeconfig" admin admin-token
  write_kubeconfig "$conf/viewer.kubeconfig" viewer viewer-token
  echo "kube-apiserver ready on https://127.0.0.1:$api_port; KUBECONFIG=$conf/admin.kubeconfig"
  if [ -n "${1:-}" ]; then
    # CRDs must be established before their custom resources apply: apply, wait, apply again.
    export KUBECONFIG=$conf/admin.kubeconfig
    kubectl apply -f "$1" >/dev/null 2>&1 || true
    kubectl wait --for=condition=Established crd --all --timeout=30s >/dev/null 2>&1 || true
    kubectl apply -f "$1" 2>&1 | grep -vE 'unchanged|configured|created|^Warning' || true
  fi
}

down() {
  local name pid
  for name in kube-apiserver etcd; do
    [ -s "$pids/$name.pid" ] || continue
    pid=$(head -1 "$pids/$name.pid")
    # Only stop the process we started: the pid must still run our command.
    if running "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$name"; then
      kill -TERM "$pid"
      for _ in $(seq 1 100); do running "$pid" || break; sleep 0.1; done
      running "$pid" && kill -KILL "$pid"
      echo "$name stopped (pid $pid)"
    fi
    rm -f "$pids/$name.pid"
  done
}

case "${1:-}" in
  build) build ;;
  up) up "${2:-}" ;;
  down) down ;;
  *) echo "usage: $0 build | up [MANIFEST_DIR] | down" >&2; exit 2 ;;
esac
