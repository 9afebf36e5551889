//! Integration tests: the real application over HTTP, the real binary for the CLI, on SQLite and (when
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
//! `NEWSDESK_TEST_DATABASE_URL` is set) PostgreSQL.

mod admin;
mod api;
mod api_docs;
mod archive;
mod audio;
mod cli;
mod distribution;
mod documents;
mod donations;
mod first_run;
mod fleet;
mod ghost_import;
mod hardening;
mod helpers;
mod imports;
mod languages;
mod leases;
mod mail;
mod media_library;
mod members;
mod meter;
mod newsletters;
mod newsroom;
mod nodes;
mod operations;
mod payments;
mod pooling;
mod public;
mod scheduling;
mod search;
mod sending;
mod storage;
mod subscribers;
mod webhooks;
