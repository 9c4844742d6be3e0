//! plugd-transport-ws: the client side of plugd's network. [`Session`] is one actor per client
//! WebSocket (any path, text frames of Buttplug JSON); [`client_socket_route`] is the actix-web
//! handler that starts it. The Session owns the socket and the WebSocket heartbeat; protocol
//! decisions are in `plugd_server::session`; who may connect at all is [`access`].

pub mod access;
mod session;

pub use access::{AccessDecision, AccessPolicy};
pub use session::{client_socket_route, Session, SessionLimits};
