//! The `rekam-agent` command line (clap): serve, user add/disable, backup, restore, device-sim.

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::auth::{self, Password};
use crate::config::Config;
use crate::db::backup::{self, DataLock};
use crate::db::{Db, DbError};
use crate::peran::Peran;

/// Rekam agent: the e-KTP recording service of a kecamatan office.
#[derive(Debug, Parser)]
#[command(name = "rekam-agent", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the desk web UI and JSON API.
    Serve(ServeArgs),
    /// Manage operators.
    #[command(subcommand)]
    User(UserCommand),
    /// Online backup of the office database to a new file.
    Backup {
        #[arg(long)]
        data: PathBuf,
        /// Backup file to create (must not exist).
        path: PathBuf,
    },
    /// Replace the office database with a backup (the agent must be stopped).
    Restore {
        #[arg(long)]
        data: PathBuf,
        /// Backup file to restore from.
        path: PathBuf,
    },
    /// Sync with the hub: status, or a round now.
    #[command(subcommand)]
    Sync(crate::sync::cli::SyncCommand),
    /// Serve the biometric device simulator (see docs/agent.md).
    DeviceSim {
        #[arg(long, default_value = "127.0.0.1:4501")]
        listen: SocketAddr,
    },
    /// Demo only: writes months of past visits through the desk's operations (the office
    /// stopped, its device simulator running). See `agent/src/demo.rs`.
    DemoRiwayat {
        /// The office's config file.
        #[arg(long)]
        config: PathBuf,
        /// Days of history, ending yesterday.
        #[arg(long, default_value_t = 90)]
        hari: u32,
        /// Mean visits per working day.
        #[arg(long, default_value_t = 8)]
        per_hari: u32,
        /// Dice seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

/// Options of `serve`; each overrides the config file.
#[derive(Debug, Args, Default)]
pub struct ServeArgs {
    /// TOML config file (every setting of [`Config`]).
    #[arg(long)]
    pub config: Option<PathBuf>,
    #[arg(long)]
    pub data: Option<PathBuf>,
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// Six-digit kecamatan code of this office, e.g. 130101.
    #[arg(long)]
    pub kecamatan: Option<String>,
    /// Base URL of the device service, e.g. http://127.0.0.1:4501.
    #[arg(long)]
    pub device_url: Option<String>,
}

impl ServeArgs {
    /// Defaults, then the config file, then the flags.
    pub fn to_config(&self) -> anyhow::Result<Config> {
        let mut c = match &self.config {
            Some(path) => Config::from_file(path)?,
            None => Config::default(),
        };
        if let Some(d) = &self.data {
            c.data = d.clone();
        }
        if let Some(l) = self.listen {
            c.listen = l;
        }
        if let Some(k) = &self.kecamatan {
            c.kecamatan = k.clone();
        }
        if let Some(u) = &self.device_url {
            c.device_url = Some(u.clone());
        }
        c.validate()?;
        Ok(c)
    }
}

/// `rekam-agent user ...`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add an operator; the password is read from standard input.
    Add {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        username: String,
        /// operator-registrasi | operator-perekaman | kepala-ukl
        #[arg(long)]
        role: String,
        /// Read the password from stdin (required: passwords never go on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Disable an operator and end their sessions.
    Disable {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        username: String,
    },
}

fn open_db(data: &std::path::Path) -> anyhow::Result<Db> {
    std::fs::create_dir_all(data)?;
    Ok(Db::open(&data.join(crate::config::DB_FILE), 1)?)
}

/// Runs one parsed command to completion.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => {
            let config = args.to_config()?;
            crate::serve(config).await
        }
        Command::User(UserCommand::Add {
            data,
            username,
            role,
            password_stdin: _,
        }) => {
            let peran: Peran = role.parse()?;
            let mut pw = String::new();
            std::io::stdin().read_to_string(&mut pw)?;
            let pw = Password(pw.trim_end_matches(['\n', '\r']).to_owned());
            let hash = tokio::task::spawn_blocking(move || auth::hash_password(&pw)).await??;
            let db = open_db(&data)?;
            let op = db
                .write(move |tx| auth::add_operator(tx, &username, peran, &hash, "cli"))
                .await?;
            println!(
                "operator {} ({}) ditambahkan",
                op.username,
                op.peran.as_str()
            );
            Ok(())
        }
        Command::User(UserCommand::Disable { data, username }) => {
            let db = open_db(&data)?;
            let u = username.clone();
            db.write(move |tx| auth::disable_operator(tx, &u, "cli"))
                .await?;
            println!("operator {username} dinonaktifkan");
            Ok(())
        }
        Command::Backup { data, path } => {
            let db_path = data.join(crate::config::DB_FILE);
            tokio::task::spawn_blocking(move || backup::backup_file(&db_path, &path)).await??;
            println!("cadangan selesai");
            Ok(())
        }
        Command::Restore { data, path } => {
            tokio::task::spawn_blocking(move || backup::restore(&data, &path)).await??;
            println!("pemulihan selesai");
            Ok(())
        }
        Command::Sync(cmd) => crate::sync::cli::run(cmd).await,
        Command::DeviceSim { listen } => crate::device::sim::serve(listen).await,
        Command::DemoRiwayat {
            config,
            hari,
            per_hari,
            seed,
        } => {
            let t = std::time::Instant::now();
            let l = crate::demo::jalankan(&crate::demo::Rencana {
                config,
                hari,
                per_hari,
                seed,
            })
            .await?;
            println!(
                "riwayat demo: {} permohonan, {} terekam, {} dikembalikan, {} gagal, {} pengecualian, {} langkah terlambat ({:.1} s)",
                l.permohonan,
                l.terekam,
                l.dikembalikan,
                l.gagal,
                l.pengecualian,
                l.terlambat,
                t.elapsed().as_secs_f64()
            );
            Ok(())
        }
    }
}

/// Opens the office database for `serve`, holding the data-folder lock.
pub fn open_for_serve(config: &Config) -> anyhow::Result<(DataLock, Db)> {
    let lock = DataLock::acquire(&config.data)?;
    let db = Db::open(&config.db_path(), config.read_connections).map_err(|e: DbError| e)?;
    Ok((lock, db))
}
