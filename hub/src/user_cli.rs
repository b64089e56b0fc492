//! `rekam-hub user add | disable | passwd | list`: the dashboard's users, administered on the
//! hub's machine. Passwords come from stdin (one line), never from the command line; every
//! change is audited with who ran it (`--oleh`, default `$USER`).

use std::io::BufRead as _;
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use crate::pengguna::{self, Peran};
use crate::storage::AuditEntry;
use crate::storage::pengguna::{Pengguna, PenggunaStorage};
use crate::storage::sqlite::SqliteStorage;

/// `rekam-hub user ...`.
#[derive(Debug, Args)]
pub struct UserArgs {
    /// Data folder of the hub.
    #[arg(long, env = "REKAM_HUB_DATA", global = true)]
    pub data: Option<PathBuf>,
    /// Who runs it (audit log).
    #[arg(long, env = "USER", default_value = "admin", global = true)]
    pub oleh: String,
    /// What to do.
    #[command(subcommand)]
    pub command: UserCommand,
}

/// A role on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PeranArg {
    /// Administrator.
    Admin,
    /// Adjudicator: decides dedup cases.
    Pengadjudikasi,
    /// Sees the pages only.
    Viewer,
}

impl From<PeranArg> for Peran {
    fn from(p: PeranArg) -> Peran {
        match p {
            PeranArg::Admin => Peran::Admin,
            PeranArg::Pengadjudikasi => Peran::Pengadjudikasi,
            PeranArg::Viewer => Peran::Viewer,
        }
    }
}

/// The user subcommands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user; the password is read from stdin (one line).
    Add {
        /// User name.
        nama: String,
        /// Role.
        #[arg(long, value_enum)]
        role: PeranArg,
        /// Read the password from stdin without a prompt (the default reads stdin too).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable a user (cannot log in; open sessions end).
    Disable {
        /// User name.
        nama: String,
    },
    /// Set a new password (read from stdin); open sessions end.
    Passwd {
        /// User name.
        nama: String,
        /// Read the password from stdin without a prompt (the default reads stdin too).
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users (name, role, active).
    List,
}

fn read_password(prompt: bool) -> anyhow::Result<String> {
    if prompt && std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        eprint!("Kata sandi: ");
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn entry(oleh: &str, action: &str, detail: String) -> AuditEntry {
    AuditEntry {
        at: chrono::Utc::now().to_rfc3339(),
        actor: oleh.to_owned(),
        action: action.into(),
        permohonan_id: None,
        detail,
    }
}

/// Runs `rekam-hub user ...`.
pub fn run(args: UserArgs) -> anyhow::Result<()> {
    let Some(data) = args.data else {
        anyhow::bail!("folder data hub belum diberikan: pakai --data atau REKAM_HUB_DATA");
    };
    std::fs::create_dir_all(&data)?;
    let storage = SqliteStorage::open(&data.join(crate::cli::DB_FILE))?;
    let oleh = args.oleh;
    match args.command {
        UserCommand::Add {
            nama,
            role,
            password_stdin,
        } => {
            pengguna::periksa_nama(&nama).map_err(anyhow::Error::msg)?;
            let password = read_password(!password_stdin)?;
            pengguna::periksa_password(&password, &nama).map_err(anyhow::Error::msg)?;
            let peran: Peran = role.into();
            let p = Pengguna {
                nama: nama.clone(),
                peran,
                hash: pengguna::hash_password(&password),
                aktif: true,
                dibuat: chrono::Utc::now().to_rfc3339(),
            };
            let e = entry(
                &oleh,
                "pengguna.tambah",
                format!("{nama} ({})", peran.as_str()),
            );
            if !storage.pengguna_add(&p, &e)? {
                anyhow::bail!("pengguna {nama} sudah ada");
            }
            println!("pengguna {nama} ditambahkan ({})", peran.as_str());
        }
        UserCommand::Disable { nama } => {
            let e = entry(&oleh, "pengguna.nonaktif", nama.clone());
            if !storage.pengguna_disable(&nama, &e)? {
                anyhow::bail!("pengguna {nama} tidak ada");
            }
            println!("pengguna {nama} dinonaktifkan");
        }
        UserCommand::Passwd {
            nama,
            password_stdin,
        } => {
            if storage.pengguna_get(&nama)?.is_none() {
                anyhow::bail!("pengguna {nama} tidak ada");
            }
            let password = read_password(!password_stdin)?;
            pengguna::periksa_password(&password, &nama).map_err(anyhow::Error::msg)?;
            let e = entry(&oleh, "pengguna.ganti_sandi", nama.clone());
            if !storage.pengguna_set_hash(&nama, &pengguna::hash_password(&password), &e)? {
                anyhow::bail!("pengguna {nama} tidak ada");
            }
            println!("kata sandi {nama} diganti");
        }
        UserCommand::List => {
            for p in storage.pengguna_list()? {
                println!(
                    "{}\t{}\t{}",
                    p.nama,
                    p.peran.as_str(),
                    if p.aktif { "aktif" } else { "nonaktif" }
                );
            }
        }
    }
    Ok(())
}
