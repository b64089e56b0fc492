//! `rekam-hub dedup explain ID`: why an application got its dedup decision.
//!
//! Builds the district index from storage as the hub does at start (read-only: nothing is
//! decided), takes the application out of it, and compares it again with the same search: the
//! stored decision (kind, status, who, when, basis), whether its NIK or biometrics changed since,
//! the samples compared and those that could not be used, the thresholds, and the candidates with
//! their fused score and per-finger and per-eye scores. What the engine would decide now is
//! shown next to the stored decision (they differ if thresholds or the district changed).
//!
//! NIKs are personal data: an explanation is a deliberate look at one resident, so every call is
//! audited (`dedup.explain`: who looked at which application, and which candidates were shown).
//! Nothing is logged of NIKs or templates.

use serde::Serialize;

use rekam_shared::bio::fusion::Verdict;
use rekam_shared::bio::gallery::GalleryConfig;
use rekam_shared::bio::iris::Eye;
use rekam_shared::bio::iso::FingerPosition;
use rekam_shared::document::Keputusan;

use super::{Dedup, DedupError, Index, changed_since};
use crate::storage::{AuditEntry, Storage};

/// Candidates shown besides those named by the decision.
pub const KANDIDAT: usize = 5;

/// The explanation of one decision.
#[derive(Debug, Clone, Serialize)]
pub struct Penjelasan {
    /// Application id.
    pub permohonan: String,
    /// Its NIK (personal data: the call is audited).
    pub nik: Option<String>,
    /// The stored decision, if any.
    pub keputusan: Option<Keputusan>,
    /// The basis of the application now ([`crate::sync::dasar_of`]).
    pub dasar_sekarang: Option<String>,
    /// Whether the NIK or biometrics changed since the decision (it is then re-opened).
    pub dasar_berubah: bool,
    /// Whether the office recorded it (step 3 succeeded).
    pub terekam: bool,
    /// The thresholds compared with.
    pub ambang: Ambang,
    /// Samples compared.
    pub sampel: Sampel,
    /// Samples present but unusable (named, never their contents).
    pub tidak_terbaca: Vec<String>,
    /// Why the engine cannot decide it by itself, if it cannot.
    pub masalah: Option<String>,
    /// Recordings searched (the district without this one).
    pub dicari_di: usize,
    /// Other applications with the same NIK.
    pub nik_sama: Vec<String>,
    /// Candidates, best first: the top [`KANDIDAT`] and every one the decision names.
    pub kandidat: Vec<Kandidat>,
    /// What the engine would decide now with these thresholds.
    pub sekarang: Sekarang,
}

/// The thresholds of an explanation.
#[derive(Debug, Clone, Serialize)]
pub struct Ambang {
    /// Fused score (-log10 false match rate) at or above which it is a match.
    pub cocok: f64,
    /// ... at or above which it is a possible match (a case for a person).
    pub mungkin_cocok: f64,
    /// Iris distance at or beyond which (on every shared eye) fingers are not compared.
    pub prafilter_iris: f64,
    /// Iris rotations tried each way.
    pub rotasi_iris: usize,
}

/// The samples of an application that were compared.
#[derive(Debug, Clone, Serialize)]
pub struct Sampel {
    /// Eyes (`kanan`, `kiri`).
    pub iris: Vec<&'static str>,
    /// Fingers by position name.
    pub sidik_jari: Vec<&'static str>,
}

/// One candidate.
#[derive(Debug, Clone, Serialize)]
pub struct Kandidat {
    /// Application id.
    pub permohonan: String,
    /// Its NIK.
    pub nik: Option<String>,
    /// Same NIK as the explained application.
    pub nik_sama: bool,
    /// Named in the stored decision's `duplikat_dari`.
    pub disebut_keputusan: bool,
    /// Fused score.
    pub skor: f64,
    /// `cocok`, `mungkin_cocok` or `tidak_cocok`.
    pub putusan: &'static str,
    /// Comparisons fused.
    pub perbandingan: usize,
    /// Per eye both have.
    pub iris: Vec<SkorIris>,
    /// Per finger both have.
    pub sidik_jari: Vec<SkorJari>,
    /// The irises clearly differed, so the fingers were not compared.
    pub sidik_jari_dilewati: bool,
}

/// One eye of a candidate.
#[derive(Debug, Clone, Serialize)]
pub struct SkorIris {
    /// `kanan` or `kiri`.
    pub mata: &'static str,
    /// Hamming distance (0 identical, ~0.5 unrelated).
    pub jarak: f64,
    /// -log10 of its false match rate.
    pub skor: f64,
}

/// One finger of a candidate.
#[derive(Debug, Clone, Serialize)]
pub struct SkorJari {
    /// Position name.
    pub jari: &'static str,
    /// Matcher score.
    pub skor_pencocok: f32,
    /// -log10 of its false match rate.
    pub skor: f64,
}

/// What the engine would decide now.
#[derive(Debug, Clone, Serialize)]
pub struct Sekarang {
    /// Outcome.
    pub hasil: &'static str,
    /// Kind, if any.
    pub jenis: Option<&'static str>,
    /// Applications named.
    pub duplikat_dari: Vec<String>,
    /// Note.
    pub catatan: String,
}

fn putusan(v: Verdict) -> &'static str {
    match v {
        Verdict::Match => "cocok",
        Verdict::PossibleMatch => "mungkin_cocok",
        Verdict::NoMatch => "tidak_cocok",
    }
}

const MATA: [(Eye, &str); 2] = [(Eye::Right, "kanan"), (Eye::Left, "kiri")];

fn ambang(c: &GalleryConfig) -> Ambang {
    Ambang {
        cocok: c.fusion.match_threshold,
        mungkin_cocok: c.fusion.possible_threshold,
        prafilter_iris: c.iris_prefilter_hd,
        rotasi_iris: c.iris_rotations,
    }
}

impl Dedup {
    /// Explains application `id` (see the module documentation) and audits the look as
    /// `oleh`. `None` if there is no such application, or it is neither recorded nor decided.
    pub fn explain(
        &self,
        storage: &dyn Storage,
        id: &str,
        oleh: &str,
    ) -> Result<Option<Penjelasan>, DedupError> {
        let Some(subject) = self.subject(storage, id, None)? else {
            return Ok(None);
        };
        let mut index = Index {
            gallery: rekam_shared::bio::gallery::Gallery::new(self.config()),
            by_nik: Default::default(),
            indexed: Default::default(),
            complete: false,
        };
        self.fill(&mut index, storage)?;
        index.remove(id);
        let cfg = index.gallery.config().clone();
        let sekarang = index.decide(&subject);
        let nik_sama: Vec<String> = subject
            .nik
            .as_ref()
            .and_then(|n| index.by_nik.get(n))
            .cloned()
            .unwrap_or_default();
        let disebut: Vec<String> = subject
            .keputusan
            .as_ref()
            .map(|k| k.duplikat_dari.clone())
            .unwrap_or_default();
        let mut ids: Vec<String> = index
            .gallery
            .search(&subject.person, KANDIDAT)
            .into_iter()
            .map(|c| c.id)
            .collect();
        for d in disebut.iter().chain(&nik_sama) {
            if !ids.contains(d) {
                ids.push(d.clone());
            }
        }
        let mut kandidat = Vec::new();
        for cid in ids {
            let nik = storage
                .load_doc(&cid)?
                .and_then(|s| crate::sync::load_for_hub(&s.bytes).ok())
                .and_then(|d| crate::sync::nik_of(&d));
            let e = index.gallery.explain(&subject.person, &cid);
            let (mut iris, mut sidik_jari) = (Vec::new(), Vec::new());
            if let Some(e) = &e {
                for (eye, mata) in MATA {
                    if let Some(hd) = e.scores.irises[eye as usize] {
                        iris.push(SkorIris {
                            mata,
                            jarak: hd,
                            skor: -cfg.fusion.iris_log10_fmr(hd),
                        });
                    }
                }
                for f in FingerPosition::TEN {
                    if let Some(s) = e.scores.fingers[f.code() as usize - 1] {
                        sidik_jari.push(SkorJari {
                            jari: f.name().unwrap_or("?"),
                            skor_pencocok: s,
                            skor: -cfg.fusion.finger.log10_fmr(f64::from(s)),
                        });
                    }
                }
            }
            kandidat.push(Kandidat {
                nik_sama: nik.is_some() && nik == subject.nik,
                nik,
                disebut_keputusan: disebut.contains(&cid),
                skor: e.as_ref().map_or(0.0, |e| e.decision.score),
                putusan: e
                    .as_ref()
                    .map_or("tidak_dibandingkan", |e| putusan(e.decision.verdict)),
                perbandingan: e.as_ref().map_or(0, |e| e.decision.comparisons),
                sidik_jari_dilewati: e.as_ref().is_some_and(|e| e.fingers_skipped),
                iris,
                sidik_jari,
                permohonan: cid,
            });
        }
        kandidat.sort_by(|a, b| b.skor.total_cmp(&a.skor));
        let penjelasan = Penjelasan {
            permohonan: id.to_owned(),
            nik: subject.nik.clone(),
            dasar_berubah: subject
                .keputusan
                .as_ref()
                .is_some_and(|k| changed_since(k, &subject)),
            keputusan: subject.keputusan.clone(),
            dasar_sekarang: subject.dasar.clone(),
            terekam: subject.recorded,
            ambang: ambang(&cfg),
            sampel: Sampel {
                iris: MATA
                    .iter()
                    .filter(|(e, _)| subject.person.iris(*e).is_some())
                    .map(|(_, m)| *m)
                    .collect(),
                sidik_jari: FingerPosition::TEN
                    .into_iter()
                    .filter(|f| subject.person.finger(*f).is_some())
                    .filter_map(|f| f.name())
                    .collect(),
            },
            tidak_terbaca: subject.tidak_terbaca.clone(),
            masalah: subject.masalah.as_ref().map(|(_, why)| why.clone()),
            dicari_di: index.gallery.len(),
            nik_sama,
            sekarang: Sekarang {
                hasil: sekarang.hasil.as_str(),
                jenis: sekarang.jenis.map(|j| j.as_str()),
                duplikat_dari: sekarang.duplikat_dari,
                catatan: sekarang.catatan,
            },
            kandidat,
        };
        let shown: Vec<&str> = penjelasan
            .kandidat
            .iter()
            .map(|k| k.permohonan.as_str())
            .collect();
        storage.transaction(&mut |tx| {
            tx.audit(&AuditEntry {
                at: chrono::Utc::now().to_rfc3339(),
                actor: oleh.to_owned(),
                action: "dedup.explain".into(),
                permohonan_id: Some(id.to_owned()),
                detail: format!("kandidat ditampilkan: {}", shown.join(", ")),
            })
        })?;
        Ok(Some(penjelasan))
    }
}

impl Penjelasan {
    /// The explanation for a person to read (Indonesian).
    pub fn teks(&self) -> String {
        use std::fmt::Write as _;
        let mut o = String::new();
        let _ = writeln!(o, "Permohonan {}", self.permohonan);
        let _ = writeln!(o, "  NIK            {}", self.nik.as_deref().unwrap_or("-"));
        let _ = writeln!(
            o,
            "  terekam        {}",
            if self.terekam { "ya" } else { "belum" }
        );
        match &self.keputusan {
            Some(k) => {
                let _ = writeln!(o, "Keputusan");
                let _ = writeln!(o, "  hasil          {}", k.hasil.label());
                let _ = writeln!(o, "  jenis          {}", k.jenis.map_or("-", |j| j.label()));
                let _ = writeln!(o, "  oleh           {}", k.oleh);
                let _ = writeln!(o, "  waktu          {}", k.waktu.to_rfc3339());
                let _ = writeln!(o, "  catatan        {}", k.catatan);
                if !k.duplikat_dari.is_empty() {
                    let _ = writeln!(o, "  duplikat dari  {}", k.duplikat_dari.join(", "));
                }
                let _ = writeln!(o, "  dasar          {}", k.dasar.as_deref().unwrap_or("-"));
                if self.dasar_berubah {
                    let _ = writeln!(
                        o,
                        "  PERHATIAN: NIK atau biometrik berubah sejak keputusan ini (dasar sekarang {})",
                        self.dasar_sekarang.as_deref().unwrap_or("-")
                    );
                }
            }
            None => {
                let _ = writeln!(o, "Keputusan      belum ada");
            }
        }
        let a = &self.ambang;
        let _ = writeln!(
            o,
            "Ambang           cocok >= {}, mungkin cocok >= {} (skor = -log10 peluang cocok palsu); prafilter iris {}, rotasi {}",
            a.cocok, a.mungkin_cocok, a.prafilter_iris, a.rotasi_iris
        );
        let daftar = |v: &[&str]| {
            if v.is_empty() {
                "-".to_owned()
            } else {
                v.join(", ")
            }
        };
        let _ = writeln!(
            o,
            "Sampel dibandingkan: iris {}; sidik jari {}",
            daftar(&self.sampel.iris),
            daftar(&self.sampel.sidik_jari)
        );
        if !self.tidak_terbaca.is_empty() {
            let _ = writeln!(o, "Tidak dapat dipakai: {}", self.tidak_terbaca.join(", "));
        }
        if let Some(m) = &self.masalah {
            let _ = writeln!(o, "Tidak dapat diputuskan mesin: {m}");
        }
        if !self.nik_sama.is_empty() {
            let _ = writeln!(o, "NIK sama dengan: {}", self.nik_sama.join(", "));
        }
        let _ = writeln!(
            o,
            "Kandidat (dicari di {} perekaman kabupaten)",
            self.dicari_di
        );
        if self.kandidat.is_empty() {
            let _ = writeln!(o, "  tidak ada");
        }
        for k in &self.kandidat {
            let mut tanda = Vec::new();
            if k.nik_sama {
                tanda.push("NIK sama");
            }
            if k.disebut_keputusan {
                tanda.push("disebut keputusan");
            }
            let _ = writeln!(
                o,
                "  {}  NIK {}  skor {:.2}  {}  ({} perbandingan){}",
                k.permohonan,
                k.nik.as_deref().unwrap_or("-"),
                k.skor,
                k.putusan.replace('_', " "),
                k.perbandingan,
                if tanda.is_empty() {
                    String::new()
                } else {
                    format!("  [{}]", tanda.join(", "))
                }
            );
            for i in &k.iris {
                let _ = writeln!(
                    o,
                    "      iris {:<5}  jarak {:.3}  skor {:.2}",
                    i.mata, i.jarak, i.skor
                );
            }
            for j in &k.sidik_jari {
                let _ = writeln!(
                    o,
                    "      jari {:<13} skor pencocok {:.2}  skor {:.2}",
                    j.jari, j.skor_pencocok, j.skor
                );
            }
            if k.sidik_jari_dilewati {
                let _ = writeln!(o, "      sidik jari tidak dibandingkan: iris jelas berbeda");
            }
        }
        let s = &self.sekarang;
        let _ = writeln!(
            o,
            "Bila diputuskan sekarang: {}{} — {}",
            s.hasil,
            s.jenis.map(|j| format!(" ({j})")).unwrap_or_default(),
            s.catatan
        );
        o
    }
}
