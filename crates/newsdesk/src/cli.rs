//! The command line. Every command takes `--data DIR`; every command that touches the database initialises and
//! migrates an empty data directory itself. Errors end the process with status 1 and one line on stderr.

use std::io::BufRead;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use newsdesk_domain::{EmailAddress, Role};

use crate::config::Config;
use crate::{import, init, startup, telemetry};

#[derive(Parser, Debug)]
#[command(name = "newsdesk", version, about = "A self-hosted publishing platform for independent newsrooms.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct DataArg {
    /// Data directory: configuration, SQLite database, media.
    #[arg(long, env = "NEWSDESK_DATA", default_value = "./newsdesk-data", global = true)]
    pub data: PathBuf,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the web server (and, unless --no-worker, a job worker).
    Serve {
        #[command(flatten)]
        data: DataArg,
        /// Address to listen on (overrides [server] listen).
        #[arg(long)]
        listen: Option<String>,
        /// Do not run a job worker in this process (run `newsdesk worker` elsewhere).
        #[arg(long)]
        no_worker: bool,
        /// Do not add demo content to a new data directory.
        #[arg(long)]
        no_demo: bool,
    },
    /// Run a job worker alone (scheduled publishing and other background jobs).
    Worker {
        #[command(flatten)]
        data: DataArg,
        /// Run the jobs that are due now, then exit.
        #[arg(long)]
        once: bool,
    },
    /// Create or upgrade the database schema, then exit.
    Migrate {
        #[command(flatten)]
        data: DataArg,
    },
    /// Manage staff accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Import content.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Export the public site.
    Export {
        #[command(subcommand)]
        command: ExportCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum ExportCommand {
    /// Write the whole public site (pages, feeds, sitemaps, images, CSS) as static files with relative links,
    /// for a mirror or any static host. Re-running rewrites only what changed.
    Static {
        #[command(flatten)]
        data: DataArg,
        /// Output directory: empty, or an earlier export.
        dir: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add a staff account. Prints a one-time link to set the password, unless --password-stdin is given.
    Add {
        #[command(flatten)]
        data: DataArg,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// owner, admin, editor, author or contributor.
        #[arg(long, default_value = "author")]
        role: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create an API token and print it once.
    Create {
        #[command(flatten)]
        data: DataArg,
        /// What the token is for, e.g. "wire importer".
        #[arg(long)]
        name: String,
        /// Role the token acts with.
        #[arg(long, default_value = "editor")]
        role: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// Import Markdown files with YAML front matter (a file, or every .md file under a directory).
    Markdown {
        #[command(flatten)]
        data: DataArg,
        /// A .md file or a directory.
        path: PathBuf,
    },
}

/// Loads the configuration of a data directory, creating the directory when needed.
fn prepare(data: &DataArg, demo: bool) -> anyhow::Result<Config> {
    init::ensure_dir(&data.data, demo)?;
    let config = Config::load(&data.data)?;
    telemetry::init(&config.log);
    Ok(config)
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { data, listen, no_worker, no_demo } => {
            let mut config = prepare(&data, !no_demo)?;
            if let Some(l) = listen {
                config.server.listen = l;
            }
            config.site_settings(None)?;
            config.check_mail()?;
            let store = init::open(&config, !no_demo).await?;
            store.close().await;
            let app = startup::Application::build(&config, !no_worker).await?;
            let url = app.state().site.url.clone();
            eprintln!("Newsdesk is serving {} at {url}/", app.state().site.title);
            if let Some(link) = init::owner_setup_link(&app.state().store, &url).await? {
                eprintln!(
                    "\nNo staff account exists yet. Create the owner account (link valid 24 hours, works once):\n\n    {link}\n"
                );
            }
            app.run_until_stopped(startup::shutdown_signal()).await
        }
        Command::Worker { data, once } => {
            let config = prepare(&data, false)?;
            let store = init::open(&config, false).await?;
            let worker = newsdesk_worker::Worker::new(store.clone(), config.job_context());
            if once {
                let n = worker.drain().await?;
                eprintln!("ran {n} job(s)");
            } else {
                let (tx, rx) = tokio::sync::watch::channel(false);
                let handle = tokio::spawn(worker.run(rx));
                startup::shutdown_signal().await;
                let _ = tx.send(true);
                let _ = handle.await;
            }
            store.close().await;
            Ok(())
        }
        Command::Migrate { data } => {
            let config = prepare(&data, false)?;
            let store = newsdesk_store::Store::open(&config.database_url()).await?;
            store.close().await;
            eprintln!("database is up to date ({})", newsdesk_store::redact_url(&config.database_url()));
            Ok(())
        }
        Command::User { command: UserCommand::Add { data, email, name, role, password_stdin } } => {
            let email = EmailAddress::parse("email", &email).map_err(|e| anyhow::anyhow!("--email: {}", e.message))?;
            let name = newsdesk_domain::author::parse_name("name", &name)
                .map_err(|e| anyhow::anyhow!("--name: {}", e.message))?;
            let role = Role::parse("role", &role).map_err(|e| anyhow::anyhow!("--role: {}", e.message))?;
            let password = if password_stdin {
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line).context("reading the password from stdin")?;
                let pw = line.trim_end_matches(['\r', '\n']).to_owned();
                newsdesk_web::auth::password::check_new(&pw, &pw)
                    .map_err(|e| anyhow::anyhow!("password: {}", e.message))?;
                Some(pw)
            } else {
                None
            };
            let config = prepare(&data, false)?;
            let store = init::open(&config, false).await?;
            let hash = match password {
                Some(pw) => Some(newsdesk_web::auth::password::hash(pw).await?),
                None => None,
            };
            let user = store
                .create_user(email.as_str(), &name, role.as_str(), hash.as_deref(), None)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if hash.is_some() {
                println!("added {} ({})", user, role.as_str());
            } else {
                let (token, token_hash) = newsdesk_store::new_token();
                store
                    .create_login_link(
                        "invite",
                        Some(user.id),
                        &token_hash,
                        newsdesk_web::routes::admin::users::INVITE_TTL,
                    )
                    .await?;
                let url = config.site_settings(None)?.url;
                println!(
                    "added {} ({}); to set the password, open once within 7 days:\n{url}/admin/setup/{token}",
                    user,
                    role.as_str()
                );
            }
            store.close().await;
            Ok(())
        }
        Command::Token { command: TokenCommand::Create { data, name, role } } => {
            let role = Role::parse("role", &role).map_err(|e| anyhow::anyhow!("--role: {}", e.message))?;
            let name = newsdesk_domain::author::parse_name("name", &name)
                .map_err(|e| anyhow::anyhow!("--name: {}", e.message))?;
            let config = prepare(&data, false)?;
            let store = init::open(&config, false).await?;
            let (token, hash) = newsdesk_store::new_token();
            store.create_api_token(&name, role.as_str(), &hash).await?;
            store.close().await;
            println!("nd_{token}");
            eprintln!("This token is shown only once. Send it as: Authorization: Bearer nd_…");
            Ok(())
        }
        Command::Export { command: ExportCommand::Static { data, dir } } => {
            init::ensure_dir(&data.data, false)?;
            let mut config = Config::load(&data.data)?;
            // Every page rendered would log a request line; an export only reports problems.
            if std::env::var_os("NEWSDESK_LOG__LEVEL").is_none() && std::env::var_os("RUST_LOG").is_none() {
                config.log.level = "warn".into();
            }
            telemetry::init(&config.log);
            if config.site.url.is_empty() {
                eprintln!(
                    "warning: [site] url is not set; the mirror's canonical links and feeds will name http://{}",
                    config.server.listen
                );
            }
            let store = init::open(&config, false).await?;
            store.close().await;
            let s = crate::export::run(&config, &dir).await?;
            eprintln!(
                "exported {} files to {} ({} written, {} unchanged, {} removed)",
                s.files,
                dir.display(),
                s.written,
                s.unchanged,
                s.removed
            );
            for (page, link) in s.broken.iter().take(10) {
                eprintln!("broken link on {page}: {link}");
            }
            if !s.broken.is_empty() {
                bail!("{} broken link(s) in the site; the export is written but incomplete", s.broken.len());
            }
            Ok(())
        }
        Command::Import { command: ImportCommand::Markdown { data, path } } => {
            let config = prepare(&data, false)?;
            let site = config.site_settings(None)?;
            let store = init::open(&config, false).await?;
            let result = import::run(&store, &site, &config.data_dir.join("media"), &path).await;
            store.close().await;
            let n = result?;
            if n == 0 {
                bail!("nothing imported");
            }
            eprintln!("imported {n} post(s)");
            Ok(())
        }
    }
}
