//! The command line. Every command takes `--data DIR`; every command that touches the database initialises and
//! migrates an empty data directory itself. Errors end the process with status 1 and one line on stderr.

use std::io::BufRead;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use newsdesk_domain::Role;

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
    /// Manage media storage.
    Media {
        #[command(subcommand)]
        command: MediaCommand,
    },
    /// Import or export a newsletter's subscribers.
    Subscribers {
        #[command(subcommand)]
        command: SubscribersCommand,
    },
    /// Send articles as a newsletter issue (`send <post-slug>… --newsletter <slug>`), or follow and steer sends
    /// (`send status`, `send pause|resume|cancel <issue>`).
    #[command(args_conflicts_with_subcommands = true)]
    Send {
        #[command(subcommand)]
        command: Option<SendCommand>,
        #[command(flatten)]
        data: DataArg,
        /// Slugs of published articles: one is sent in full, several make a digest.
        posts: Vec<String>,
        /// The newsletter's slug.
        #[arg(long)]
        newsletter: Option<String>,
        /// Subject (default: from the theme's email/subject.txt).
        #[arg(long)]
        subject: Option<String>,
        /// A few words above the articles.
        #[arg(long)]
        intro: Option<String>,
        /// Idempotency key: running the command again with the same key sends nothing new.
        #[arg(long)]
        key: Option<String>,
        /// Stay and print progress until the send ends (a worker must be running).
        #[arg(long)]
        wait: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum SubscribersCommand {
    /// Import a CSV (an `email` column, optionally `name`; or addresses in the first column). Bad rows are
    /// reported by line; nothing is imported unless --skip-invalid.
    Import {
        #[command(flatten)]
        data: DataArg,
        file: PathBuf,
        #[arg(long)]
        newsletter: String,
        /// The people already confirmed (no confirmation mail); otherwise each gets one.
        #[arg(long)]
        confirmed: bool,
        /// Where these addresses agreed to hear from you (kept in the consent ledger).
        #[arg(long)]
        source: Option<String>,
        /// Import the valid rows even when some are broken.
        #[arg(long)]
        skip_invalid: bool,
    },
    /// Print a newsletter's subscribers as CSV.
    Export {
        #[command(flatten)]
        data: DataArg,
        #[arg(long)]
        newsletter: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum SendCommand {
    /// Progress of the latest sends, or of one (with the addresses that failed).
    Status {
        #[command(flatten)]
        data: DataArg,
        issue: Option<i64>,
    },
    /// Pause a send; messages already with the mail server still arrive.
    Pause {
        #[command(flatten)]
        data: DataArg,
        issue: i64,
    },
    /// Resume a paused send.
    Resume {
        #[command(flatten)]
        data: DataArg,
        issue: i64,
    },
    /// Cancel the rest of a send.
    Cancel {
        #[command(flatten)]
        data: DataArg,
        issue: i64,
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
    /// Write everything (content, revisions, corrections, authors, tags, staff without their passwords, newsletters,
    /// subscribers with their consent ledger, issues and delivery records, redirects, media) into one archive file,
    /// which `newsdesk import archive` restores into an empty database of either engine.
    Archive {
        #[command(flatten)]
        data: DataArg,
        /// The archive to write (a new file; .zip).
        file: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum MediaCommand {
    /// Copy media from the data directory's media/ (or --from) into the bucket [storage] names (backend = "s3"),
    /// keeping every file's key, so pages and audio work unchanged. Files already there are skipped, so a run that
    /// stopped can be started again. The local files are left in place.
    Migrate {
        #[command(flatten)]
        data: DataArg,
        /// The directory to copy from (default: <data>/media).
        #[arg(long)]
        from: Option<PathBuf>,
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
        /// Role the token acts with (admin tokens).
        #[arg(long, default_value = "editor")]
        role: String,
        /// "admin": a Bearer token for /api/v1/; "content": a read-only key for the Ghost-compatible Content API
        /// (/ghost/api/content/), 26 hex characters.
        #[arg(long, default_value = "admin")]
        kind: String,
        /// Limit an admin token to some areas, comma-separated: posts, media, feed (default: all its role allows).
        #[arg(long, value_delimiter = ',')]
        scopes: Vec<String>,
        /// Make the token stop working after this many days.
        #[arg(long)]
        expires_days: Option<i64>,
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
    /// Import a WordPress export (Tools → Export → All content): posts, pages, authors, categories and tags, files,
    /// and redirects from every old address. A second run updates what the first created.
    Wordpress {
        #[command(flatten)]
        data: DataArg,
        /// The export's .xml file (WXR 1.0 to 1.2).
        file: PathBuf,
        /// A copy of the old site's wp-content/uploads; without it, files are fetched from the old site over HTTP.
        #[arg(long)]
        uploads: Option<PathBuf>,
        /// Import the valid items even when some are broken (they are listed in the report).
        #[arg(long)]
        skip_invalid: bool,
        /// Also write the report as JSON to this file.
        #[arg(long)]
        report: Option<PathBuf>,
    },
    /// Import a Ghost export (Settings → Advanced → Export content, Ghost 1 to 6): posts and pages, tags, staff as
    /// bylines, feature images, newsletters, and redirects. Members-only and paid posts arrive as drafts. A second
    /// run updates what the first created.
    Ghost {
        #[command(flatten)]
        data: DataArg,
        /// The export's .json file.
        file: PathBuf,
        /// A copy of the Ghost site's content/ directory (its images/, media/, files/ and data/redirects.json).
        #[arg(long)]
        content: Option<PathBuf>,
        /// Import the valid posts even when some are broken (they are listed in the report).
        #[arg(long)]
        skip_invalid: bool,
        /// Also write the report as JSON to this file.
        #[arg(long)]
        report: Option<PathBuf>,
    },
    /// Restore an archive written by `newsdesk export archive` into an empty database (SQLite or PostgreSQL).
    Archive {
        #[command(flatten)]
        data: DataArg,
        /// The archive file.
        file: PathBuf,
    },
    /// Import a Substack export (the .zip from Settings → Exports): posts with their dates and subtitles, and the
    /// subscribers, into a newsletter. A second run updates what the first created.
    Substack {
        #[command(flatten)]
        data: DataArg,
        /// The export's .zip file.
        file: PathBuf,
        /// The newsletter subscribers join (its slug); without it, one named after the publication.
        #[arg(long)]
        newsletter: Option<String>,
        /// The posts' byline; without it, the publication's desk.
        #[arg(long)]
        author: Option<String>,
        /// Import the valid rows even when some are broken (they are listed in the report).
        #[arg(long)]
        skip_invalid: bool,
        /// Also write the report as JSON to this file.
        #[arg(long)]
        report: Option<PathBuf>,
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
            let stop = startup::shutdown_signal();
            let app = startup::Application::build(&config, !no_worker).await?;
            let url = app.state().site.url.clone();
            eprintln!("Newsdesk is serving {} at {url}/", app.state().site.title);
            if let Some(link) = init::owner_setup_link(&app.state().store, &url).await? {
                eprintln!(
                    "\nNo staff account exists yet. Create the owner account (link valid 24 hours, works once):\n\n    {link}\n"
                );
            }
            app.run_until_stopped(stop).await
        }
        Command::Worker { data, once } => {
            let config = prepare(&data, false)?;
            let store = init::open(&config, false).await?;
            let worker =
                newsdesk_worker::Worker::new(store.clone(), config.job_context(&config.site_settings(None)?.url)?);
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
            let store = config.open_store().await?;
            store.close().await;
            eprintln!("database is up to date ({})", newsdesk_store::redact_url(&config.database_url()));
            Ok(())
        }
        Command::User { command: UserCommand::Add { data, email, name, role, password_stdin } } => {
            let password = if password_stdin {
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line).context("reading the password from stdin")?;
                Some(line.trim_end_matches(['\r', '\n']).to_owned())
            } else {
                None
            };
            let config = prepare(&data, false)?;
            let store = init::open(&config, false).await?;
            let ctx = config.services(store.clone())?;
            let new = newsdesk_services::staff::NewStaff { email: &email, name: &name, role: &role, password };
            let added = newsdesk_services::staff::add(&ctx, new, None).await.map_err(cli_error)?;
            match added.setup_link {
                None => println!("added {} ({})", added.user, added.role.as_str()),
                Some(link) => println!(
                    "added {} ({}); to set the password, open once within 7 days:\n{link}",
                    added.user,
                    added.role.as_str()
                ),
            }
            store.close().await;
            Ok(())
        }
        Command::Token { command: TokenCommand::Create { data, name, role, kind, scopes, expires_days } } => {
            let role = Role::parse("role", &role).map_err(|e| anyhow::anyhow!("--role: {}", e.message))?;
            let name = newsdesk_domain::author::parse_name("name", &name)
                .map_err(|e| anyhow::anyhow!("--name: {}", e.message))?;
            if kind != "admin" && kind != "content" {
                bail!("--kind: \"{kind}\" is not a kind of token; use admin or content");
            }
            let config = prepare(&data, false)?;
            let store = init::open(&config, false).await?;
            let ctx = config.services(store.clone())?;
            let token = match kind.as_str() {
                "content" => newsdesk_services::staff::create_content_key(&ctx, &name).await,
                _ => {
                    let scopes: Vec<&str> = scopes.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).collect();
                    newsdesk_services::staff::create_limited_token(&ctx, &name, role, &scopes, expires_days).await
                }
            }
            .map_err(cli_error)?;
            store.close().await;
            println!("{token}");
            match kind.as_str() {
                "content" => eprintln!(
                    "This key is shown only once. Use it as the Content API's key: /ghost/api/content/posts/?key=…"
                ),
                _ => eprintln!("This token is shown only once. Send it as: Authorization: Bearer nd_…"),
            }
            Ok(())
        }
        Command::Media { command: MediaCommand::Migrate { data, from } } => {
            let config = prepare(&data, false)?;
            let to = config.media()?;
            if !to.is_remote() {
                bail!("[storage] backend is \"local\": set backend = \"s3\" and the bucket first, then migrate");
            }
            let dir = from.unwrap_or_else(|| config.data_dir.join("media"));
            if !dir.is_dir() {
                bail!("{} is not a directory", dir.display());
            }
            let source = newsdesk_services::storage::MediaStore::local(&dir)?;
            let started = std::time::Instant::now();
            let mut progress = import::CliProgress::new();
            let done = newsdesk_services::storage::copy_all(&source, &to, &mut progress).await?;
            println!(
                "copied {} files ({:.1} MB) from {} to {} in {:.1} s; {} were there already",
                done.files,
                done.bytes as f64 / 1e6,
                dir.display(),
                to.place(),
                started.elapsed().as_secs_f64(),
                done.skipped
            );
            Ok(())
        }
        Command::Export { command: ExportCommand::Archive { data, file } } => {
            let config = prepare(&data, false)?;
            import::archive(&config, &file, true).await
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
        Command::Subscribers { command } => match command {
            SubscribersCommand::Import { data, file, newsletter, confirmed, source, skip_invalid } => {
                let config = prepare(&data, false)?;
                init::open(&config, false).await?.close().await;
                let o = crate::newsletters::ImportOptions {
                    file: &file,
                    newsletter: &newsletter,
                    confirmed,
                    source: source.as_deref(),
                    skip_invalid,
                };
                crate::newsletters::import(&config, &o).await
            }
            SubscribersCommand::Export { data, newsletter } => {
                let config = prepare(&data, false)?;
                init::open(&config, false).await?.close().await;
                crate::newsletters::export(&config, &newsletter).await
            }
        },
        Command::Send { command: Some(command), .. } => {
            let (data, issue, action) = match command {
                SendCommand::Status { data, issue } => (data, issue, "status"),
                SendCommand::Pause { data, issue } => (data, Some(issue), "pause"),
                SendCommand::Resume { data, issue } => (data, Some(issue), "resume"),
                SendCommand::Cancel { data, issue } => (data, Some(issue), "cancel"),
            };
            let config = prepare(&data, false)?;
            init::open(&config, false).await?.close().await;
            match (action, issue) {
                ("status", issue) => crate::newsletters::status(&config, issue).await,
                (action, Some(issue)) => crate::newsletters::control(&config, issue, action).await,
                _ => bail!("name the issue"),
            }
        }
        Command::Send { command: None, data, posts, newsletter, subject, intro, key, wait } => {
            let Some(newsletter) = newsletter else {
                bail!("--newsletter <slug> is required: newsdesk send <post-slug>… --newsletter <slug>");
            };
            let config = prepare(&data, false)?;
            init::open(&config, false).await?.close().await;
            let o = crate::newsletters::SendOptions {
                posts: &posts,
                newsletter: &newsletter,
                subject: subject.as_deref(),
                intro: intro.as_deref(),
                key: key.as_deref(),
                wait,
            };
            crate::newsletters::send(&config, &o).await
        }
        Command::Import { command: ImportCommand::Wordpress { data, file, uploads, skip_invalid, report } } => {
            let config = prepare(&data, false)?;
            let opts =
                newsdesk_services::import::ImportOptions { fetch_media: uploads.is_none(), uploads, skip_invalid };
            import::wordpress(&config, &file, &opts, report.as_deref()).await
        }
        Command::Import {
            command: ImportCommand::Substack { data, file, newsletter, author, skip_invalid, report },
        } => {
            let config = prepare(&data, false)?;
            let opts = newsdesk_services::import::ImportOptions { skip_invalid, ..Default::default() };
            let sub = newsdesk_services::import::substack::SubstackOptions { newsletter, author };
            import::substack(&config, &file, &opts, &sub, report.as_deref()).await
        }
        Command::Import { command: ImportCommand::Ghost { data, file, content, skip_invalid, report } } => {
            let config = prepare(&data, false)?;
            let opts = newsdesk_services::import::ImportOptions { skip_invalid, ..Default::default() };
            import::ghost(&config, &file, content.as_deref(), &opts, report.as_deref()).await
        }
        Command::Import { command: ImportCommand::Archive { data, file } } => {
            let config = prepare(&data, false)?;
            import::archive(&config, &file, false).await
        }
        Command::Import { command: ImportCommand::Markdown { data, path } } => {
            let config = prepare(&data, false)?;
            let site = config.site_settings(None)?;
            let store = init::open(&config, false).await?;
            let result = import::run(&store, &site, &config.media()?, &path).await;
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

/// A use case's refusal as the CLI's one line: each field named as the flag that carries it (`--email: …`).
fn cli_error(e: newsdesk_services::ServiceError) -> anyhow::Error {
    match e {
        newsdesk_services::ServiceError::Invalid { errors, .. } => {
            let parts: Vec<String> = errors
                .iter()
                .map(|(field, message)| match *field {
                    "email" | "name" | "role" | "scopes" => format!("--{field}: {message}"),
                    "expires_days" => format!("--expires-days: {message}"),
                    other => format!("{other}: {message}"),
                })
                .collect();
            anyhow::anyhow!("{}", parts.join("; "))
        }
        other => anyhow::Error::new(other),
    }
}
