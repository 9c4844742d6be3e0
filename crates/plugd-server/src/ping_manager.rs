//! PingManager: every client's Buttplug ping deadline. Gets `WatchPing`, `Pinged` and
//! `ForgetPing` from the Server and sends it `PingExpired`. What an expiry means is the Server's
//! decision. The deadline is the last Ping (or the handshake) plus MaxPingTime (protocol.md
//! §8.3: plugd does not grant the reference's 2× slack).

use actix::prelude::*;
use plugd_core::SessionId;
use std::collections::HashMap;
use std::time::Duration;

/// Arm a deadline after a handshake with MaxPingTime > 0. Sent by the Server.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct WatchPing {
    /// The client.
    pub session: SessionId,
    /// Its MaxPingTime.
    pub max_ping_time: Duration,
}

/// A Ping arrived: push the deadline out. Sent by the Server.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Pinged {
    /// The client.
    pub session: SessionId,
}

/// The client is gone: drop its deadline. Sent by the Server.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct ForgetPing {
    /// The client.
    pub session: SessionId,
}

/// A deadline passed. Sent to the Server.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct PingExpired {
    /// The client that missed its ping.
    pub session: SessionId,
}

/// One armed deadline.
struct Deadline {
    max_ping_time: Duration,
    timer: SpawnHandle,
}

/// The actor.
pub struct PingManager {
    /// Where expiries go: the Server's `PingExpired` handler.
    expired: Recipient<PingExpired>,
    /// One armed timer per watched client.
    deadlines: HashMap<SessionId, Deadline>,
}

impl PingManager {
    /// A manager reporting expiries to `expired`.
    pub fn new(expired: Recipient<PingExpired>) -> Self {
        PingManager {
            expired,
            deadlines: HashMap::new(),
        }
    }

    fn arm(&mut self, session: SessionId, max_ping_time: Duration, ctx: &mut Context<Self>) {
        if let Some(previous) = self.deadlines.remove(&session) {
            ctx.cancel_future(previous.timer);
        }
        let timer = ctx.run_later(max_ping_time, move |manager, _| {
            if manager.deadlines.remove(&session).is_some() {
                tracing::info!(%session, "ping deadline passed");
                manager.expired.do_send(PingExpired { session });
            }
        });
        self.deadlines.insert(
            session,
            Deadline {
                max_ping_time,
                timer,
            },
        );
    }
}

impl Actor for PingManager {
    type Context = Context<Self>;
}

impl Handler<WatchPing> for PingManager {
    type Result = ();

    fn handle(&mut self, message: WatchPing, ctx: &mut Self::Context) {
        self.arm(message.session, message.max_ping_time, ctx);
    }
}

impl Handler<Pinged> for PingManager {
    type Result = ();

    fn handle(&mut self, message: Pinged, ctx: &mut Self::Context) {
        if let Some(max_ping_time) = self
            .deadlines
            .get(&message.session)
            .map(|deadline| deadline.max_ping_time)
        {
            self.arm(message.session, max_ping_time, ctx);
        }
    }
}

impl Handler<ForgetPing> for PingManager {
    type Result = ();

    fn handle(&mut self, message: ForgetPing, ctx: &mut Self::Context) {
        if let Some(deadline) = self.deadlines.remove(&message.session) {
            ctx.cancel_future(deadline.timer);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records expiries.
    struct Recorder(tokio::sync::mpsc::UnboundedSender<SessionId>);

    impl Actor for Recorder {
        type Context = Context<Self>;
    }

    impl Handler<PingExpired> for Recorder {
        type Result = ();
        fn handle(&mut self, message: PingExpired, _: &mut Self::Context) {
            let _ = self.0.send(message.session);
        }
    }

    #[actix_rt::test]
    async fn missed_ping_expires_and_a_ping_in_time_postpones_it() {
        tokio::time::pause();
        let (sender, mut expired) = tokio::sync::mpsc::unbounded_channel();
        let recorder = Recorder(sender).start();
        let manager = PingManager::new(recorder.recipient()).start();
        let quiet = SessionId(1);
        let pinging = SessionId(2);
        for session in [quiet, pinging] {
            manager
                .send(WatchPing {
                    session,
                    max_ping_time: Duration::from_millis(100),
                })
                .await
                .unwrap();
        }
        tokio::time::advance(Duration::from_millis(60)).await;
        manager.send(Pinged { session: pinging }).await.unwrap();
        tokio::time::advance(Duration::from_millis(60)).await;
        assert_eq!(expired.recv().await, Some(quiet));
        tokio::time::advance(Duration::from_millis(60)).await;
        assert_eq!(expired.recv().await, Some(pinging));
    }

    #[actix_rt::test]
    async fn forgotten_session_never_expires() {
        tokio::time::pause();
        let (sender, mut expired) = tokio::sync::mpsc::unbounded_channel();
        let recorder = Recorder(sender).start();
        let manager = PingManager::new(recorder.recipient()).start();
        let gone = SessionId(1);
        let watched = SessionId(2);
        manager
            .send(WatchPing {
                session: gone,
                max_ping_time: Duration::from_millis(50),
            })
            .await
            .unwrap();
        manager.send(ForgetPing { session: gone }).await.unwrap();
        manager
            .send(WatchPing {
                session: watched,
                max_ping_time: Duration::from_millis(100),
            })
            .await
            .unwrap();
        tokio::time::advance(Duration::from_millis(150)).await;
        assert_eq!(expired.recv().await, Some(watched));
    }
}
