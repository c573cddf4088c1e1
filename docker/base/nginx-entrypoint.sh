#!/bin/sh
# As the registry's nginx image does: each /etc/nginx/templates/X.template becomes
# /etc/nginx/conf.d/X with the environment's variables filled in (only those: nginx's own $host
# and the like stay as they are).
set -eu
defined=$(env | cut -d= -f1 | sed 's/.*/${&}/' | tr '\n' ' ')
for template in /etc/nginx/templates/*.template; do
    [ -e "$template" ] || continue
    target="/etc/nginx/conf.d/$(basename "$template" .template)"
    envsubst "$defined" < "$template" > "$target"
done
exec "$@"
