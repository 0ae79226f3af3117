#!/bin/sh
# Makes a local PostgreSQL available for the store's PostgreSQL tests and
# prints its DSN on stdout (everything else goes to stderr):
#
#   export NEWSHOUND_TEST_POSTGRES_DSN="$(.ci/postgres.sh)"
#
# Installs PostgreSQL with apt-get when absent (needs root), starts the first
# cluster if it is down, and creates the role and database below if missing.
# Idempotent: running it again only prints the DSN.
set -eu

ROLE=${NEWSHOUND_PG_ROLE:-newshound}
PASSWORD=${NEWSHOUND_PG_PASSWORD:-newshound}
DB=${NEWSHOUND_PG_DB:-newshound_test}

log() { echo "postgres.sh: $*" >&2; }

if ! command -v pg_lsclusters >/dev/null 2>&1; then
	log "installing postgresql with apt-get"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update >&2
	apt-get install -y postgresql >&2
fi

# pg_lsclusters: Ver Cluster Port Status Owner Datadir Logfile
cluster=$(pg_lsclusters --no-header | head -n 1)
if [ -z "$cluster" ]; then
	log "no PostgreSQL cluster found; create one with pg_createcluster"
	exit 1
fi
set -- $cluster
VERSION=$1 NAME=$2 PORT=$3 STATUS=$4
if [ "$STATUS" != online ]; then
	log "starting cluster $VERSION/$NAME"
	pg_ctlcluster "$VERSION" "$NAME" start >&2
fi

psql_admin() { runuser -u postgres -- psql -p "$PORT" -v ON_ERROR_STOP=1 -qtA "$@"; }

i=0
until psql_admin -c 'SELECT 1' >/dev/null 2>&1; do
	i=$((i + 1))
	if [ "$i" -gt 30 ]; then
		log "cluster $VERSION/$NAME on port $PORT does not answer"
		exit 1
	fi
	sleep 1
done

if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != 1 ]; then
	log "creating role $ROLE"
	psql_admin -c "CREATE ROLE $ROLE LOGIN PASSWORD '$PASSWORD'" >&2
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]; then
	log "creating database $DB"
	psql_admin -c "CREATE DATABASE $DB OWNER $ROLE" >&2
fi

echo "postgres://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DB?sslmode=disable"
