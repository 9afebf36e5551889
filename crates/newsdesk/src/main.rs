//! `newsdesk`: parse the command line, run it, and turn any error into one line on stderr and exit status 1.

use clap::Parser;

#[tokio::main]
async fn main() {
    let cli = newsdesk::cli::Cli::parse();
    if let Err(e) = newsdesk::cli::run(cli).await {
        // `{:#}` joins the cause chain on one line: "what failed: why".
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
