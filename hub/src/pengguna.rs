//! Pengguna (district staff users of the dashboard): roles, the password rule and argon2id
//! hashing. Stored through [`crate::storage::PenggunaStorage`]; administered with
//! `rekam-hub user ...` ([`crate::user_cli`]) and used by the web login ([`crate::web`]).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// Peran (role) of a dashboard user, ordered: each role may do everything the roles below it
/// may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Peran {
    /// Sees the pages (and, audited, residents' data); decides nothing.
    Viewer,
    /// Pengadjudikasi (adjudicator): decides dedup cases.
    Pengadjudikasi,
    /// Administrator.
    Admin,
}

impl Peran {
    /// Every role, lowest first.
    pub const ALL: [Peran; 3] = [Peran::Viewer, Peran::Pengadjudikasi, Peran::Admin];

    /// The stored (and command-line) name.
    pub fn as_str(self) -> &'static str {
        match self {
            Peran::Viewer => "viewer",
            Peran::Pengadjudikasi => "pengadjudikasi",
            Peran::Admin => "admin",
        }
    }

    /// From the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 10;
/// Longest password accepted (argon2 takes any length; this bounds the work per login).
pub const MAX_PASSWORD: usize = 256;

/// Why a password is refused, in the operator's words.
pub fn periksa_password(password: &str, nama: &str) -> Result<(), String> {
    let n = password.chars().count();
    if password.trim().is_empty() {
        return Err("kata sandi tidak boleh kosong".into());
    }
    if n < MIN_PASSWORD {
        return Err(format!(
            "kata sandi terlalu pendek: minimal {MIN_PASSWORD} karakter"
        ));
    }
    if n > MAX_PASSWORD {
        return Err(format!(
            "kata sandi terlalu panjang: maksimal {MAX_PASSWORD} karakter"
        ));
    }
    let lower = password.to_lowercase();
    if !nama.is_empty() && lower.contains(&nama.to_lowercase()) {
        return Err("kata sandi tidak boleh memuat nama pengguna".into());
    }
    let mut kinds = 0;
    if password.chars().any(|c| c.is_lowercase()) {
        kinds += 1;
    }
    if password.chars().any(|c| c.is_uppercase()) {
        kinds += 1;
    }
    if password.chars().any(|c| c.is_ascii_digit()) {
        kinds += 1;
    }
    if password.chars().any(|c| !c.is_alphanumeric()) {
        kinds += 1;
    }
    let distinct: std::collections::HashSet<char> = password.chars().collect();
    if kinds < 2 || distinct.len() < 5 {
        return Err(
            "kata sandi terlalu lemah: pakai campuran huruf besar, huruf kecil, angka atau tanda baca"
                .into(),
        );
    }
    Ok(())
}

/// Whether a user name is acceptable: 2 to 64 of `a-z 0-9 . _ -`, starting with a letter.
pub fn periksa_nama(nama: &str) -> Result<(), String> {
    let ok = (2..=64).contains(&nama.len())
        && nama.starts_with(|c: char| c.is_ascii_lowercase())
        && nama
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "nama pengguna {nama:?} tidak sah: 2-64 karakter a-z, 0-9, titik, garis bawah atau tanda hubung, diawali huruf"
        ))
    }
}

fn argon2() -> Argon2<'static> {
    // OWASP's argon2id setting (19 MiB, 2 passes, 1 lane).
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The argon2id PHC string of `password` with a fresh random salt.
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing of a bounded password")
        .to_string()
}

/// Whether `password` matches the stored PHC string (false for a malformed one).
pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(h) => argon2().verify_password(password.as_bytes(), &h).is_ok(),
        Err(_) => false,
    }
}

/// A hash to verify against when the user does not exist, so that an unknown name takes as
/// long as a wrong password.
pub fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash_password("tidak-ada-pengguna-Ini-0"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_passwords_are_refused_with_a_reason() {
        assert!(periksa_password("", "ani").unwrap_err().contains("kosong"));
        assert!(
            periksa_password("Ab1", "ani")
                .unwrap_err()
                .contains("pendek")
        );
        assert!(
            periksa_password("aaaaaaaaaaaa", "ani")
                .unwrap_err()
                .contains("lemah")
        );
        assert!(
            periksa_password("Ani-Sekali-1", "ani")
                .unwrap_err()
                .contains("nama")
        );
        assert!(periksa_password("Kuat-Sekali-42", "ani").is_ok());
    }

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let h = hash_password("Kuat-Sekali-42");
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("Kuat-Sekali-42", &h));
        assert!(!verify_password("Kuat-Sekali-43", &h));
        assert!(!verify_password("Kuat-Sekali-42", "bukan-hash"));
    }

    #[test]
    fn roles_are_ordered_and_round_trip() {
        assert!(Peran::Viewer < Peran::Pengadjudikasi && Peran::Pengadjudikasi < Peran::Admin);
        for p in Peran::ALL {
            assert_eq!(Peran::parse(p.as_str()), Some(p));
        }
        assert_eq!(Peran::parse("root"), None);
        assert!(periksa_nama("budi.s").is_ok());
        assert!(periksa_nama("Budi").is_err());
    }
}
