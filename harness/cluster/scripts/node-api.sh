# shellcheck shell=sh
# Prepended to every script swarmlab runs in a node (see node-script.ts).
# The Docker API through curl costs a tenth of the docker CLI's start-up
# under emulation; official dind images have no curl, so each script keeps a
# docker CLI branch for them.
has_curl() { command -v curl >/dev/null 2>&1; }
api() { curl -s --unix-socket /var/run/docker.sock "$@"; }
