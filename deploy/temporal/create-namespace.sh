#!/bin/sh
# Creates Reflex's namespace if it does not exist. 30 days of history retention; the audit trail in
# PostgreSQL is Reflex's permanent record.
set -eu
temporal operator namespace describe --namespace "$NAMESPACE" >/dev/null 2>&1 ||
  temporal operator namespace create --namespace "$NAMESPACE" --retention 30d
