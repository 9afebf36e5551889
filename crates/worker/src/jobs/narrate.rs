//! Narrates a published post: headline, dek and body (not captions or promos), in chunks, stitched and encoded
//! to MP3 (and Opus when configured) in scratch space on this machine (`<data>/work`), then stored in the media
//! store under `audio/` (the data directory's `media/audio/`, or the bucket), and attached to the post.
//!
//! Idempotent: a hash of the text and voice is kept with the audio, so an unchanged article is never narrated
//! again (unless forced). The previous audio stays online until the new one is ready. Failures are recorded on the
//! edition for the admin; timeouts and server errors are retried by the queue, other failures are not.

use std::path::PathBuf;
use std::time::Duration;

use newsdesk_render::document::stored_body_text;
use newsdesk_render::narration::{chunks, narration_text};
use newsdesk_services::media::audio_key;
use newsdesk_store::Store;
use newsdesk_store::audio::{Narrate, ReadyAudio};
use newsdesk_store::jobs::Job;
use sha2::{Digest, Sha256};

use crate::narration::{self, Engine, NarrationError};
use crate::{JobContext, Outcome};

#[tracing::instrument(skip_all, fields(job.id = job.id))]
pub async fn run(store: &Store, ctx: &JobContext, job: &Job) -> Outcome {
    let p: Narrate = match job.payload() {
        Ok(p) => p,
        Err(e) => return Outcome::Fail(e),
    };
    match narrate(store, ctx, p.post_id, p.force).await {
        Ok(()) => Outcome::Done,
        Err(Failure::Store(e)) => Outcome::Retry(format!("database: {e}")),
        Err(Failure::Narration(e)) => {
            let _ = store.set_audio_state(p.post_id, "failed", None, Some(&e.message)).await;
            if e.transient { Outcome::Retry(e.message) } else { Outcome::Fail(e.message) }
        }
    }
}

enum Failure {
    Store(newsdesk_store::StoreError),
    Narration(NarrationError),
}

impl From<newsdesk_store::StoreError> for Failure {
    fn from(e: newsdesk_store::StoreError) -> Self {
        Failure::Store(e)
    }
}

/// The media store did not answer or refused: the queue tries again later.
fn transient(e: impl std::fmt::Display) -> NarrationError {
    NarrationError { transient: true, message: format!("{e:#}") }
}

impl From<NarrationError> for Failure {
    fn from(e: NarrationError) -> Self {
        Failure::Narration(e)
    }
}

async fn narrate(store: &Store, ctx: &JobContext, post_id: i64, force: bool) -> Result<(), Failure> {
    let Some(post) = store.post(post_id).await? else { return Ok(()) };
    // Articles are narrated; static pages (About, policies) are not.
    if post.row.status != "published" || post.row.kind != "post" {
        return Ok(());
    }
    if !store.narration_enabled(post_id).await? {
        store.set_audio_state(post_id, "off", None, Some("Narration is turned off for this article.")).await?;
        return Ok(());
    }
    // In the article's language: its own, or the site's.
    let engine = match post.row.language.as_deref() {
        Some(language) => ctx.narration.resolve_for(language, false).await,
        None => ctx.narration.resolve(&ctx.language).await,
    };
    if let Engine::Off(reason) = &engine {
        store.set_audio_state(post_id, "off", None, Some(reason)).await?;
        return Ok(());
    }
    // The whole story, its part for members too: the audio of a story not for everyone is served only to those who
    // may read it (`/media/audio/`, which checks).
    let mut body = stored_body_text(&post.row.body_text, &post.row.body_md);
    if !post.row.paid_text.is_empty() {
        body.push('\n');
        body.push_str(&post.row.paid_text);
    }
    let text = narration_text(&post.row.title, post.row.excerpt.as_deref(), &body);
    let hash = {
        let mut h = Sha256::new();
        for part in [engine.name(), &engine.voice(), if ctx.narration.opus { "opus" } else { "" }, &text] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        hex::encode(h.finalize())
    };
    let existing = store.audio_edition(post_id).await?;
    // The store is asked whether the file is there only when the text is unchanged (one request fewer otherwise).
    let unchanged = match existing.as_ref().filter(|e| !force && e.text_hash.as_deref() == Some(hash.as_str())) {
        Some(e) => match e.file.as_deref() {
            Some(f) => ctx.media.size(&audio_key(f)).await.map_err(transient)?.is_some(),
            None => false,
        },
        None => false,
    };
    if let Some(e) = existing.as_ref().filter(|_| unchanged) {
        if e.status != "ready" {
            store.set_audio_state(post_id, "ready", None, None).await?;
        }
        tracing::info!(post.id = post_id, "narration unchanged; not narrated again");
        return Ok(());
    }

    let parts = chunks(&text, ctx.narration.chunk_chars);
    let limit = Duration::from_secs(ctx.narration.timeout_seconds.max(5));
    // Engines and ffmpeg work on files: on this machine's disk, then the results go into the media store.
    let work = ctx.work_dir.join(format!("narration-{post_id}-{}", &hash[..12]));
    tokio::fs::create_dir_all(&work)
        .await
        .map_err(|e| NarrationError { transient: true, message: format!("cannot create {}: {e}", work.display()) })?;
    let result = async {
        let mut files: Vec<PathBuf> = Vec::with_capacity(parts.len());
        for (i, chunk) in parts.iter().enumerate() {
            store
                .set_audio_state(
                    post_id,
                    "running",
                    Some(&format!("Narrating part {} of {} with {}", i + 1, parts.len(), engine.name())),
                    None,
                )
                .await?;
            let file = work.join(format!("{i:04}.wav"));
            narration::synthesize(&engine, chunk, &file, limit).await?;
            files.push(file);
        }
        store.set_audio_state(post_id, "running", Some("Encoding"), None).await?;
        let name = format!("{post_id}-{}", &hash[..16]);
        let mp3 = work.join(format!("{name}.mp3"));
        narration::encode(&ctx.narration.ffmpeg_command, &files, &mp3, "libmp3lame", "64k", limit * 2).await?;
        let duration_ms = narration::duration_ms(&ctx.narration.ffmpeg_command, &mp3).await?;
        let opus = if ctx.narration.opus {
            let path = work.join(format!("{name}.opus"));
            narration::encode(&ctx.narration.ffmpeg_command, &files, &path, "libopus", "32k", limit * 2).await?;
            ctx.media.put_file(&audio_key(&format!("{name}.opus")), &path).await.map_err(transient)?;
            Some(format!("{name}.opus"))
        } else {
            None
        };
        let file = format!("{name}.mp3");
        // Into the store before the row names it: a listener never gets a file that is not there.
        let bytes = ctx.media.put_file(&audio_key(&file), &mp3).await.map_err(transient)? as i64;
        let voice = engine.voice();
        let replaced = store
            .set_audio_ready(
                post_id,
                &ReadyAudio {
                    file: &file,
                    opus_file: opus.as_deref(),
                    text_hash: &hash,
                    engine: engine.name(),
                    voice: &voice,
                    duration_ms,
                    bytes,
                },
            )
            .await?;
        if let Some(old) = replaced {
            for f in [old.clone(), old.replace(".mp3", ".opus")] {
                if let Err(e) = ctx.media.delete(&audio_key(&f)).await {
                    tracing::warn!(post.id = post_id, error = %e, "the previous audio edition could not be deleted");
                }
            }
        }
        tracing::info!(
            post.id = post_id,
            engine = engine.name(),
            parts = parts.len(),
            duration_ms,
            bytes,
            "audio edition ready"
        );
        Ok::<(), Failure>(())
    }
    .await;
    let _ = tokio::fs::remove_dir_all(&work).await;
    result
}
