#!/usr/bin/env bash
# Sourced by run.sh and test.sh: make .venv ready (idempotent, fast when nothing changed).
#   setup_env <extras>   e.g. setup_env ""  or  setup_env "test"
# torch goes in first with the pin torch==2.13.0 (a CPU build where the index offers one; users with
# CUDA can install their own torch into .venv first: an installed torch is kept). Everything else is then
# installed with a constraints file holding the installed torch version, so no resolver step ever swaps
# torch for a multi-GB CUDA build, and with installer/constraints.txt: the exact versions the tests passed
# with, so a release of diffusers, transformers or huggingface_hub cannot break an install. That file is
# refreshed on purpose (`.venv/bin/python installer/lock.py`); a change to it or to pyproject.toml
# reinstalls. Where the locked versions cannot be installed (another Python without those wheels), the
# install goes on without the lock and says so.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
TORCH_PIN="torch==2.13.0"
LOCK="$ROOT/installer/constraints.txt"

# pip's notes about index folders that do not exist on this machine are noise, not news.
quiet_pip() { grep -v "is ignored: it is neither a file nor a directory" || true; }
log() { printf '\033[1m[undo-studio]\033[0m %s\n' "$*" >&2; }

find_python() {
  for cand in python3.13 python3.12 python3.11 python3; do
    if command -v "$cand" >/dev/null 2>&1 &&
       "$cand" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$cand"; return 0
    fi
  done
  return 1
}

install_system_libs() {
  # Qt's xcb platform plugin needs these on a bare Linux; only when we can (root + apt), never fatal.
  [ "$(uname -s)" = "Linux" ] || return 0
  command -v apt-get >/dev/null 2>&1 || return 0
  local pkgs=(libxcb-icccm4 libxcb-keysyms1 libxcb-xinerama0 libxcb-cursor0 libxkbcommon-x11-0 libegl1 libgl1
              libfontconfig1 libdbus-1-3 fonts-noto-cjk)
  local missing=()
  for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -eq 0 ]; then
    log "Installing system libraries for Qt: ${missing[*]}"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >/dev/null 2>&1 ||
      log "warning: could not install ${missing[*]} (the GUI may not start; headless commands still work)"
  else
    log "note: the GUI needs these system packages: ${missing[*]} (sudo apt-get install ${missing[*]})"
  fi
}

compile_translations() {
  # Qt loads compiled .qm catalogs (build output, gitignored) made from the .ts sources. Cheap, so it runs
  # on every start and only recompiles a .qm older than its .ts.
  local tool="$VENV/bin/pyside6-lrelease" ts qm
  if [ ! -x "$tool" ]; then
    log "note: $tool not found; the UI compiles its translations on first start or stays English"
    return 0
  fi
  for ts in "$ROOT"/resources/translations/*.ts; do
    [ -f "$ts" ] || continue
    qm="${ts%.ts}.qm"
    [ -f "$qm" ] && [ "$qm" -nt "$ts" ] && continue
    "$tool" -silent "$ts" -qm "$qm" || log "warning: could not compile $ts (the UI will show English)"
  done
}

setup_env() {
  local extras="${1:-}"
  local spec="."
  [ -n "$extras" ] && spec=".[$extras]"
  if [ ! -x "$PY" ]; then
    local base
    base="$(find_python)" || { log "error: Python 3.11 or newer is needed (python3 --version)."; exit 1; }
    log "Creating $VENV with $base"
    "$base" -m venv "$VENV"
  fi
  local stamp="$VENV/.undo-studio-installed"
  local want
  want="$(cat "$ROOT/pyproject.toml" "$LOCK" 2>/dev/null | sha256sum | cut -c1-16)-$extras"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    install_system_libs
    compile_translations
    return 0
  fi
  local lock_args=() lock_note=""
  if [ -f "$LOCK" ]; then
    lock_args=(-c "$LOCK")
    lock_note=" and the tested versions (installer/constraints.txt)"
  else
    log "warning: $LOCK is missing: installing the newest compatible versions, not the tested ones"
  fi
  if ! "$PY" -c 'import torch' >/dev/null 2>&1; then
    log "Installing $TORCH_PIN (first, so nothing pulls another build)"
    "$PY" -m pip install -q --disable-pip-version-check ${lock_args[@]+"${lock_args[@]}"} "$TORCH_PIN" 2>&1 | quiet_pip >&2 || true
  fi
  local constraints="$VENV/constraints.txt"
  "$PY" -c 'import torch; print("torch==" + torch.__version__)' 2>/dev/null > "$constraints" ||
    { log "error: torch could not be installed (see the messages above)."; exit 1; }
  log "Installing Undo Studio ($spec) with $(cat "$constraints")$lock_note"
  if ! "$PY" -m pip install -q --disable-pip-version-check ${lock_args[@]+"${lock_args[@]}"} -c "$constraints" \
      -e "$ROOT${extras:+[$extras]}" 2>&1 | quiet_pip >&2; then
    if [ ${#lock_args[@]} -gt 0 ]; then
      log "warning: the tested versions in installer/constraints.txt cannot be installed here; installing the newest compatible ones instead"
    fi
    "$PY" -m pip install -q --disable-pip-version-check -c "$constraints" -e "$ROOT${extras:+[$extras]}" 2>&1 |
      quiet_pip >&2 || true
  fi
  "$PY" -c 'import app, torch, PySide6, av' || { log "error: installation failed (see the messages above)."; exit 1; }
  install_system_libs
  compile_translations
  echo "$want" > "$stamp"
}
