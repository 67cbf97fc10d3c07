#!/usr/bin/env bash
# Resolve Apache Cassandra (cassandra-all from Maven Central, version in pom.xml)
# and its runtime dependencies into the local Maven repository (~/.m2), and write
# the resulting Java classpath to scripts/cassandra/.cache/classpath.txt.
#
# Idempotent: if .cache/classpath.txt was made from the current pom.xml and every
# jar it names is still on disk, it does nothing (no Maven run, ~10 ms).
# Usage: bash scripts/cassandra/fetch.sh [--force]
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="$HERE/.cache"
CP_FILE="$CACHE/classpath.txt"
STAMP="$CACHE/classpath.pom-sha256"
FORCE=0
[ "${1:-}" = "--force" ] && FORCE=1

say() { echo "[cassandra/fetch] $*"; }

command -v java >/dev/null 2>&1 || { say "ERROR: java not found on PATH (Cassandra 5.0 needs Java 11 or 17)"; exit 1; }

pom_sha="$(sha256sum "$HERE/pom.xml" | cut -d' ' -f1)"

valid() {
  [ -s "$CP_FILE" ] && [ -f "$STAMP" ] || return 1
  [ "$(cat "$STAMP")" = "$pom_sha" ] || return 1
  local jar n=0
  # every jar on the classpath must still exist (someone may have wiped ~/.m2)
  while IFS= read -r jar; do
    [ -z "$jar" ] && continue
    [ -f "$jar" ] || return 1
    n=$((n + 1))
  done < <(tr ':' '\n' < "$CP_FILE")
  [ "$n" -gt 10 ] || return 1
  case "$(cat "$CP_FILE")" in *cassandra-all-*.jar*) ;; *) return 1 ;; esac
}

if [ "$FORCE" = 0 ] && valid; then
  say "up to date: $(tr ':' '\n' < "$CP_FILE" | grep -c .) jars, classpath in ${CP_FILE#"$PWD"/}"
  exit 0
fi

command -v mvn >/dev/null 2>&1 || { say "ERROR: mvn not found on PATH"; exit 1; }
mkdir -p "$CACHE"
tmp="$CP_FILE.tmp.$$"
trap 'rm -f "$tmp"' EXIT
start=$(date +%s)
say "resolving $(sed -n 's:.*<cassandra.version>\(.*\)</cassandra.version>.*:org.apache.cassandra\:cassandra-all\:\1:p' "$HERE/pom.xml") with Maven (downloads ~95 MB into ~/.m2 unless already there)..."
if ! mvn -q -B -Dstyle.color=never -f "$HERE/pom.xml" dependency:build-classpath \
      -Dmdep.outputFile="$tmp" -Dmdep.includeScope=runtime >"$CACHE/fetch.log" 2>&1; then
  say "ERROR: Maven failed; last lines of $CACHE/fetch.log:"
  tail -n 40 "$CACHE/fetch.log" >&2
  exit 1
fi
[ -s "$tmp" ] || { say "ERROR: Maven wrote an empty classpath"; exit 1; }
mv -f "$tmp" "$CP_FILE"
echo "$pom_sha" > "$STAMP"
say "done in $(( $(date +%s) - start ))s: $(tr ':' '\n' < "$CP_FILE" | grep -c .) jars, classpath in $CP_FILE"
