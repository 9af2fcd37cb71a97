#!/bin/sh
# `npm test` runs this first (the `pretest` script): the lab tests need Linux tools that a fresh
# Debian/Ubuntu machine with only Node and npm lacks. As root with apt-get, install what is missing;
# otherwise print one line naming the command that installs it, and go on (the lab tests then fail
# and say what is missing). Set CENSORPROBE_NO_APT=1 to never install.
need=""
command -v ip >/dev/null 2>&1 || need="$need iproute2"
command -v nft >/dev/null 2>&1 || need="$need nftables"
command -v dig >/dev/null 2>&1 || need="$need dnsutils"
command -v curl >/dev/null 2>&1 || need="$need curl"
command -v script >/dev/null 2>&1 || need="$need bsdutils"
# The report page test drives Debian's chromium (playwright-core, executablePath /usr/bin/chromium).
[ -x /usr/bin/chromium ] || need="$need chromium"
need="${need# }"
[ -z "$need" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && [ -z "$CENSORPROBE_NO_APT" ]; then
  echo "pretest: installing the lab's system packages: $need"
  export DEBIAN_FRONTEND=noninteractive
  # shellcheck disable=SC2086
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends $need; } || echo "pretest: apt-get failed; install them yourself: apt-get install -y $need"
  exit 0
fi
echo "pretest: the lab tests need: $need (install with: sudo apt-get install -y $need)"
exit 0
