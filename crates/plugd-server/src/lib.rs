//! plugd-server: the [`Server`] actor (handshake, routing, event fan-out to every client), the
//! [`PingManager`] actor (every client's Buttplug ping deadline), and [`session`]: the plain
//! logic of one client connection (handshake state, parsing with the negotiated version,
//! conversion, reply ordering) that a transport's Session actor drives.
//!
//! **Architecture Invariant:** the Server holds a `Recipient<ServerEvent>` per client, never a
//! transport type, so any transport (or a test) can be a client.

pub mod metrics;
pub mod ping_manager;
pub mod server;
pub mod session;

pub use ping_manager::PingManager;
pub use server::{
    ClientRequest, ClientSummary, Connect, ConnectObserver, Disconnect, Handshake,
    HandshakeAccepted, Server, ServerEvent, ServerSettings, ServerStatus, ServerStatusReport,
    ShutdownServer, MEMORY_RELEASE_DELAY,
};
pub use session::{ClientSession, FrameStep, HandshakeStep, ReplyQueue};
