//! The Newsdesk binary's library: configuration, start-up, data-directory initialisation, demo content, and the
//! commands that are not the server (import, users, tokens). `main.rs` only parses the command line.

pub mod cli;
pub mod config;
pub mod demo;
pub mod export;
pub mod import;
pub mod init;
pub mod newsletters;
pub mod startup;
pub mod telemetry;
