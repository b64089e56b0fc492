//! Contoh (examples): the events of a visit that goes through the SOP without a hitch. Tests,
//! benchmarks and demo data build their histories from this one list, so that what a smooth
//! visit is stays written once (and stays valid when the state machine's rules change).

use chrono::{DateTime, TimeDelta, Utc};

use super::{Aksi, Kelengkapan, NomorAntrian, Peran, Peristiwa};

/// The seven events of a smooth visit, one minute apart from `mulai`, each by the role the SOP
/// gives it: opened, documents received and correct, queue number `nomor_antrian` (all by the
/// registration operator `registrasi`), called, recorded with proof `nomor_bukti`, handed over
/// (by the recording operator `perekaman`). Callers that need a visit stopped earlier take a
/// prefix (`truncate(n)`); the "perekaman berhasil" event carries a complete
/// [`Kelengkapan`] (every modality captured at quality 80), as today's rules demand.
pub fn kunjungan_lancar(
    mulai: DateTime<Utc>,
    registrasi: &str,
    perekaman: &str,
    nomor_antrian: u32,
    nomor_bukti: &str,
) -> Vec<Peristiwa> {
    let (reg, rek) = (Peran::OperatorRegistrasi, Peran::OperatorPerekaman);
    let at = |menit: i64| mulai + TimeDelta::minutes(menit);
    vec![
        Peristiwa::new(at(0), registrasi, reg, Aksi::PermohonanDibuat),
        Peristiwa::new(at(1), registrasi, reg, Aksi::BerkasDiterima),
        Peristiwa::new(at(2), registrasi, reg, Aksi::BerkasBenar),
        Peristiwa::new(
            at(3),
            registrasi,
            reg,
            Aksi::NomorAntrianDiberikan {
                nomor_antrian: NomorAntrian(nomor_antrian),
            },
        ),
        Peristiwa::new(at(4), perekaman, rek, Aksi::Dipanggil),
        Peristiwa::new(
            at(5),
            perekaman,
            rek,
            Aksi::PerekamanBerhasil {
                nomor_bukti: nomor_bukti.to_string(),
            },
        )
        .dengan_kelengkapan(Kelengkapan::semua_terekam(80)),
        Peristiwa::new(at(6), perekaman, rek, Aksi::DiterimaPenduduk),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::{Keadaan, apply};

    #[test]
    fn a_smooth_visit_passes_the_strict_rules_and_its_prefixes_stop_where_they_end() {
        let mulai = DateTime::from_timestamp(1_795_000_000, 0).unwrap();
        let semua = kunjungan_lancar(mulai, "rina", "budi", 7, "TBP-001");
        assert_eq!(semua.len(), 7);
        let akhir = |n: usize| {
            let mut k = Keadaan::awal();
            for p in semua.iter().take(n) {
                k = apply(&k, p).expect("the smooth visit follows today's SOP rules");
            }
            k.status.nama()
        };
        assert_eq!(akhir(4), "menunggu_perekaman");
        assert_eq!(akhir(6), "terekam");
        assert_eq!(akhir(7), "diserahkan");
    }
}
