#!/usr/bin/env bash
# Demo residents for one running office, entered through the desk JSON API exactly as the desks
# do it (login, SOP steps 1-4). Called by deploy/demo.sh on an office's first run.
#
#   deploy/demo-seed.sh KECAMATAN DESK_URL DEVICE_URL PASSWORD
#   deploy/demo-seed.sh --register KECAMATAN   # these residents as register extract lines
#
# Per office: 3 residents recorded and handed over, 1 recorded and waiting for hand-over,
# 1 in the recording queue, 1 whose documents were returned (incomplete), 1 under 17 and never
# married (returned: not eligible). The first resident has the same irises and fingers at every
# office (simulator subject 4242) under a NIK of that office: one person recorded in two
# kecamatan, which the hub's district dedup marks DUPLIKAT at the office that synced later.
set -euo pipefail

names=("Rahmat Hidayat" "Siti Rahmawati" "Yusuf Efendi" "Nurhayati" "Andi Saputra" "Dewi Kartika" "Fajar Ramadhan")
births=("1990-05-11" "1985-08-22" "2001-01-03" "1978-12-30" "1996-03-15" "1999-07-07" "2012-02-14")
sexes=(laki_laki perempuan laki_laki perempuan laki_laki perempuan laki_laki)
married=(kawin kawin belum_kawin cerai_mati belum_kawin kawin belum_kawin)

# The NIK of resident i (0-based) of kecamatan $k: region, birth date (+40 for women), serial.
nik_of() {
  local i=$1 d m y dd
  IFS=- read -r y m d <<<"${births[$i]}"
  dd=$((10#$d))
  [ "${sexes[$i]}" = perempuan ] && dd=$((dd + 40))
  printf '%s%02d%s%s%04d' "$k" "$dd" "$m" "${y:2:2}" $((i + 1))
}

# `--register K`: the residents as lines of a register extract (the import format of
# docs/population-register.md, columns as `rekam-hub penduduk contoh` writes them), so that the
# demo's register holds them and the desks fill them from it.
if [ "${1:-}" = --register ]; then
  k=$2
  for i in "${!names[@]}"; do
    jk=LAKI-LAKI
    [ "${sexes[$i]}" = perempuan ] && jk=PEREMPUAN
    kawin=$(printf '%s' "${married[$i]}" | tr '_a-z' ' A-Z')
    printf '%s,%s1503190%03d,%s,Painan,%s,%s,%s,ISLAM,WIRASWASTA,Jl. Pantai Carocok No. %d,001,002,Painan,%s,AKTIF\n' \
      "$(nik_of "$i")" "$k" $((i + 1)) "${names[$i]}" "${births[$i]}" \
      "$jk" "$kawin" $((i + 3)) "$k"
  done
  exit 0
fi

k=$1 desk=$2 dev=$3 password=$4

die() { echo "demo-seed: $*" >&2; exit 1; }

# POST a JSON body with a token; print the response body; fail with the API's error message.
post() {
  local token=$1 path=$2 body=$3 out status
  out=$(curl -sS -w '\n%{http_code}' -X POST "$desk$path" \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "$body") ||
    die "$path: no answer from $desk"
  status=${out##*$'\n'}
  out=${out%$'\n'*}
  [[ $status == 2* ]] || die "$path: HTTP $status: $out"
  printf '%s' "$out"
}

field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }

login() {
  curl -sS -X POST "$desk/api/login" -H 'Content-Type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"$password\"}" | field token
}

reg=$(login reg)
rek=$(login rek)
[ -n "$reg" ] && [ -n "$rek" ] || die "cannot log in the demo operators at $desk"

# Every application at the device simulator is a different person (subject 0 = automatic).
curl -sS -X POST "$dev/sim/subjek" -H 'Content-Type: application/json' -d '{"subjek":0}' >/dev/null
# (subject() below sets one explicitly.)

# Application for resident i (0-based); prints its id.
open_application() {
  local i=$1 nik body
  nik=$(nik_of "$i")
  body=$(printf '{"penduduk":{"nik":"%s","no_kk":"%s1503190%03d","nama":"%s","tempat_lahir":"Painan","tanggal_lahir":"%s","jenis_kelamin":"%s","status_perkawinan":"%s","alamat":"Jl. Pantai Carocok No. %d","rt":"001","rw":"002","nagari":"Painan","kecamatan":"%s"}}' \
    "$nik" "$k" $((i + 1)) "${names[$i]}" "${births[$i]}" "${sexes[$i]}" "${married[$i]}" $((i + 3)) "$k")
  post "$reg" /api/permohonan "$body" | field id
}

berkas='{"berkas":["hadir_sendiri","kk"]}'

# Steps 1-2 up to the queue number.
queue() {
  local id=$1
  post "$reg" "/api/permohonan/$id/terima-berkas" "$berkas" >/dev/null
  post "$reg" "/api/permohonan/$id/periksa-berkas" "$berkas" >/dev/null
  post "$reg" "/api/permohonan/$id/cek-biometrik" '{}' >/dev/null
}

# Step 3: call, capture everything, proof of recording.
record() {
  local id=$1 m
  post "$rek" "/api/permohonan/$id/panggil" '{"loket":"1"}' >/dev/null
  for m in sidik-jari iris foto tanda-tangan; do
    post "$rek" "/api/permohonan/$id/rekam/$m" '{}' >/dev/null
  done
  post "$rek" "/api/permohonan/$id/berhasil" '{}' >/dev/null
}

subject() {
  curl -sS -X POST "$dev/sim/subjek" -H 'Content-Type: application/json' -d "{\"subjek\":$1}" >/dev/null
}

for i in 0 1 2; do
  id=$(open_application "$i")
  [ "$i" = 0 ] && subject 4242
  queue "$id"
  record "$id"
  [ "$i" = 0 ] && subject 0
  post "$rek" "/api/permohonan/$id/serahkan" '{}' >/dev/null
done

id=$(open_application 3)
queue "$id"
record "$id"

id=$(open_application 4)
queue "$id"

id=$(open_application 5)
post "$reg" "/api/permohonan/$id/tolak" \
  '{"alasan":"berkas_tidak_lengkap","keterangan":"Kartu Keluarga tidak dibawa"}' >/dev/null

id=$(open_application 6)
post "$reg" "/api/permohonan/$id/tolak" '{"alasan":"belum_memenuhi_syarat"}' >/dev/null

echo "  kecamatan $k: 7 demo residents entered (3 handed over, 1 waiting for hand-over, 1 in the queue, 2 returned; Rahmat Hidayat's biometrics are the same in every office)"
