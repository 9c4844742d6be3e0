//! The client WebSocket's access rules applied to the web routes: with `--auth-token`, every
//! API call, `/metrics` and the page need the token (`?token=` or `Authorization: Bearer`);
//! a request from a web page (it carries `Origin`) is refused unless that origin is allowed
//! (loopback pages and `--allowed-origin`), so a site in the user's browser cannot drive the
//! devices. The page's own scripts and styles carry no data and are always served.

use crate::WebState;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};
use plugd_transport_ws::{AccessDecision, AccessPolicy};

/// Decides on one request: the Origin first, then the token.
pub fn decide(
    policy: &AccessPolicy,
    query: Option<&str>,
    origin: Option<&str>,
    bearer: Option<&str>,
) -> AccessDecision {
    if let Some(origin) = origin {
        if !policy.origin_allowed(origin) {
            return AccessDecision::OriginRefused;
        }
    }
    // The token may be in the query or in an Authorization header; the path is never the token
    // here (that form is the WebSocket's).
    let from_header = bearer.map(|token| format!("token={token}"));
    let allowed_by =
        |query: Option<&str>| policy.decide("/api", query, None) == AccessDecision::Allow;
    if allowed_by(query)
        || from_header
            .as_deref()
            .is_some_and(|query| allowed_by(Some(query)))
    {
        AccessDecision::Allow
    } else {
        AccessDecision::Unauthorized
    }
}

/// The middleware.
pub async fn check(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let policy = request
        .app_data::<web::Data<WebState>>()
        .map(|state| state.access.clone())
        .unwrap_or_default();
    let origin = request
        .headers()
        .get("origin")
        .and_then(|value| value.to_str().ok());
    let bearer = request
        .headers()
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    let query = Some(request.query_string()).filter(|query| !query.is_empty());
    match decide(&policy, query, origin, bearer) {
        AccessDecision::Allow => Ok(next.call(request).await?.map_into_boxed_body()),
        AccessDecision::Unauthorized => {
            Ok(request.into_response(HttpResponse::Unauthorized().body(
                "this plugd needs its --auth-token: add ?token=... or Authorization: Bearer ...\n",
            )))
        }
        AccessDecision::OriginRefused => Ok(request
            .into_response(HttpResponse::Forbidden().body(
                "requests from this web page's origin are not allowed (--allowed-origin)\n",
            ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_token_local_requests_pass_and_foreign_pages_are_refused() {
        let policy = AccessPolicy::new(None, &[]);
        assert_eq!(decide(&policy, None, None, None), AccessDecision::Allow);
        assert_eq!(
            decide(&policy, None, Some("http://127.0.0.1:12345"), None),
            AccessDecision::Allow
        );
        assert_eq!(
            decide(&policy, None, Some("https://evil.example"), None),
            AccessDecision::OriginRefused
        );
    }

    #[test]
    fn with_a_token_it_is_needed_in_the_query_or_the_authorization_header() {
        let policy = AccessPolicy::new(Some("s3cret".to_string()), &[]);
        assert_eq!(
            decide(&policy, None, None, None),
            AccessDecision::Unauthorized
        );
        assert_eq!(
            decide(&policy, Some("token=wrong"), None, None),
            AccessDecision::Unauthorized
        );
        assert_eq!(
            decide(&policy, Some("duration=5&token=s3cret"), None, None),
            AccessDecision::Allow
        );
        assert_eq!(
            decide(&policy, None, None, Some("s3cret")),
            AccessDecision::Allow
        );
    }
}
