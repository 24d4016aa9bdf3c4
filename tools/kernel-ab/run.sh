#!/bin/bash
# Usage: tools/kernel-ab/run.sh REV_A REV_B TYPE [ROWS COLS MIB THREADS ROUNDS]
# Builds jllm-core at two git revisions (worktrees under /tmp) and times their single-token products in one JVM.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
export JAVA_HOME
WORK="${KERNEL_AB_WORK:-/tmp/jllm-kernel-ab}"
mkdir -p "$WORK/classes"
jars=()
for rev in "$1" "$2"; do
    sha="$(git -C "$ROOT" rev-parse --short "$rev")"
    tree="$WORK/$sha"
    [ -d "$tree" ] || git -C "$ROOT" worktree add -f -q "$tree" "$sha"
    (cd "$tree" && mvn -B -q -o package -DskipTests -pl jllm-core >"$WORK/build.log" 2>&1) \
        || { cat "$WORK/build.log"; exit 1; }
    jars+=("$tree/jllm-core/target/jllm-core-0.1.0-SNAPSHOT.jar")
done
"$JAVA_HOME/bin/javac" --add-modules jdk.incubator.vector -cp "${jars[1]}" -d "$WORK/classes" \
    "$ROOT/tools/kernel-ab/KernelSide.java" "$ROOT/tools/kernel-ab/KernelAb.java" >"$WORK/javac.log" 2>&1 \
    || { cat "$WORK/javac.log"; exit 1; }
"$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dkernel.ab.tokens="${KERNEL_AB_TOKENS:-1}" -Dkernel.ab.classes="$WORK/classes/" -cp "$WORK/classes" \
    KernelAb "${jars[0]}" "${jars[1]}" "$3" "${4:-11008}" "${5:-4096}" "${6:-1200}" "${7:-2}" "${8:-10}" 2>&1 \
    | grep -v "^WARNING"
