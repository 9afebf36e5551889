//! The text an audio edition is narrated from, and its chunking for engines that take bounded input.
//! Runs in the narration job, never on a request.

use crate::document::end_sentence;

/// Headline, dek, then the body's text as the document renders it for listening (`document::body_text`: headings
/// and list items as sentences; images, captions, code, raw HTML and tables left out).
pub fn narration_text(title: &str, dek: Option<&str>, body_text: &str) -> String {
    let mut out = String::new();
    out.push_str(title.trim());
    end_sentence(&mut out);
    out.push('\n');
    if let Some(d) = dek.map(str::trim).filter(|d| !d.is_empty()) {
        out.push_str(d);
        end_sentence(&mut out);
        out.push('\n');
    }
    out.push_str(body_text);
    let lines: Vec<&str> = out.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    lines.join("\n")
}

/// Splits text into chunks of at most `max` characters, at line or sentence boundaries where possible.
pub fn chunks(text: &str, max: usize) -> Vec<String> {
    let max = max.max(100);
    let mut out = Vec::new();
    let mut current = String::new();
    let push = |piece: &str, current: &mut String, out: &mut Vec<String>| {
        if !current.is_empty() && current.chars().count() + piece.chars().count() + 1 > max {
            out.push(std::mem::take(current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(piece);
    };
    for line in text.lines() {
        if line.chars().count() <= max {
            push(line, &mut current, &mut out);
            continue;
        }
        // A long paragraph: by sentences, and a sentence longer than `max` by words.
        for sentence in line.split_inclusive(['.', '!', '?']) {
            let sentence = sentence.trim();
            if sentence.chars().count() <= max {
                push(sentence, &mut current, &mut out);
            } else {
                for word in sentence.split_whitespace() {
                    push(word, &mut current, &mut out);
                }
            }
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_headings_and_lists_as_sentences_and_skips_captions_and_code() {
        let md = "Intro paragraph\n\n## What happened\n\n- First point\n- Second point\n\n![A harbour at dawn](x.jpg)\n\n```\ncode()\n```\n\n<figure><img src=\"/x.jpg\" alt=\"An image\"><figcaption>caption</figcaption></figure>\n\nLast words!";
        let t = narration_text("Council votes", Some("A dek"), &crate::document::stored_body_text("", md));
        assert_eq!(
            t,
            "Council votes.\nA dek.\nIntro paragraph.\nWhat happened. First point. Second point.\nLast words!"
        );
        assert!(!t.contains("harbour at dawn") && !t.contains("code") && !t.contains("caption"));
    }

    #[test]
    fn chunks_respect_the_limit_and_keep_every_word() {
        let text = "One two three. Four five six.\nSeven eight nine ten eleven twelve thirteen fourteen.";
        let parts = chunks(&text.repeat(20), 120);
        assert!(parts.iter().all(|p| p.chars().count() <= 120), "{parts:?}");
        let words = |s: &str| s.split_whitespace().count();
        assert_eq!(parts.iter().map(|p| words(p)).sum::<usize>(), words(&text.repeat(20)));
    }
}
