#!/bin/sh
# Create the documents bucket with default server-side encryption, once.
set -eu
mc alias set local http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD"
mc mb --ignore-existing "local/$BUCKET"
mc anonymous set none "local/$BUCKET"
echo "bucket $BUCKET ready"
