#!/usr/bin/env bash
# Rekam demo on one machine: a hub (with the district office's dashboard) and two kecamatan offices of Kabupaten Pesisir Selatan
# (130101 Pancung Soal, 130105 IV Jurai) on 127.0.0.1, each with its device simulator.
# First run: builds, creates the district CA, office certificates and demo operators.
# Ctrl-C stops everything cleanly; a second run resumes with the same data.
#
#   deploy/demo.sh                 # data in ./rekam-demo
#   REKAM_DEMO_DIR=/tmp/x deploy/demo.sh
#   REKAM_DEMO_BUILD=0 deploy/demo.sh   # skip `cargo build` (binaries already built)
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=${REKAM_DEMO_DIR:-rekam-demo}
PROFILE=${REKAM_DEMO_PROFILE:-release}
PASSWORD=${REKAM_DEMO_PASSWORD:-rekam-demo}
HUB_ADDR=127.0.0.1:8443
WEB_ADDR=127.0.0.1:8444
# kecamatan:desk port:device simulator port:name
OFFICES=("130101:8081:4501:Pancung Soal" "130105:8082:4502:IV Jurai")

if [ "${REKAM_DEMO_BUILD:-1}" = 1 ]; then
  if [ "$PROFILE" = release ]; then
    cargo build --release -p rekam-hub -p rekam-agent
  else
    cargo build -p rekam-hub -p rekam-agent
  fi
fi
BIN=target/$PROFILE
mkdir -p "$DIR"

if [ ! -f "$DIR/pki/ca.crt" ]; then
  "$BIN/rekam-hub" pki init --dir "$DIR/pki"
fi
if [ ! -f "$DIR/pki/dashboard.crt" ]; then
  "$BIN/rekam-hub" pki issue-dashboard --dir "$DIR/pki"
fi
# District staff of the dashboard: an administrator, an adjudicator, a viewer.
if [ ! -f "$DIR/.pengguna" ]; then
  for u in "admin:admin" "adjudikator:pengadjudikasi" "pemantau:viewer"; do
    printf '%s\n' "$PASSWORD" | "$BIN/rekam-hub" user --data "$DIR/hub" add "${u%%:*}" \
      --role "${u#*:}" --password-stdin
  done
  touch "$DIR/.pengguna"
fi

for o in "${OFFICES[@]}"; do
  IFS=: read -r k port simport name <<<"$o"
  od="$DIR/kantor-$k"
  mkdir -p "$od/data"
  if [ ! -f "$od/tls/office.crt" ]; then
    "$BIN/rekam-hub" pki issue-agent --dir "$DIR/pki" --kecamatan "$k" --out "$od/tls"
  fi
  if [ ! -f "$od/.operators" ]; then
    for u in "reg:operator-registrasi" "rek:operator-perekaman" "kepala:kepala-ukl"; do
      printf '%s' "$PASSWORD" | "$BIN/rekam-agent" user add --data "$od/data" \
        --username "${u%%:*}" --role "${u#*:}" --password-stdin
    done
    touch "$od/.operators"
  fi
  cat >"$od/rekam-agent.toml" <<TOML
data = "$od/data"
listen = "127.0.0.1:$port"
kecamatan = "$k"
device_url = "http://127.0.0.1:$simport"

[hub]
url = "https://$HUB_ADDR"
tls_dir = "$od/tls"
interval_ms = 2000
TOML
done

# The population register: a synthetic extract of the demo's kecamatan (rekam-hub penduduk
# contoh), holding the demo residents of deploy/demo-seed.sh too (generated rows with one of their
# NIKs dropped), imported once before the offices start; they download it at their first sync.
if [ ! -f "$DIR/.register" ]; then
  kecs=$(printf '%s\n' "${OFFICES[@]}" | cut -d: -f1 | paste -sd, -)
  demo=$(for o in "${OFFICES[@]}"; do deploy/demo-seed.sh --register "${o%%:*}"; done)
  "$BIN/rekam-hub" penduduk contoh --kecamatan "$kecs" --jumlah 6000 --seed 1 |
    grep -v -F -f <(printf '%s\n' "$demo" | cut -d, -f1 | sed 's/$/,/') >"$DIR/register.csv"
  printf '%s\n' "$demo" >>"$DIR/register.csv"
  "$BIN/rekam-hub" penduduk import "$DIR/register.csv" --data "$DIR/hub" --oleh demo >/dev/null
  touch "$DIR/.register"
fi

pids=()
stop() {
  trap - INT TERM
  echo
  echo "stopping..."
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait
  echo "stopped; run again to resume"
  exit 0
}
trap stop INT TERM

"$BIN/rekam-hub" serve --data "$DIR/hub" --pki "$DIR/pki" --listen "$HUB_ADDR" \
  --web-listen "$WEB_ADDR" \
  2>>"$DIR/hub.log" >/dev/null &
pids+=($!)
for o in "${OFFICES[@]}"; do
  IFS=: read -r k port simport name <<<"$o"
  od="$DIR/kantor-$k"
  "$BIN/rekam-agent" device-sim --listen "127.0.0.1:$simport" 2>>"$od/sim.log" >/dev/null &
  pids+=($!)
  "$BIN/rekam-agent" serve --config "$od/rekam-agent.toml" 2>>"$od/agent.log" >/dev/null &
  pids+=($!)
done

# Wait until every office answers, then enter the demo residents on an office's first run.
for o in "${OFFICES[@]}"; do
  IFS=: read -r k port simport name <<<"$o"
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/api/health" >/dev/null 2>&1 && break
    sleep 0.2
  done
  curl -sf "http://127.0.0.1:$port/api/health" >/dev/null ||
    { echo "kecamatan $k did not start: see $DIR/kantor-$k/agent.log" >&2; stop; }
  if [ ! -f "$DIR/kantor-$k/.seeded" ]; then
    deploy/demo-seed.sh "$k" "http://127.0.0.1:$port" "http://127.0.0.1:$simport" "$PASSWORD"
    touch "$DIR/kantor-$k/.seeded"
  fi
done
echo
echo "Rekam demo running (data in $DIR, logs *.log there):"
echo "  hub            https://$HUB_ADDR  (mutual TLS: offices only)"
echo "  dashboard      https://$WEB_ADDR  (district staff; certificate from the demo CA $DIR/pki/ca.crt)"
echo "                 logins: admin / adjudikator / pemantau, password '$PASSWORD'"
for o in "${OFFICES[@]}"; do
  IFS=: read -r k port simport name <<<"$o"
  echo "  kecamatan $k $name: http://127.0.0.1:$port"
done
echo "  logins: reg / rek / kepala, password '$PASSWORD'"
echo "  sync:   $BIN/rekam-agent sync status --data $DIR/kantor-130101/data"
echo "  dedup:  Rahmat Hidayat was recorded in both kecamatan (same irises and fingers, two NIKs):"
echo "          after the offices sync, one application's page shows 'Keputusan kabupaten: DUPLIKAT'"
echo "  decide: $BIN/rekam-hub decide --data $DIR/hub --permohonan ID --hasil unik   # a person's decision"
echo "Ctrl-C stops everything."
wait
