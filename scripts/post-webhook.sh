#!/usr/bin/env bash
# post-webhook.sh PROFILE FILE [URL]: sign FILE like the shop does and POST it
# to a running koppel. WooCommerce profiles get X-WC-Webhook-Signature,
# others X-Koppel-Signature. The secret is $KOPPEL_DEMO_WEBHOOK_SECRET or
# demo-secret, as in configs/koppel.yaml.
set -euo pipefail
profile=${1:?usage: post-webhook.sh PROFILE FILE [URL]}
file=${2:?usage: post-webhook.sh PROFILE FILE [URL]}
url=${3:-http://localhost:8080}
secret=${KOPPEL_DEMO_WEBHOOK_SECRET:-demo-secret}
header=X-Koppel-Signature
case "$profile" in *woo*) header=X-WC-Webhook-Signature ;; esac
sig=$(openssl dgst -sha256 -hmac "$secret" -binary <"$file" | base64 -w0)
curl -sS -w '  HTTP %{http_code}\n' -H 'Content-Type: application/json' \
	-H "$header: $sig" --data-binary "@$file" "$url/webhooks/$profile"
