#!/bin/sh
# The dig + curl baseline for one target (bench/run.ts runs it as `xargs -P C -n 1 sh baseline.sh`
# inside the lab's probe namespace): resolve the host with dig through the system resolver
# (the lab's ISP resolver), then fetch the URL with curl pinned to that address. Same step budgets
# as the probe run: $DNS_S (dig, whole seconds), $CONNECT_S (curl connect + TLS), $MAX_S (curl total).
# Prints "URL RESULT" (the HTTP status, or dns / curl exit code).
url=$1
scheme=${url%%://*}
rest=${url#*://}
host=${rest%%/*}
port=80
[ "$scheme" = https ] && port=443
ip=$(dig +short +time="$DNS_S" +tries=1 A "$host" 2>/dev/null | grep -E '^[0-9.]+$' | head -n 1)
if [ -z "$ip" ]; then
  echo "$url dns"
  exit 0
fi
code=$(curl -s -o /dev/null -w '%{http_code}' --connect-timeout "$CONNECT_S" -m "$MAX_S" --cacert "$CA_FILE" --resolve "$host:$port:$ip" "$url")
echo "$url ${code:-000}/$?"
