#!/usr/bin/env bash
# Quick start: set up .venv when needed, then start Undo Studio.
#   ./installer/run.sh                      opens the app (start page)
#   ./installer/run.sh render IMG --out X   runs the command line (any undo-studio arguments)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup_env.sh"
setup_env ""
cd "$ROOT"
if [ $# -eq 0 ] && [ "$(uname -s)" = "Linux" ] && [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] &&
   [ -z "${QT_QPA_PLATFORM:-}" ]; then
  sample="$(ls resources/samples/*.png | head -n 1)"
  log "No display found: rendering the sample $sample to out/sample_process.mp4 instead of opening the app."
  exec "$PY" -m app render "$sample" --out out/sample_process.mp4 --contact-sheet out/sample_contact_sheet.png
fi
exec "$PY" -m app "$@"
