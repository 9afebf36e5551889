//! The error of a use case.
//!
//! Policy: a refusal the caller can act on names what is wrong — a field and a stable snake_case code for bad
//! input, a message for a refusal of rights — so a form shows it beside the field, the JSON API answers
//! `{"error": code, "message": …}` and the CLI prints one line. Everything else is `Internal`: logged once at the
//! edge with its cause chain, shown to nobody.

use std::collections::BTreeMap;

use newsdesk_domain::ValidationError;
use newsdesk_store::StoreError;

/// Field name → message, rendered beside each field.
pub type FieldErrors = BTreeMap<&'static str, String>;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Bad input: the messages per field, and the code of the first problem.
    #[error("invalid input ({code})")]
    Invalid { errors: FieldErrors, code: &'static str },
    #[error("{0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    /// A refusal that is neither a field nor a right (the request is not possible now).
    #[error("{0}")]
    BadRequest(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ServiceError {
    /// One field's problem.
    pub fn field(e: ValidationError) -> ServiceError {
        ServiceError::invalid(e.field, e.code, e.message)
    }

    /// One field's problem, given as its parts.
    pub fn invalid(field: &'static str, code: &'static str, message: impl Into<String>) -> ServiceError {
        let mut errors = FieldErrors::new();
        errors.insert(field, message.into());
        ServiceError::Invalid { errors, code }
    }
}

/// Collects the problems of a whole form, keeping the code of the first.
#[derive(Default)]
pub struct Problems {
    pub errors: FieldErrors,
    code: Option<&'static str>,
}

impl Problems {
    pub fn note(&mut self, e: ValidationError) {
        self.code.get_or_insert(e.code);
        self.errors.entry(e.field).or_insert(e.message);
    }

    /// `Err(Invalid)` when anything was noted.
    pub fn check(self) -> Result<(), ServiceError> {
        match self.code {
            None => Ok(()),
            Some(code) => Err(ServiceError::Invalid { errors: self.errors, code }),
        }
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ServiceError::NotFound,
            StoreError::Conflict { field, message } => {
                let mut errors = FieldErrors::new();
                errors.insert(field, message);
                let code = match field {
                    "revision" => "revision_conflict",
                    "file" => "media_duplicate",
                    "media" => "media_in_use",
                    "from_path" => "redirect_taken",
                    "translation_of" => "translation_language",
                    _ => "slug_taken",
                };
                ServiceError::Invalid { errors, code }
            }
            other => ServiceError::Internal(anyhow::Error::new(other)),
        }
    }
}

impl From<newsdesk_render::minijinja::Error> for ServiceError {
    fn from(e: newsdesk_render::minijinja::Error) -> Self {
        ServiceError::Internal(anyhow::anyhow!("template error: {e:#}"))
    }
}

/// Every error code a form, the JSON API or the CLI can report, with the HTTP status the API answers it with and
/// what it means. `docs/api.md` lists exactly these (a test compares the two), and a test scans the sources so no
/// code is used that is not here.
pub const CODES: &[(&str, u16, &str)] = &[
    // Authentication and rights.
    ("token_missing", 401, "the request needs an API token"),
    ("token_invalid", 401, "the token is revoked or mistyped"),
    ("token_expired", 401, "the token's expiry date has passed"),
    ("unauthorized", 401, "the webhook's secret is missing or wrong"),
    ("forbidden", 403, "the role or token may not do this"),
    ("scope_missing", 403, "the token is limited to other areas (scopes)"),
    ("cross_site", 403, "a browser sent this form from another site"),
    ("meter_exhausted", 403, "this month's free stories are read; a free account reads on"),
    // The request itself.
    ("not_found", 404, "no such resource or endpoint"),
    ("webhook_disabled", 404, "the mail events webhook has no secret set"),
    ("method_not_allowed", 405, "the path does not take this method"),
    ("bad_request", 400, "the request cannot be carried out as sent"),
    ("invalid_json", 400, "the body is not the JSON this endpoint takes"),
    ("invalid_path", 400, "a path segment is malformed (an id that is not a number)"),
    ("invalid_query", 400, "the query string is malformed"),
    ("file_missing", 400, "an upload without its file"),
    ("payload_too_large", 413, "the body is over this endpoint's limit"),
    ("too_many_events", 413, "more than 1,000 events in one webhook call"),
    ("unsupported_media_type", 415, "the body's content type is not one this endpoint takes"),
    ("rate_limited", 429, "too many attempts; try again later"),
    ("internal", 500, "our fault; it has been logged"),
    // Conflicts.
    ("slug_taken", 409, "another post, tag or author already uses the slug"),
    ("email_taken", 409, "another account already uses the address"),
    ("revision_conflict", 409, "the post changed since the revision the change is based on"),
    ("retracted", 409, "a retracted News Feed item cannot be changed"),
    ("redirect_taken", 409, "the old address already redirects"),
    ("issue_state", 409, "the send cannot be paused, resumed or cancelled in its state"),
    // Bad input (422 on the API, beside the field on forms).
    ("invalid", 422, "a field is not valid"),
    ("invalid_body", 422, "the body does not have the fields this endpoint takes"),
    ("invalid_event", 422, "one webhook event is malformed (its index is named); nothing was applied"),
    ("title_empty", 422, "a post needs a headline"),
    ("title_too_long", 422, "the headline is over 255 characters"),
    ("body_too_long", 422, "the story is over 1,000,000 bytes of Markdown or 4,000,000 of document JSON"),
    ("document_invalid", 422, "the body's document JSON is malformed or has an unknown block"),
    ("document_version_unsupported", 422, "the document was written by a newer Newsdesk"),
    ("document_too_deep", 422, "blocks are nested more than 12 deep"),
    ("gallery_too_large", 422, "a gallery holds more than 60 photos"),
    ("embed_url_invalid", 422, "an embed's address is not an http(s) URL"),
    ("image_src_invalid", 422, "an image's address is not http(s) or a path on this site"),
    ("link_invalid", 422, "a link is not http(s), mailto, tel, a path or a fragment"),
    ("raw_html_not_allowed", 422, "the role may not add or change raw HTML blocks"),
    ("image_too_large", 422, "the image is over 12,000 pixels on a side or 60 megapixels"),
    (
        "database_unavailable",
        503,
        "the database could not be reached; nothing was changed, so the request can be repeated",
    ),
    ("storage_unavailable", 422, "the media store did not answer; nothing was saved, so the upload can be tried again"),
    ("file_too_large", 422, "the file is over 25 MB"),
    ("media_in_use", 422, "a library file that stories use cannot be deleted"),
    ("media_duplicate", 422, "the new file is already in the library as another entry"),
    ("media_kind_mismatch", 422, "a library file is replaced by one of the same kind"),
    ("focal_invalid", 422, "a focal point is a percentage from 0 to 100"),
    ("embed_unreachable", 422, "the address to embed could not be fetched"),
    ("embed_private_address", 422, "the address to embed is on a private network"),
    ("too_long", 422, "a text field is over its length"),
    ("control_characters", 422, "one-line text holds a line break or control character"),
    ("slug_empty", 422, "the slug is empty"),
    ("slug_malformed", 422, "the slug has characters other than a-z, 0-9 and hyphens"),
    ("slug_reserved", 422, "the slug is one of the site's own paths"),
    ("slug_too_long", 422, "the slug is too long"),
    ("kind_invalid", 422, "a post is of type post or page"),
    ("status_invalid", 422, "a post's status is draft, scheduled or published; a members filter's paid, free or comp"),
    ("date_invalid", 422, "not a date and time"),
    ("date_required", 422, "a scheduled post needs a time"),
    ("authors_required", 422, "a byline needs at least one author"),
    ("author_unknown", 422, "no such author"),
    ("author_kind_invalid", 422, "an author is a person or a desk"),
    ("related_unknown", 422, "no such post to promote"),
    ("related_self", 422, "a post cannot promote itself"),
    ("language_invalid", 422, "not a BCP 47 language tag"),
    ("language_unknown", 422, "not one of the site's languages ([site] language and languages)"),
    ("translation_unknown", 422, "no such post to be a translation of"),
    ("translation_self", 422, "a post cannot be a translation of itself"),
    ("translation_language", 422, "a translation is in another language than every post of its story"),
    ("payments_off", 400, "Stripe webhooks are not configured ([payments] stripe_webhook_secret)"),
    ("signature_invalid", 400, "a Stripe webhook's signature is missing, forged or too old"),
    ("event_invalid", 400, "a Stripe webhook's event lacks its id, type or time"),
    ("amount_invalid", 422, "an amount of money is a positive number with at most two decimals"),
    ("cadence_invalid", 422, "a donation is once or monthly"),
    ("source_invalid", 422, "a members filter's source is signup, staff, import, checkout or donation"),
    ("tier_invalid", 422, "a grant names a paid tier"),
    ("until_invalid", 422, "a grant ends on a day in the future, given as YYYY-MM-DD"),
    ("message_too_long", 422, "a donor's message is over 1,000 characters"),
    ("visibility_invalid", 422, "a visibility is public, members, paid, or paid tier slugs"),
    ("tier_unknown", 422, "a visibility names a tier that does not exist or is not paid"),
    ("image_invalid", 422, "the file is not an image we can read"),
    ("image_unknown", 422, "no such image"),
    ("name_empty", 422, "a name is required"),
    ("name_too_long", 422, "the name is over 100 characters"),
    ("email_invalid", 422, "not an e-mail address"),
    ("role_invalid", 422, "no such role"),
    ("role_not_grantable", 422, "your role cannot give that role"),
    ("password_too_short", 422, "a password has at least 10 characters"),
    ("password_too_long", 422, "a password has at most 1,000 characters"),
    ("password_mismatch", 422, "the two passwords differ"),
    ("password_wrong", 422, "that is not the current password"),
    ("timezone_invalid", 422, "not an IANA time zone"),
    ("headline_empty", 422, "a News Feed item needs a headline"),
    ("headline_too_long", 422, "the headline is over 200 characters"),
    ("summary_empty", 422, "a News Feed item needs a summary"),
    ("summary_too_long", 422, "the summary is over 1,000 characters"),
    ("summary_paragraphs", 422, "a summary is one paragraph"),
    ("url_invalid", 422, "not an http(s) link"),
    ("article_unknown", 422, "no such published article"),
    ("tag_unknown", 422, "no such tag"),
    ("note_invalid", 422, "a retraction note is 1 to 500 characters"),
    ("redirect_from_invalid", 422, "a redirect's old address is not a path"),
    ("redirect_to_invalid", 422, "a redirect leads to a path of this site"),
    ("redirect_loop", 422, "a redirect cannot lead to itself"),
    ("redirect_status_invalid", 422, "a redirect's status is 301, 302, 307 or 308"),
    ("scope_invalid", 422, "no such token scope (posts, media, feed, taxonomy, newsletters)"),
    ("expiry_invalid", 422, "a token expires after 1 to 3,650 days"),
    ("webhook_events_invalid", 422, "a webhook subscribes to at least one known event"),
    ("csv_invalid", 422, "the CSV file cannot be read or has no rows"),
    ("issue_invalid", 422, "the newsletter issue breaks a rule (articles, subject, intro)"),
];

/// The HTTP status the API answers `code` with (422 for a code not in [`CODES`]).
pub fn status_of(code: &str) -> u16 {
    CODES.iter().find(|(c, _, _)| *c == code).map(|(_, s, _)| *s).unwrap_or(422)
}

/// Whether `code` is one of [`CODES`].
pub fn is_known(code: &str) -> bool {
    CODES.iter().any(|(c, _, _)| *c == code)
}
