//! plugd-loadgen: a load generator for plugd and, for a side-by-side figure, the reference
//! server (intiface-engine) and a minimal relay.
//!
//! It starts the server itself (or targets a running one on loopback), opens N client
//! WebSockets and M simulated devices on the device WebSocket, has each client send commands at
//! a given rate for a given time, and measures for every command the time from the client's
//! send to the bytes arriving at the simulated device (it is both ends, so one clock). The
//! report (`Report`) has the counts, throughput, latency percentiles (HDR histogram), set-up
//! times and the server's RSS and CPU; `docs/benchmarks.md` holds the figures.
//!
//! Map: `cli` (the options, also the library's configuration), `run` (one run, start to end),
//! `client` and `device` (the two ends), `wire` (the frames), `server` (starting the server
//! under test), `relay` (the minimal relay), `proc_stats` (/proc), `report`.

pub mod cli;
pub mod client;
pub mod device;
pub mod proc_stats;
pub mod relay;
pub mod report;
pub mod run;
pub mod server;
pub mod wire;

pub use cli::{Options, ServerKind};
pub use report::Report;
pub use run::{relay_main, run};
