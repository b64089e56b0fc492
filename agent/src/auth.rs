//! Operators, passwords (argon2id) and login sessions.
//!
//! Passwords are hashed with argon2id (PHC string in `operator.password_hash`). A login makes a
//! random 256-bit token, sent to the browser as an HttpOnly cookie (or used as a Bearer token
//! by API clients); only its SHA-256 is stored, with an expiry. Disabling an operator ends
//! their sessions at once. Roles are the SOP's roles from the shared workflow.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::peran::Peran;

/// Authentication failures, each naming its reason.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("username must be 3-32 characters of a-z, 0-9, '.', '_' or '-'")]
    BadUsername,
    #[error("password must be at least 8 characters")]
    WeakPassword,
    #[error("username {0} already exists")]
    UsernameTaken(String),
    #[error("no operator named {0}")]
    NoSuchOperator(String),
    #[error("wrong username or password")]
    BadCredentials,
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
}

impl From<rusqlite::Error> for AuthError {
    fn from(e: rusqlite::Error) -> Self {
        AuthError::Db(e.into())
    }
}

/// A password in memory; its Debug output is redacted.
#[derive(Clone)]
pub struct Password(pub String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A logged-in (or listed) operator.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Operator {
    pub id: i64,
    pub username: String,
    pub peran: Peran,
}

/// A new session's secret token; Debug is redacted.
#[derive(Clone)]
pub struct SessionToken(pub String);

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(***)")
    }
}

fn valid_username(u: &str) -> bool {
    (3..=32).contains(&u.len())
        && u.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}

/// Hashes a password with argon2id and a random salt (CPU-heavy: call off the async threads).
pub fn hash_password(pw: &Password) -> Result<String, AuthError> {
    if pw.0.chars().count() < 8 {
        return Err(AuthError::WeakPassword);
    }
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default()
        .hash_password(pw.0.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hash(e.to_string()))
}

/// Checks a password against a stored PHC hash (CPU-heavy).
pub fn verify_password(pw: &Password, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(pw.0.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Adds an operator with an already computed hash.
pub fn add_operator(
    tx: &Transaction<'_>,
    username: &str,
    peran: Peran,
    password_hash: &str,
    by: &str,
) -> Result<Operator, AuthError> {
    if !valid_username(username) {
        return Err(AuthError::BadUsername);
    }
    let exists: bool = tx.query_row(
        "SELECT EXISTS(SELECT 1 FROM operator WHERE username = ?1)",
        [username],
        |r| r.get(0),
    )?;
    if exists {
        return Err(AuthError::UsernameTaken(username.to_owned()));
    }
    tx.execute(
        "INSERT INTO operator(username, peran, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![
            username,
            peran.as_str(),
            password_hash,
            chrono::Utc::now().to_rfc3339()
        ],
    )?;
    let id = tx.last_insert_rowid();
    crate::audit::record(
        tx,
        by,
        "operator.tambah",
        None,
        &format!("{username} ({})", peran.as_str()),
    )?;
    Ok(Operator {
        id,
        username: username.to_owned(),
        peran,
    })
}

/// Disables an operator and ends their sessions.
pub fn disable_operator(tx: &Transaction<'_>, username: &str, by: &str) -> Result<(), AuthError> {
    let n = tx.execute(
        "UPDATE operator SET disabled = 1 WHERE username = ?1",
        [username],
    )?;
    if n == 0 {
        return Err(AuthError::NoSuchOperator(username.to_owned()));
    }
    tx.execute(
        "DELETE FROM session WHERE operator_id = (SELECT id FROM operator WHERE username = ?1)",
        [username],
    )?;
    crate::audit::record(tx, by, "operator.nonaktif", None, username)?;
    Ok(())
}

/// Sets a new password (an already computed hash) and ends the operator's sessions.
pub fn reset_password(
    tx: &Transaction<'_>,
    username: &str,
    password_hash: &str,
    by: &str,
) -> Result<(), AuthError> {
    let n = tx.execute(
        "UPDATE operator SET password_hash = ?2 WHERE username = ?1",
        params![username, password_hash],
    )?;
    if n == 0 {
        return Err(AuthError::NoSuchOperator(username.to_owned()));
    }
    tx.execute(
        "DELETE FROM session WHERE operator_id = (SELECT id FROM operator WHERE username = ?1)",
        [username],
    )?;
    crate::audit::record(tx, by, "operator.atur_ulang_sandi", None, username)?;
    Ok(())
}

/// Loads an enabled operator's record and password hash for a login attempt.
pub fn credentials(
    conn: &Connection,
    username: &str,
) -> Result<Option<(Operator, String)>, AuthError> {
    let row = conn
        .query_row(
            "SELECT id, username, peran, password_hash FROM operator
             WHERE username = ?1 AND disabled = 0",
            [username],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            },
        )
        .optional()?;
    Ok(row.and_then(|(id, username, peran, hash)| {
        Some((
            Operator {
                id,
                username,
                peran: peran.parse().ok()?,
            },
            hash,
        ))
    }))
}

fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Creates a session for `op` valid `minutes`; returns its token.
pub fn create_session(
    tx: &Transaction<'_>,
    op: &Operator,
    minutes: u64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<SessionToken, AuthError> {
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    let token = hex::encode(raw);
    let expires = now + chrono::Duration::minutes(minutes as i64);
    tx.execute(
        "INSERT INTO session(token_sha256, operator_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
        params![token_digest(&token), op.id, now.to_rfc3339(), expires.to_rfc3339()],
    )?;
    crate::audit::record(tx, &op.username, "login", None, "")?;
    Ok(SessionToken(token))
}

/// The operator of a live session at `now`, if the token is valid, unexpired and the operator
/// enabled.
pub fn session_operator(
    conn: &Connection,
    token: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<Operator>, AuthError> {
    let row = conn
        .query_row(
            "SELECT o.id, o.username, o.peran, s.expires_at FROM session s
             JOIN operator o ON o.id = s.operator_id
             WHERE s.token_sha256 = ?1 AND o.disabled = 0",
            [token_digest(token)],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            },
        )
        .optional()?;
    let Some((id, username, peran, expires)) = row else {
        return Ok(None);
    };
    let live = chrono::DateTime::parse_from_rfc3339(&expires)
        .map(|e| e > now)
        .unwrap_or(false);
    if !live {
        return Ok(None);
    }
    Ok(peran.parse().ok().map(|peran| Operator {
        id,
        username,
        peran,
    }))
}

/// Ends a session.
pub fn end_session(tx: &Transaction<'_>, token: &str, username: &str) -> Result<(), AuthError> {
    tx.execute(
        "DELETE FROM session WHERE token_sha256 = ?1",
        [token_digest(token)],
    )?;
    crate::audit::record(tx, username, "logout", None, "")?;
    Ok(())
}

/// Every operator (for the kepala UKL's page).
pub fn list_operators(conn: &Connection) -> Result<Vec<(Operator, bool)>, AuthError> {
    let mut st =
        conn.prepare("SELECT id, username, peran, disabled FROM operator ORDER BY username")?;
    let rows = st.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, bool>(3)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, username, peran, disabled) = row?;
        if let Ok(peran) = peran.parse() {
            out.push((
                Operator {
                    id,
                    username,
                    peran,
                },
                disabled,
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_hash_round_trip_and_debug_redaction() {
        let pw = Password("rahasia-123".into());
        let h = hash_password(&pw).unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&pw, &h));
        assert!(!verify_password(&Password("rahasia-124".into()), &h));
        assert!(matches!(
            hash_password(&Password("pendek".into())),
            Err(AuthError::WeakPassword)
        ));
        assert!(!format!("{pw:?}").contains("rahasia"));
    }

    #[test]
    fn usernames() {
        assert!(valid_username("siti.rahma"));
        assert!(!valid_username("Siti"));
        assert!(!valid_username("ab"));
        assert!(!valid_username("a b c"));
    }
}
