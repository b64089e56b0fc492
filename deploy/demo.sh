#!/usr/bin/env bash
# Rekam demo on one machine: a hub (with the district office's dashboard) and three kecamatan offices of Kabupaten
# Pesisir Selatan (130101 Pancung Soal, 130103 Lengayang, 130105 IV Jurai) on 127.0.0.1, each with its device simulator.
# First run: builds, creates the district CA, office certificates and demo operators, and writes
# REKAM_DEMO_HARI days (default 90) of past visits at every office through the desks' own
# operations (`rekam-agent demo-riwayat`), so the dashboard has months of history to show.
# Ctrl-C stops everything cleanly; a second run resumes with the same data.
#
#   deploy/demo.sh                 # data in ./rekam-demo
#   REKAM_DEMO_DIR=/tmp/x deploy/demo.sh
#   REKAM_DEMO_BUILD=0 deploy/demo.sh   # skip `cargo build` (binaries already built)
#   REKAM_DEMO_PROFILE=debug deploy/demo.sh   # debug binaries (the CI test uses this)
#   REKAM_DEMO_HARI=7 deploy/demo.sh     # a shorter history (first run only)
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=${REKAM_DEMO_DIR:-rekam-demo}
PROFILE=${REKAM_DEMO_PROFILE:-release}
PASSWORD=${REKAM_DEMO_PASSWORD:-rekam-demo}
HUB_ADDR=127.0.0.1:8443
WEB_ADDR=127.0.0.1:8444
# kecamatan:desk port:device simulator port:name
OFFICES=("130101:8081:4501:Pancung Soal" "130103:8083:4503:Lengayang" "130105:8082:4502:IV Jurai")
HARI=${REKAM_DEMO_HARI:-90}

if [ "${REKAM_DEMO_BUILD:-1}" = 1 ]; then
  if [ "$PROFILE" = release ]; then
    cargo build --release -p rekam-hub -p rekam-agent
  else
    cargo build -p rekam-hub -p rekam-agent
  fi
fi
BIN=target/$PROFILE
# The binaries (REKAM_HUB_BIN / REKAM_AGENT_BIN override them, as in the end-to-end tests).
HUB=${REKAM_HUB_BIN:-$BIN/rekam-hub}
AGENT=${REKAM_AGENT_BIN:-$BIN/rekam-agent}
mkdir -p "$DIR"

if [ ! -f "$DIR/pki/ca.crt" ]; then
  "$HUB" pki init --dir "$DIR/pki"
fi
if [ ! -f "$DIR/pki/dashboard.crt" ]; then
  "$HUB" pki issue-dashboard --dir "$DIR/pki"
fi
# District staff of the dashboard: an administrator, an adjudicator, a viewer.
if [ ! -f "$DIR/.pengguna" ]; then
  for u in "admin:admin" "adjudikator:pengadjudikasi" "pemantau:viewer"; do
    printf '%s\n' "$PASSWORD" | "$HUB" user --data "$DIR/hub" add "${u%%:*}" \
      --role "${u#*:}" --password-stdin
  done
  touch "$DIR/.pengguna"
fi

for o in "${OFFICES[@]}"; do
  IFS=: read -r k port simport name <<<"$o"
  od="$DIR/kantor-$k"
  mkdir -p "$od/data"
  if [ ! -f "$od/tls/office.crt" ]; then
    "$HUB" pki issue-agent --dir "$DIR/pki" --kecamatan "$k" --out "$od/tls"
  fi
  if [ ! -f "$od/.operators" ]; then
    for u in "reg:operator-registrasi" "rek:operator-perekaman" "kepala:kepala-ukl"; do
      printf '%s' "$PASSWORD" | "$AGENT" user add --data "$od/data" \
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
max_backoff_ms = 4000
TOML
done

# The demo's ports must be free: a demo still running (or anything else on them) would answer
# in this one's place.
for p in "${HUB_ADDR##*:}" "${WEB_ADDR##*:}" $(for o in "${OFFICES[@]}"; do IFS=: read -r _ a b _ <<<"$o"; echo "$a $b"; done); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    echo "port $p on 127.0.0.1 is in use (another demo still running?): stop it first" >&2
    exit 1
  fi
done
# The population register: a synthetic extract of the demo's kecamatan (rekam-hub penduduk
# contoh), holding the demo residents of deploy/demo-seed.sh too (generated rows with one of their
# NIKs dropped), imported once before the offices start; they download it at their first sync.
if [ ! -f "$DIR/.register" ]; then
  kecs=$(printf '%s\n' "${OFFICES[@]}" | cut -d: -f1 | paste -sd, -)
  demo=$(for o in "${OFFICES[@]}"; do deploy/demo-seed.sh --register "${o%%:*}"; done)
  "$HUB" penduduk contoh --kecamatan "$kecs" --jumlah 6000 --seed 1 |
    grep -v -F -f <(printf '%s\n' "$demo" | cut -d, -f1 | sed 's/$/,/') >"$DIR/register.csv"
  printf '%s\n' "$demo" >>"$DIR/register.csv"
  "$HUB" penduduk import "$DIR/register.csv" --data "$DIR/hub" --oleh demo >/dev/null
  touch "$DIR/.register"
fi

pids=()
# Stops every process the demo started: on Ctrl-C / TERM (exit 0), and on any failure of the
# script itself (its exit status kept), so nothing is left running behind it.
halt() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait
}
stop() {
  trap - INT TERM EXIT
  echo
  echo "stopping..."
  halt
  echo "stopped; run again to resume"
  exit 0
}
gagal() {
  local rc=$?
  trap - INT TERM EXIT
  if [ "${#pids[@]}" -gt 0 ]; then
    echo "demo failed (exit $rc): stopping what it started" >&2
    halt
  fi
  exit "$rc"
}
trap stop INT TERM
trap gagal EXIT

for o in "${OFFICES[@]}"; do
  IFS=: read -r k port simport name <<<"$o"
  od="$DIR/kantor-$k"
  "$AGENT" device-sim --listen "127.0.0.1:$simport" 2>>"$od/sim.log" >/dev/null &
  pids+=($!)
done
# Past visits, written on an office's first run before it serves (the history takes the
# office's data folder; the device simulator captures every visit's biometrics).
for o in "${OFFICES[@]}"; do
  IFS=: read -r k port simport name <<<"$o"
  od="$DIR/kantor-$k"
  [ -f "$od/.riwayat" ] && continue
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$simport/sbi/discover" >/dev/null 2>&1 && break
    sleep 0.1
  done
  echo "kecamatan $k $name: writing $HARI days of demo history..."
  "$AGENT" demo-riwayat --config "$od/rekam-agent.toml" --hari "$HARI" \
    --seed "$k" 2>>"$od/agent.log" ||
    { echo "demo history of kecamatan $k failed: see $od/agent.log" >&2; exit 1; }
  touch "$od/.riwayat"
done
for o in "${OFFICES[@]}"; do
  IFS=: read -r k port simport name <<<"$o"
  od="$DIR/kantor-$k"
  "$AGENT" serve --config "$od/rekam-agent.toml" 2>>"$od/agent.log" >/dev/null &
  pids+=($!)
done

# Wait until every office answers, then enter the demo residents on an office's first run.
# (The demo's offices are offline until the hub starts below.)
for o in "${OFFICES[@]}"; do
  IFS=: read -r k port simport name <<<"$o"
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/api/health" >/dev/null 2>&1 && break
    sleep 0.2
  done
  curl -sf "http://127.0.0.1:$port/api/health" >/dev/null ||
    { echo "kecamatan $k did not start: see $DIR/kantor-$k/agent.log" >&2; exit 1; }
  if [ ! -f "$DIR/kantor-$k/.seeded" ]; then
    deploy/demo-seed.sh "$k" "http://127.0.0.1:$port" "http://127.0.0.1:$simport" "$PASSWORD"
    touch "$DIR/kantor-$k/.seeded"
  fi
done
# The hub last: the offices recorded their residents offline (as on a bad line), so the
# resident who went to every office (Rahmat Hidayat) reaches the district only as a planted
# duplicate for the hub's dedup and the adjudicators, not through the desks' district index.
"$HUB" serve --data "$DIR/hub" --pki "$DIR/pki" --listen "$HUB_ADDR" \
  --web-listen "$WEB_ADDR" \
  2>>"$DIR/hub.log" >/dev/null &
pids+=($!)
for _ in $(seq 150); do
  curl -sf --cacert "$DIR/pki/ca.crt" "https://$WEB_ADDR/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -sf --cacert "$DIR/pki/ca.crt" "https://$WEB_ADDR/healthz" >/dev/null ||
  { echo "the hub did not start: see $DIR/hub.log" >&2; exit 1; }
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
echo "  sync:   $AGENT sync status --data $DIR/kantor-130101/data"
echo "  dedup:  Rahmat Hidayat was recorded in all three kecamatan (same irises and fingers, two NIKs):"
echo "          after the offices sync, one application's page shows 'Keputusan kabupaten: DUPLIKAT'"
echo "  decide: $HUB decide --data $DIR/hub --permohonan ID --hasil unik   # a person's decision"
echo "Ctrl-C stops everything."
wait
