//! `/api/v1/members`: readers' accounts (token of an admin or the owner, scope `members`), as the admin's Members
//! pages: list with search and filters, one member with their subscriptions and grants, add, grant ("comp") and
//! revoke a tier, delete (the account and its personal data; payments are kept as the law requires, unlinked).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use newsdesk_services::api_views::{ApiMember, PageMeta, member as member_json};
use newsdesk_services::members::may_manage;
use newsdesk_store::members::{MEMBER_SOURCES, MEMBER_STATUSES};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ApiAuth, ApiPath, ApiQuery, json_body};
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Part of the address or the name.
    q: Option<String>,
    /// Members holding this paid tier now (its slug).
    tier: Option<String>,
    /// `paid`, `free` or `comp` (holding a tier by a grant).
    status: Option<String>,
    /// `signup`, `staff`, `import`, `checkout` or `donation`.
    source: Option<String>,
    /// Joined at or after (RFC 3339, or YYYY-MM-DD in the site's time zone).
    joined_after: Option<String>,
    /// Joined before.
    joined_before: Option<String>,
    page: Option<i64>,
    /// Up to 500; 50 unless given.
    limit: Option<i64>,
}

/// A page of members.
#[derive(Serialize, ToSchema)]
pub struct MemberList {
    members: Vec<ApiMember>,
    meta: PageMeta,
}

/// One member.
#[derive(Serialize, ToSchema)]
pub struct MemberAnswer {
    member: ApiMember,
}

/// An instant from the API: RFC 3339, or a day (its start) in the site's time zone.
fn instant(state: &AppState, field: &'static str, text: Option<&str>) -> Result<Option<i64>, ApiError> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(None) };
    let text = if text.len() == 10 { format!("{text}T00:00") } else { text.to_owned() };
    newsdesk_services::posts::parse_time(field, &text, state.site.timezone.tz()).map(Some).map_err(ApiError::from)
}

/// Members, newest first (admins and the owner).
#[utoipa::path(get, path = "/members", tag = "members", params(ListQuery), security(("token" = [])),
    responses((status = 200, description = "A page of members", body = MemberList),
        (status = 422, description = "`status_invalid`, `source_invalid`, or a date that is not one")))]
pub async fn list(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<MemberList>, ApiError> {
    may_manage(&auth.actor, "read members")?;
    let status = q.status.filter(|s| !s.is_empty());
    if status.as_deref().is_some_and(|s| !MEMBER_STATUSES.contains(&s)) {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "status_invalid", "status is paid, free or comp."));
    }
    let source = q.source.filter(|s| !s.is_empty());
    if source.as_deref().is_some_and(|s| !MEMBER_SOURCES.contains(&s)) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "source_invalid",
            "source is signup, staff, import, checkout or donation.",
        ));
    }
    let filter = newsdesk_store::members::MemberFilter {
        search: q.q.unwrap_or_default(),
        tier: q.tier.filter(|t| !t.is_empty()),
        status,
        source,
        joined_from: instant(&state, "joined_after", q.joined_after.as_deref())?,
        joined_before: instant(&state, "joined_before", q.joined_before.as_deref())?,
    };
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let page = q.page.unwrap_or(1).max(1);
    let (members, total) = state.store.members_page(&filter, page, limit).await?;
    let ids: Vec<i64> = members.iter().map(|m| m.id).collect();
    let subs = state.store.subscriptions_of(&ids).await?;
    let (now, grace) = (newsdesk_store::now(), state.options.payments.grace_seconds());
    Ok(Json(MemberList {
        members: members
            .iter()
            .map(|m| member_json(m, subs.get(&m.id).map_or(&[][..], Vec::as_slice), now, grace, false))
            .collect(),
        meta: PageMeta::new(page, limit, total),
    }))
}

async fn one(state: &AppState, id: i64) -> Result<ApiMember, ApiError> {
    let m = state.store.member(id).await?.ok_or_else(|| ApiError::not_found("member"))?;
    let subs = state.store.member_subscriptions(id).await?;
    Ok(member_json(&m, &subs, newsdesk_store::now(), state.options.payments.grace_seconds(), true))
}

/// A member with their subscriptions and grants (admins and the owner).
#[utoipa::path(get, path = "/members/{id}", tag = "members", security(("token" = [])),
    params(("id" = i64, Path, description = "The member's id")),
    responses((status = 200, description = "The member", body = MemberAnswer)))]
pub async fn show(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<MemberAnswer>, ApiError> {
    may_manage(&auth.actor, "read members")?;
    Ok(Json(MemberAnswer { member: one(&state, id).await? }))
}

/// A member added by staff: only an address (they sign in with a link when they want to).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    email: String,
}

/// Adds a member (admins and the owner); `409 email_taken` when the address has an account already.
#[utoipa::path(post, path = "/members", tag = "members", request_body = NewMember, security(("token" = [])),
    responses((status = 201, description = "Added", body = MemberAnswer), (status = 409, description = "`email_taken`"),
        (status = 422, description = "`email_invalid`")))]
#[tracing::instrument(skip_all, name = "api.members.create")]
pub async fn create(State(state): State<AppState>, auth: ApiAuth, bytes: Bytes) -> Result<Response, ApiError> {
    may_manage(&auth.actor, "add members")?;
    let b: NewMember = json_body(&bytes, "member")?;
    let address = newsdesk_domain::EmailAddress::parse("email", &b.email)?;
    let (m, created) = state.store.find_or_create_member(address.as_str(), "staff").await?;
    if !created {
        return Err(ApiError::new(StatusCode::CONFLICT, "email_taken", "A member already has that address."));
    }
    tracing::info!(member.id = m.id, token = %auth.token_name, "member added through the API");
    Ok((StatusCode::CREATED, Json(MemberAnswer { member: one(&state, m.id).await? })).into_response())
}

/// A tier granted by staff.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGrant {
    /// The paid tier's slug.
    tier: String,
    /// The last day (YYYY-MM-DD, the site's time zone); absent: until revoked.
    #[serde(default)]
    until: Option<String>,
    /// Why (a student, a source…), up to 300 characters.
    #[serde(default)]
    note: Option<String>,
}

/// Grants ("comps") a paid tier to a member (admins and the owner).
#[utoipa::path(post, path = "/members/{id}/comps", tag = "members", request_body = NewGrant, security(("token" = [])),
    params(("id" = i64, Path, description = "The member's id")),
    responses((status = 201, description = "Granted: the member", body = MemberAnswer),
        (status = 422, description = "`tier_invalid`, `until_invalid`")))]
#[tracing::instrument(skip_all, name = "api.members.grant", fields(member.id = id))]
pub async fn grant(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(id): ApiPath<i64>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let b: NewGrant = json_body(&bytes, "grant")?;
    let tier = state.store.tier_by_slug(b.tier.trim()).await?.map(|t| t.id);
    let by = format!("API token {}", auth.token_name);
    newsdesk_services::members::grant_tier(
        &state.ctx,
        &auth.actor,
        id,
        tier,
        b.until.as_deref().unwrap_or(""),
        b.note.as_deref().unwrap_or(""),
        &by,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(MemberAnswer { member: one(&state, id).await? })).into_response())
}

/// Revokes a grant (admins and the owner); a Stripe subscription is ended by the member or in Stripe.
#[utoipa::path(delete, path = "/members/{id}/comps/{grant}", tag = "members", security(("token" = [])),
    params(("id" = i64, Path, description = "The member's id"), ("grant" = i64, Path, description = "The grant's id (a subscription of source `comp`)")),
    responses((status = 204, description = "Revoked")))]
#[tracing::instrument(skip_all, name = "api.members.revoke", fields(member.id = id))]
pub async fn revoke(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath((id, grant)): ApiPath<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    may_manage(&auth.actor, "revoke tiers")?;
    if !state.store.revoke_comp(id, grant).await? {
        return Err(ApiError::not_found("active grant"));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes a member's account and everything about them the law does not require us to keep (admins and the
/// owner): payment records stay, without name or address, as tax law requires (as `/account/` tells the member).
#[utoipa::path(delete, path = "/members/{id}", tag = "members", security(("token" = [])),
    params(("id" = i64, Path, description = "The member's id")),
    responses((status = 204, description = "Deleted")))]
#[tracing::instrument(skip_all, name = "api.members.delete", fields(member.id = id))]
pub async fn delete(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    may_manage(&auth.actor, "delete members")?;
    let m = state.store.member(id).await?.ok_or_else(|| ApiError::not_found("member"))?;
    newsdesk_services::members::delete_account(&state.ctx, &m).await?;
    Ok(StatusCode::NO_CONTENT)
}
