#!/usr/bin/env bash
# Runs the task_assignment jar on the host JDK and checks the line the image
# test looks for. Usage: host_run_test.sh JAVA JAR
set -euo pipefail

java="$1"
jar="$2"

out="$("$java" -jar "$jar")"
echo "$out"
case "$out" in
  "task_assignment ok java="*" assigned=3 "*) ;;
  *)
    echo "FAIL: want a line starting \"task_assignment ok java=\" with \"assigned=3\", got: $out" >&2
    exit 1
    ;;
esac
echo PASS
