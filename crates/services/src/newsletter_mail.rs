//! Newsletter mail as the theme renders it: issues (subject, HTML with inlined styles, plain text) from the
//! overridable `email/` templates, and the transactional messages of double opt-in and address changes.
//!
//! An issue is rendered once, when it is made, with markers where each recipient's greeting and signed links go
//! (`newsdesk_store::issues::marker`); the sender fills them per message, so 100,000 recipients cost one render.

use newsdesk_render::minijinja::Value;
use newsdesk_store::issues::{Personal, marker, personalise};
use newsdesk_store::mail::MailPayload;
use newsdesk_store::newsletters::Newsletter;
use newsdesk_store::posts::Post;
use serde::Serialize;

use crate::{Context, ServiceError};

/// A rendered issue.
#[derive(Debug, Clone, Serialize)]
pub struct RenderedIssue {
    pub subject: String,
    pub html: String,
    pub text: String,
    /// Who gets the whole story (`public`: everyone gets `html`/`text`, which are whole).
    pub visibility: String,
    /// For an issue of a story not for everyone: the whole version (html, text), for recipients allowed it;
    /// `html`/`text` are then the preview with an invitation to join.
    pub whole: Option<(String, String)>,
}

impl From<&newsdesk_store::issues::Issue> for RenderedIssue {
    /// An issue as stored (rendered when it was made).
    fn from(i: &newsdesk_store::issues::Issue) -> Self {
        RenderedIssue {
            subject: i.subject.clone(),
            html: i.html.clone(),
            text: i.text.clone(),
            visibility: i.visibility.clone(),
            whole: (!i.whole_html.is_empty()).then(|| (i.whole_html.clone(), i.whole_text.clone())),
        }
    }
}

/// Styles for the elements article bodies are made of; mail clients ignore `<style>` blocks, so each element
/// carries its own.
const BODY_STYLES: &[(&str, &str)] = &[
    ("p", "margin:0 0 16px;"),
    ("h2", "margin:24px 0 8px;font-size:22px;line-height:1.25;color:#111111;"),
    ("h3", "margin:20px 0 8px;font-size:19px;line-height:1.3;color:#111111;"),
    ("h4", "margin:16px 0 8px;font-size:17px;color:#111111;"),
    ("a", "color:#1d3a5f;"),
    ("blockquote", "margin:0 0 16px;padding:0 0 0 16px;border-left:3px solid #1d3a5f;color:#444444;"),
    ("ul", "margin:0 0 16px;padding-left:24px;"),
    ("ol", "margin:0 0 16px;padding-left:24px;"),
    ("li", "margin:0 0 6px;"),
    ("img", "display:block;max-width:100%;height:auto;border:0;"),
    ("figure", "margin:0 0 16px;"),
    ("figcaption", "font-size:13px;color:#666666;font-family:Helvetica,Arial,sans-serif;"),
    ("hr", "border:0;border-top:1px solid #e2ded6;margin:24px 0;"),
    ("pre", "white-space:pre-wrap;font-size:14px;background:#f6f6f6;padding:8px;"),
    ("table", "border-collapse:collapse;margin:0 0 16px;"),
    ("td", "border:1px solid #e2ded6;padding:4px 8px;"),
    ("th", "border:1px solid #e2ded6;padding:4px 8px;text-align:left;"),
];

/// Inlines `BODY_STYLES` into sanitised article HTML and makes site-relative links and images absolute.
pub fn inline_styles(html: &str, site_url: &str) -> String {
    let html =
        html.replace("href=\"/", &format!("href=\"{site_url}/")).replace("src=\"/", &format!("src=\"{site_url}/"));
    let mut out = String::with_capacity(html.len() + html.len() / 4);
    let mut rest = html.as_str();
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let name_end = rest[1..].find(|c: char| !c.is_ascii_alphanumeric()).map_or(rest.len(), |e| e + 1);
        let name = &rest[1..name_end];
        let tag_end = rest.find('>').map_or(rest.len(), |e| e + 1);
        let tag = &rest[..tag_end];
        match BODY_STYLES.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            Some((_, style)) if !tag.contains(" style=") => {
                out.push_str(&rest[..name_end]);
                out.push_str(&format!(" style=\"{style}\""));
                out.push_str(&rest[name_end..tag_end]);
            }
            _ => out.push_str(tag),
        }
        rest = &rest[tag_end..];
    }
    out.push_str(rest);
    out
}

#[derive(Serialize)]
struct IssuePost {
    #[serde(flatten)]
    view: newsdesk_render::views::PostView,
    absolute_url: String,
    image_url: Option<String>,
    email_html: String,
    text: String,
}

#[derive(Serialize)]
struct Recipient<'a> {
    greeting: &'a str,
    name: &'a str,
    email: &'a str,
    unsubscribe_url: &'a str,
    preferences_url: &'a str,
}

/// Renders an issue of `newsletter` from `posts` ("post": one article in full; "digest": several, as teasers),
/// with recipient markers in place. `subject` overrides the theme's `email/subject.txt`.
pub fn render_issue(
    state: &Context,
    newsletter: &Newsletter,
    kind: &str,
    posts: &[Post],
    intro: Option<&str>,
    subject: Option<&str>,
) -> Result<RenderedIssue, ServiceError> {
    // One story in full that is not for everyone: the preview for all, the whole for those allowed it.
    let gated = (kind == "post").then(|| posts.first()).flatten().filter(|p| p.row.is_gated());
    let mut issue = render_variant(state, newsletter, kind, posts, intro, subject, false)?;
    if let Some(p) = gated {
        let whole = render_variant(state, newsletter, kind, posts, intro, subject, true)?;
        issue.visibility = p.row.visibility.clone();
        issue.whole = Some((whole.html, whole.text));
    }
    Ok(issue)
}

#[allow(clippy::too_many_arguments)]
fn render_variant(
    state: &Context,
    newsletter: &Newsletter,
    kind: &str,
    posts: &[Post],
    intro: Option<&str>,
    subject: Option<&str>,
    whole: bool,
) -> Result<RenderedIssue, ServiceError> {
    let site_url = state.site.url.trim_end_matches('/');
    let lang = state.site.language_of(newsletter.language.as_deref()).to_owned();
    let locale = state.templates.locales().get(&lang).clone();
    let posts: Vec<IssuePost> = posts
        .iter()
        .map(|p| {
            let view = crate::views::post_view(p);
            let mut email_html =
                inline_styles(if p.row.body_email_html.is_empty() { &view.html } else { &p.row.body_email_html }, site_url);
            let mut text = newsdesk_render::document::stored_body_text(&p.row.body_text, &p.row.body_md);
            if p.row.is_gated() && whole {
                email_html.push_str(&inline_styles(&p.row.paid_email_html, site_url));
                text.push_str("\n\n");
                text.push_str(&p.row.paid_text);
            } else if p.row.is_gated() {
                // Free subscribers get the preview and where to read the rest.
                let join = format!("{site_url}/membership/?next={}", view.url);
                let note = locale.text("email_members_note", &[]);
                email_html.push_str(&format!(
                    "<p style=\"margin:0 0 16px;\"><strong>{}</strong> <a style=\"color:#1d3a5f;\" href=\"{}\">{}</a></p>",
                    newsdesk_render::feeds::html_escape(&note),
                    newsdesk_render::feeds::html_escape(&join),
                    newsdesk_render::feeds::html_escape(&locale.text("paywall_join", &[]))
                ));
                text.push_str(&format!("\n\n{note} {join}"));
            }
            IssuePost {
                absolute_url: format!("{site_url}{}", view.url),
                image_url: view.feature_image.as_ref().map(|i| format!("{site_url}{}", i.src)),
                email_html,
                text,
                view,
            }
        })
        .collect();
    let recipient = Recipient {
        greeting: marker::GREETING,
        name: marker::NAME,
        email: marker::EMAIL,
        unsubscribe_url: marker::UNSUBSCRIBE_URL,
        preferences_url: marker::PREFERENCES_URL,
    };
    let mut ctx = serde_json::json!({
        "newsletter": newsletter,
        "kind": kind,
        "posts": posts,
        "intro": intro.map(str::trim).filter(|i| !i.is_empty()),
        "recipient": recipient,
    });
    // In the newsletter's language: its theme text and dates.
    ctx["dir"] = newsdesk_domain::language::direction(&lang).into();
    ctx["lang"] = lang.into();
    let subject = match subject.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => s.to_owned(),
        None => state.templates.render("email/subject.txt", Value::from_serialize(&ctx))?.trim().to_owned(),
    };
    let subject: String = subject.replace(['\r', '\n'], " ").chars().take(200).collect();
    ctx["subject"] = serde_json::json!(subject);
    let html = state.templates.render("email/issue.html", Value::from_serialize(&ctx))?;
    let text = state.templates.render("email/issue.txt", Value::from_serialize(&ctx))?;
    Ok(RenderedIssue { subject, html, text: tidy_text(&text), visibility: "public".into(), whole: None })
}

/// Collapses the blank lines template tags leave behind.
fn tidy_text(text: &str) -> String {
    let mut out = String::new();
    let mut blank = 0;
    for line in text.lines() {
        if line.trim().is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.trim_start().to_owned()
}

/// An issue as one recipient would see it, for previews and the public archive (links point to the newsletters
/// page instead of anyone's signed links).
pub fn sample(issue: &RenderedIssue, site_url: &str, name: Option<&str>) -> RenderedIssue {
    let page = format!("{}/newsletters/", site_url.trim_end_matches('/'));
    let p = Personal { name, email: "reader@example.org", unsubscribe_url: &page, preferences_url: &page };
    RenderedIssue {
        subject: personalise(&issue.subject, &p, false),
        html: personalise(&issue.html, &p, true),
        text: personalise(&issue.text, &p, false),
        visibility: issue.visibility.clone(),
        whole: None,
    }
}

/// A plain-text message carrying a single-use confirmation link: `what` is the request in the reader's words.
fn link_mail(state: &Context, to: &str, subject: String, what: &str, unless: &str, token: &str) -> MailPayload {
    let link = format!("{}/newsletters/confirm/{token}", state.site.url);
    MailPayload {
        to: to.to_owned(),
        subject,
        text: format!(
            "Hello,\n\nSomeone (we hope you) asked {what}.\n\nTo confirm, open this link and press the button on the page (it works once, for 72 hours):\n{link}\n\nIf it was not you, ignore this message: {unless}\n"
        ),
        html: None,
        reply_to: None,
        headers: Vec::new(),
    }
}

/// The double opt-in message: names the newsletters and carries the single-use link.
pub fn confirmation_mail(state: &Context, to: &str, names: &[&str], token: &str) -> MailPayload {
    let list = newsdesk_domain::byline_names(names);
    let what = format!("to receive {list} from {} at this address", state.site.title);
    let subject = format!("Please confirm your subscription to {list}");
    link_mail(state, to, subject, &what, "you will not hear from us again.", token)
}

/// The message that confirms a change of address, sent to the new address.
pub fn address_change_mail(state: &Context, to: &str, token: &str) -> MailPayload {
    let site = &state.site.title;
    let what = format!("to receive their {site} newsletters at this address instead of their old one");
    let subject = format!("Confirm your new address for {site} newsletters");
    link_mail(state, to, subject, &what, "nothing will change.", token)
}

#[cfg(test)]
mod tests {
    #[test]
    fn inlines_styles_and_absolutises_links() {
        let out = super::inline_styles(
            "<p>Hi <a href=\"/x/\">x</a></p><pre><code>a<b</code></pre><img src=\"/media/a.jpg\" alt=\"\">",
            "https://s.example",
        );
        assert!(out.starts_with(
            "<p style=\"margin:0 0 16px;\">Hi <a style=\"color:#1d3a5f;\" href=\"https://s.example/x/\">"
        ));
        assert!(out.contains("<img style=\"display:block;"));
        assert!(out.contains("src=\"https://s.example/media/a.jpg\""));
        assert!(out.contains("<pre style="));
    }
}
