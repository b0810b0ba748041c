#!/usr/bin/env bash
# Installs what the tests and the main job need on a fresh Debian 12 machine
# of ours: Debian packages (apt) and Go tools (Go module proxy). Idempotent
# and quick when everything is already there.
set -euo pipefail

apt_packages=(
  bazel-bootstrap bazel-skylib       # Debian's Bazel 4.2.3 (the offline harness)
  podman runc skopeo umoci           # independent OCI referees and a runtime
  docker-registry apache2-utils      # a real registry; htpasswd for its auth
  busybox-static                     # a tiny runnable layer for image tests
  dpkg-dev xz-utils zstd bzip2 binutils  # dpkg-deb, compressors and GNU ar for test packages
  hyperfine                          # benchmarks
  qemu-user-static                   # the linux/arm64 odptool, run directly (cross-architecture test)
  openssl                            # a signing key for the publish test
  openjdk-17-jdk-headless            # javac/jar for the Java examples (Bazel 4.2.3 cannot fetch java tools)
  clang-16 libc++-16-dev libc++abi-16-dev  # the aggregator's JNI library, built against libc++ 16
)

missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The tests download real packages with `apt-get download`; that needs lists.
if ! compgen -G "/var/lib/apt/lists/*_Packages*" >/dev/null; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
fi

gobin="$(go env GOPATH)/bin"
install_go_tool() { # name module@version
  [ -x "$gobin/$1" ] && return 0
  echo "setup: go install $2" >&2
  go install "$2"
}
install_go_tool staticcheck honnef.co/go/tools/cmd/staticcheck@v0.8.2
install_go_tool crane github.com/google/go-containerregistry/cmd/crane@v0.22.1
# Referees of the supply-chain tests (signatures, attestations, SBOMs);
# each takes minutes to build the first time.
install_go_tool cosign github.com/sigstore/cosign/v2/cmd/cosign@v2.6.5
install_go_tool syft github.com/anchore/syft/cmd/syft@v1.57.2
