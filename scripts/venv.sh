# venv.sh, sourced by setup.sh and setup-bench.sh: a Python virtual
# environment kept at the exact versions of a requirements file.

# ensure_venv VENV REQUIREMENTS PYTHON WHAT: creates VENV with PYTHON when it
# does not exist and installs REQUIREMENTS into it with pip, unless a stamp
# in VENV holding the hash of REQUIREMENTS says they are installed. WHAT
# names the environment in the messages. Uses the caller's say and die.
ensure_venv() {
  local venv=$1 req=$2 python=$3 what=$4 hash
  hash=$(sha256sum < "$req" | cut -c1-16)
  if [ "$(cat "$venv/.requirements" 2>/dev/null)" = "$hash" ]; then
    say "$what: up to date ($venv)"
    return 0
  fi
  say "installing $what into $venv"
  [ -x "$venv/bin/python" ] || "$python" -m venv "$venv" || die "could not create $venv (on Debian: apt-get install python3-venv)"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$req"
  echo "$hash" > "$venv/.requirements"
}
