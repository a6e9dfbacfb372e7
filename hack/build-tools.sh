#!/usr/bin/env bash
# build-tools.sh builds one binary of a tools module (hack/controlplane,
# hack/crossplane) from the Go module proxy into the cache outside git.
#
# It exists so that the slow first builds of kube-apiserver, etcd and Crossplane
# say what they are doing, never leave a half-written binary behind (the binary
# is built under a temporary name and renamed into place), and fail loudly with
# the Go error when something goes wrong. build/controlplane.mk calls it; make
# only runs it when the binary is missing.
#
# Usage:
#   hack/build-tools.sh --name NAME --version VERSION --module-dir DIR \
#     --package IMPORT_PATH --out FILE [--pin MODULE@VERSION] \
#     [--ldflags FLAGS] [--estimate TEXT]
#
#   --pin checks that the tools module really resolves MODULE to VERSION, so
#   the version in the make file and the one in the tools module's go.mod cannot
#   drift apart silently.
#
# Progress goes to stderr, like the go command's own, so stdout stays clean.
set -euo pipefail

name="" version="" module_dir="" package="" out="" pin="" ldflags="" estimate="a few minutes"
while [[ $# -gt 0 ]]; do
	case "$1" in
	--name) name="$2" ;;
	--version) version="$2" ;;
	--module-dir) module_dir="$2" ;;
	--package) package="$2" ;;
	--out) out="$2" ;;
	--pin) pin="$2" ;;
	--ldflags) ldflags="$2" ;;
	--estimate) estimate="$2" ;;
	*) echo "build-tools.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift 2
done
for v in name version module_dir package out; do
	if [[ -z "${!v}" ]]; then echo "build-tools.sh: --${v//_/-} is required" >&2; exit 2; fi
done

say() { printf '%s\n' "$*" >&2; }
step() { printf '    -> %s\n' "$*" >&2; }

GO="${GO:-go}"
# The tools module is built on its own: a go.work of the surrounding project
# must not pull it into a workspace.
export GOWORK=off
export CGO_ENABLED=0

start=$SECONDS
say "==> Building ${name} ${version} from the Go module proxy (first run only, takes ${estimate})..."

out_dir="$(dirname "$out")"
mkdir -p "$out_dir"
out="$(cd "$out_dir" && pwd)/$(basename "$out")"
# Same directory as the target, so the final mv is an atomic rename.
tmp="${out}.tmp.$$"
log="$(mktemp)"
heartbeat=""
cleanup() {
	if [[ -n "$heartbeat" ]]; then kill "$heartbeat" 2>/dev/null || true; fi
	rm -f "$tmp" "$log"
}
trap cleanup EXIT
trap 'cleanup; say "==> Building ${name} interrupted; nothing was installed"; exit 130' INT TERM HUP

cd "$module_dir"

if [[ -n "$pin" ]]; then
	mod="${pin%@*}" want="${pin##*@}"
	step "checking that $(basename "$module_dir")/go.mod pins ${mod} ${want}"
	if ! got="$("$GO" list -m -f '{{if .Replace}}{{.Replace.Version}}{{else}}{{.Version}}{{end}}' "$mod" 2>"$log")"; then
		cat "$log" >&2
		say "==> FAILED: cannot resolve ${mod} in ${module_dir}"
		exit 1
	fi
	if [[ "$got" != "$want" ]]; then
		say "==> FAILED: ${module_dir}/go.mod resolves ${mod} ${got}, but the make file asks for ${want}."
		say "    Update both together (the version variables in build/controlplane.mk and the tools module)."
		exit 1
	fi
fi

# Listing the package's dependencies downloads exactly the modules the build
# needs (the go command prints one "go: downloading" line for each).
step "downloading the modules ${name} needs into $("$GO" env GOMODCACHE)"
if ! "$GO" list -deps -f '{{with .Module}}{{.Path}}{{end}}' "$package" >"$log.mods" 2>"$log"; then
	cat "$log" >&2
	rm -f "$log.mods"
	say "==> FAILED: resolving and downloading the dependencies of ${package} (see the error above)"
	exit 1
fi
mods=$(sort -u "$log.mods" | grep -c . || true)
downloaded=$(grep -c '^go: downloading' "$log" || true)
rm -f "$log.mods"
step "${mods} modules in use, ${downloaded} downloaded now, the rest were already in the module cache ($((SECONDS - start))s)"

step "compiling ${package} (CGO_ENABLED=0, -trimpath)"
build_start=$SECONDS
# A line a minute, so a long compile does not look hung. The sleep holds no
# output descriptor and dies with the loop, so a pipe reading make's output
# (make test | tee) closes as soon as the build is done.
(
	trap 'kill "$nap" 2>/dev/null; exit 0' TERM
	while :; do
		sleep 60 >/dev/null 2>&1 &
		nap=$!
		wait "$nap"
		printf '       still compiling %s, %ds so far\n' "$name" $((SECONDS - build_start)) >&2
	done
) &
heartbeat=$!
status=0
"$GO" build -trimpath -ldflags "$ldflags" -o "$tmp" "$package" || status=$?
kill "$heartbeat" 2>/dev/null || true
wait "$heartbeat" 2>/dev/null || true
heartbeat=""
if [[ $status -ne 0 ]]; then
	say "==> FAILED: building ${name} ${version} (go build exited with ${status}, see the error above)"
	exit "$status"
fi

mv -f "$tmp" "$out"
say "==> Built ${name} ${version} in $((SECONDS - start))s: ${out}"
