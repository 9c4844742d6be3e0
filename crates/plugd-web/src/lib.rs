//! plugd-web: what plugd serves over HTTP beside the client WebSocket, on the same actix-web
//! server: the REST API under `/api/v1` (the reference server's routes), server-sent events,
//! Prometheus `/metrics`, and the dashboard page (HTML, CSS and JavaScript embedded in the
//! binary; no build step, nothing fetched from elsewhere).
//!
//! The web side is a client of the Server like any other: [`hub::Hub`] registers as an
//! observer client (it does not count towards `--max-clients`) and every command goes through
//! `ClientRequest`, so the Device validates and deduplicates it as usual. Live state (clients,
//! output levels, counters) comes from read-only queries (`ServerStatus`, `ObserveDevices`).

pub mod access;
pub mod api;
pub mod hub;
pub mod prometheus;
pub mod snapshot;
pub mod user_rules;

use actix::prelude::*;
use actix_web::{guard, web, HttpResponse};
use plugd_core::SessionId;
use plugd_device::DeviceManager;
use plugd_messages::SpecVersion;
use plugd_server::{ConnectObserver, Handshake, Server};
use plugd_transport_ws::AccessPolicy;

/// The client name the web side handshakes with (shown in the dashboard's client list).
pub const CLIENT_NAME: &str = "plugd web";

const DASHBOARD_HTML: &str = include_str!("assets/dashboard.html");
const DASHBOARD_JS: &str = include_str!("assets/dashboard.js");
const DASHBOARD_CSS: &str = include_str!("assets/dashboard.css");

/// What every handler needs.
#[derive(Clone)]
pub struct WebState {
    /// Where requests go.
    pub server: Addr<Server>,
    /// Read-only device observation.
    pub device_manager: Addr<DeviceManager>,
    /// Event fan-out.
    pub hub: Addr<hub::Hub>,
    /// The web's session with the Server.
    pub session: SessionId,
    /// Who may use the web side: the client WebSocket's rules (`--auth-token`,
    /// `--allowed-origin`).
    pub access: AccessPolicy,
    /// `--user-device-config-file`, where allow/deny are written; `None`: refused.
    pub user_config_file: Option<std::path::PathBuf>,
    /// Reloaded after each write so the rule applies.
    pub device_config: Option<Addr<plugd_device::DeviceConfig>>,
}

impl WebState {
    /// Applies the client WebSocket's access rules to every web route.
    pub fn with_access(mut self, access: AccessPolicy) -> Self {
        self.access = access;
        self
    }

    /// Where allow/deny are written, and the DeviceConfig to reload afterwards.
    pub fn with_user_config(
        mut self,
        file: Option<std::path::PathBuf>,
        device_config: Addr<plugd_device::DeviceConfig>,
    ) -> Self {
        self.user_config_file = file;
        self.device_config = Some(device_config);
        self
    }
}

/// Starts the hub and registers it with the Server as an observer client.
///
/// # Errors
/// The Server is gone or refused the handshake.
pub async fn start(
    server: Addr<Server>,
    device_manager: Addr<DeviceManager>,
) -> Result<WebState, String> {
    // The hub builds and serialises snapshots: on a thread of its own, so that this work never
    // delays a Device or the Server (they run on the listeners' worker thread).
    let hub = {
        let (server, device_manager) = (server.clone(), device_manager.clone());
        hub::Hub::start_in_arbiter(&actix::Arbiter::new().handle(), move |_| {
            hub::Hub::new(server, device_manager)
        })
    };
    let session = server
        .send(ConnectObserver {
            events: hub.clone().recipient(),
        })
        .await
        .map_err(|_| "the server stopped during start-up".to_string())?;
    server
        .send(Handshake {
            session,
            client_name: CLIENT_NAME.to_string(),
            version: SpecVersion::V4,
        })
        .await
        .map_err(|_| "the server stopped during start-up".to_string())?
        .map_err(|error| format!("the server refused the web client: {error}"))?;
    Ok(WebState {
        server,
        device_manager,
        hub,
        session,
        access: AccessPolicy::default(),
        user_config_file: None,
        device_config: None,
    })
}

/// The `/api/v1` routes (reference paths), for `App::configure` or a scope.
pub fn api_routes(config: &mut web::ServiceConfig) {
    config.service(
        web::scope("/api/v1")
            .wrap(actix_web::middleware::from_fn(access::check))
            .route("/start-scanning", web::get().to(api::start_scanning))
            .route("/start-scanning", web::put().to(api::start_scanning))
            .route("/stop-scanning", web::get().to(api::stop_scanning))
            .route("/stop-scanning", web::put().to(api::stop_scanning))
            .route("/status", web::get().to(api::status))
            .route("/reload", web::put().to(user_rules::reload))
            .route("/reload", web::post().to(user_rules::reload))
            .route("/events", web::get().to(api::server_events))
            .route("/devices", web::get().to(api::list_devices))
            .route("/devices/stop", web::put().to(api::stop_all))
            .route("/devices/{index}", web::get().to(api::device_info))
            .route("/devices/{index}/stop", web::put().to(api::stop_device))
            .route("/devices/{index}/deny", web::put().to(user_rules::deny))
            .route("/devices/{index}/allow", web::put().to(user_rules::allow))
            .route(
                "/devices/{index}/display-name",
                web::put().to(user_rules::rename),
            )
            .route("/devices/{index}/events", web::get().to(api::device_events))
            .route(
                "/devices/{index}/features",
                web::get().to(api::device_features),
            )
            .route(
                "/devices/{index}/features/{feature}",
                web::get().to(api::feature_info),
            )
            .route(
                "/devices/{index}/features/{feature}/",
                web::get().to(api::feature_info),
            )
            .route(
                "/devices/{index}/features/{feature}/",
                web::put().to(api::feature_info),
            )
            .route(
                "/devices/{index}/outputs/{output_type}/{level}",
                web::put().to(api::device_output),
            )
            .route(
                "/devices/{index}/features/{feature}/outputs/{output_type}/{level}",
                web::put().to(api::feature_output),
            )
            .route(
                "/devices/{index}/inputs/{input_type}/{command}",
                web::put().to(api::device_input),
            )
            .route(
                "/devices/{index}/features/{feature}/inputs/{input_type}/{command}",
                web::put().to(api::feature_input),
            ),
    );
}

/// `/metrics` (Prometheus text format).
pub async fn metrics(state: web::Data<WebState>) -> HttpResponse {
    match snapshot::observe(&state.server, &state.device_manager).await {
        Some(snapshot) => HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4; charset=utf-8")
            .body(prometheus::render(&snapshot)),
        None => HttpResponse::ServiceUnavailable().body("shutting down\n"),
    }
}

async fn dashboard_page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(DASHBOARD_HTML)
}

/// Everything: the API, `/metrics`, and the dashboard at `/dashboard` and at `/` for a plain
/// GET (a WebSocket upgrade on `/` is left to the client socket, the app's default service).
pub fn configure(state: WebState) -> impl Fn(&mut web::ServiceConfig) + Clone {
    move |config: &mut web::ServiceConfig| {
        config.app_data(web::Data::new(state.clone()));
        api_routes(config);
        config
            .service(
                web::resource("/metrics")
                    .wrap(actix_web::middleware::from_fn(access::check))
                    .route(web::get().to(metrics)),
            )
            .service(
                web::resource("/dashboard")
                    .wrap(actix_web::middleware::from_fn(access::check))
                    .route(web::get().to(dashboard_page)),
            )
            .route(
                "/dashboard/app.js",
                web::get().to(|| async {
                    HttpResponse::Ok()
                        .content_type("text/javascript; charset=utf-8")
                        .body(DASHBOARD_JS)
                }),
            )
            .route(
                "/dashboard/app.css",
                web::get().to(|| async {
                    HttpResponse::Ok()
                        .content_type("text/css; charset=utf-8")
                        .body(DASHBOARD_CSS)
                }),
            )
            .service(
                web::resource("/")
                    .guard(guard::fn_guard(|context| {
                        !context.head().headers().contains_key("upgrade")
                    }))
                    .wrap(actix_web::middleware::from_fn(access::check))
                    .route(web::get().to(dashboard_page)),
            );
    }
}
