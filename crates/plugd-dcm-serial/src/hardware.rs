//! SerialHardware: one open serial port as a device's Hardware. A reader thread turns bytes from
//! the port into `rx` notifications; a writer thread drains writes so the actor never blocks.

use actix::prelude::*;
use plugd_core::{Endpoint, HardwareCommand};
use plugd_device::{HardwareCall, HardwareError, HardwareEvent, HardwareReply};
use serialport::{DataBits, Parity, SerialPort, StopBits};
use std::io::{ErrorKind, Read, Write};
use std::sync::mpsc;
use std::time::Duration;
use tokio::sync::oneshot;

/// How long one blocking read waits before the reader thread checks whether it should stop.
const READ_POLL: Duration = Duration::from_millis(100);

/// How to open a port (a serial specifier's fields).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialSettings {
    /// Port path or name.
    pub port: String,
    /// Bits per second.
    pub baud_rate: u32,
    /// Data bits (5–8).
    pub data_bits: u8,
    /// `N`, `E` or `O`.
    pub parity: char,
    /// 1 or 2.
    pub stop_bits: u8,
}

impl SerialSettings {
    /// Opens the port with these settings.
    ///
    /// # Errors
    /// The port cannot be opened, or a setting is not one serial ports have.
    pub fn open(&self) -> Result<Box<dyn SerialPort>, String> {
        let data_bits = match self.data_bits {
            5 => DataBits::Five,
            6 => DataBits::Six,
            7 => DataBits::Seven,
            8 => DataBits::Eight,
            other => return Err(format!("{other} data bits is not a serial setting")),
        };
        let parity = match self.parity.to_ascii_uppercase() {
            'N' => Parity::None,
            'E' => Parity::Even,
            'O' => Parity::Odd,
            other => return Err(format!("parity {other:?} is not a serial setting")),
        };
        let stop_bits = match self.stop_bits {
            1 => StopBits::One,
            2 => StopBits::Two,
            other => return Err(format!("{other} stop bits is not a serial setting")),
        };
        serialport::new(&self.port, self.baud_rate)
            .data_bits(data_bits)
            .parity(parity)
            .stop_bits(stop_bits)
            .timeout(READ_POLL)
            .open()
            .map_err(|error| format!("cannot open {}: {error}", self.port))
    }
}

/// Bytes the reader thread read.
#[derive(Message)]
#[rtype(result = "()")]
struct BytesRead(Vec<u8>);

/// The port failed (unplugged, I/O error).
#[derive(Message)]
#[rtype(result = "()")]
struct PortFailed(String);

/// Told when the hardware is gone, so the DCM may open the port again later.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct PortReleased {
    /// The port.
    pub port: String,
}

/// Bytes for the writer thread, and who hears whether they went out.
type PendingWrite = (Vec<u8>, oneshot::Sender<Result<(), String>>);

/// One open port.
pub struct SerialHardware {
    port_name: String,
    /// The port, until `started` hands clones to the threads.
    port: Option<Box<dyn SerialPort>>,
    /// Writes for the writer thread, each with where its outcome goes; dropping it ends the
    /// thread.
    writes: Option<mpsc::Sender<PendingWrite>>,
    events: Option<Recipient<HardwareEvent>>,
    rx_subscribed: bool,
    released: Recipient<PortReleased>,
}

impl SerialHardware {
    /// Hardware for an opened port; `released` hears when it is let go.
    pub fn new(
        port_name: String,
        port: Box<dyn SerialPort>,
        released: Recipient<PortReleased>,
    ) -> Self {
        SerialHardware {
            port_name,
            port: Some(port),
            writes: None,
            events: None,
            rx_subscribed: false,
            released,
        }
    }
}

impl Actor for SerialHardware {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        let Some(port) = self.port.take() else {
            ctx.stop();
            return;
        };
        let writer = match port.try_clone() {
            Ok(writer) => writer,
            Err(error) => {
                tracing::warn!(port = %self.port_name, %error, "cannot share the serial port between reader and writer");
                ctx.stop();
                return;
            }
        };
        let (writes, pending) = mpsc::channel::<PendingWrite>();
        self.writes = Some(writes);
        let me = ctx.address();
        let name = self.port_name.clone();
        std::thread::Builder::new()
            .name(format!("serial-write {name}"))
            .spawn(move || write_loop(writer, pending, me))
            .map_err(|error| tracing::warn!(%error, "cannot start the serial writer thread"))
            .ok();
        let me = ctx.address();
        std::thread::Builder::new()
            .name(format!("serial-read {}", self.port_name))
            .spawn(move || read_loop(port, me))
            .map_err(|error| tracing::warn!(%error, "cannot start the serial reader thread"))
            .ok();
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        self.writes = None;
        if let Some(events) = self.events.take() {
            events.do_send(HardwareEvent::Disconnected {
                reason: format!("serial port {} closed", self.port_name),
            });
        }
        self.released.do_send(PortReleased {
            port: self.port_name.clone(),
        });
    }
}

fn write_loop(
    mut port: Box<dyn SerialPort>,
    pending: mpsc::Receiver<PendingWrite>,
    me: Addr<SerialHardware>,
) {
    for (data, outcome) in pending {
        if let Err(error) = port.write_all(&data).and_then(|()| port.flush()) {
            let reason = format!("write failed: {error}");
            let _ = outcome.send(Err(reason.clone()));
            me.do_send(PortFailed(reason));
            return;
        }
        // The Device may have stopped waiting (it went); the bytes are out either way.
        let _ = outcome.send(Ok(()));
    }
}

fn read_loop(mut port: Box<dyn SerialPort>, me: Addr<SerialHardware>) {
    let mut buffer = [0_u8; 1024];
    while me.connected() {
        match port.read(&mut buffer) {
            Ok(0) => continue,
            Ok(count) => me.do_send(BytesRead(buffer[..count].to_vec())),
            Err(error)
                if matches!(
                    error.kind(),
                    ErrorKind::TimedOut | ErrorKind::Interrupted | ErrorKind::WouldBlock
                ) =>
            {
                continue
            }
            Err(error) => {
                me.do_send(PortFailed(format!("read failed: {error}")));
                return;
            }
        }
    }
}

impl Handler<BytesRead> for SerialHardware {
    type Result = ();

    fn handle(&mut self, message: BytesRead, _: &mut Self::Context) {
        if !self.rx_subscribed {
            tracing::trace!(port = %self.port_name, "bytes before rx was subscribed dropped");
            return;
        }
        if let Some(events) = &self.events {
            events.do_send(HardwareEvent::Notification {
                endpoint: Endpoint::Rx,
                data: message.0,
            });
        }
    }
}

impl Handler<PortFailed> for SerialHardware {
    type Result = ();

    fn handle(&mut self, message: PortFailed, ctx: &mut Self::Context) {
        tracing::info!(port = %self.port_name, reason = %message.0, "serial device lost");
        ctx.stop();
    }
}

impl Handler<HardwareCall> for SerialHardware {
    type Result = ResponseFuture<Result<HardwareReply, HardwareError>>;

    /// A write is answered once the writer thread has written and flushed it (or failed to).
    fn handle(&mut self, call: HardwareCall, ctx: &mut Self::Context) -> Self::Result {
        let written = match self.answer(call, ctx) {
            Ok(Some(written)) => written,
            Ok(None) => return Box::pin(async { Ok(HardwareReply::Done) }),
            Err(error) => return Box::pin(async move { Err(error) }),
        };
        Box::pin(async move {
            match written.await {
                Ok(Ok(())) => Ok(HardwareReply::Done),
                Ok(Err(reason)) => Err(HardwareError::Transport(reason)),
                Err(_) => Err(HardwareError::Disconnected),
            }
        })
    }
}

impl SerialHardware {
    /// Does what the call asks; a write hands back where its outcome will arrive.
    fn answer(
        &mut self,
        call: HardwareCall,
        ctx: &mut Context<Self>,
    ) -> Result<Option<oneshot::Receiver<Result<(), String>>>, HardwareError> {
        match call {
            HardwareCall::Attach { events } => self.events = Some(events),
            HardwareCall::Command(HardwareCommand::Write { endpoint, data, .. }) => {
                if endpoint != Endpoint::Tx {
                    return Err(HardwareError::InvalidEndpoint(endpoint));
                }
                let (outcome, written) = oneshot::channel();
                let sent = self
                    .writes
                    .as_ref()
                    .is_some_and(|writes| writes.send((data, outcome)).is_ok());
                if !sent {
                    return Err(HardwareError::Disconnected);
                }
                return Ok(Some(written));
            }
            HardwareCall::Command(HardwareCommand::Subscribe { endpoint }) => {
                if endpoint != Endpoint::Rx {
                    return Err(HardwareError::InvalidEndpoint(endpoint));
                }
                self.rx_subscribed = true;
            }
            HardwareCall::Command(HardwareCommand::Unsubscribe { .. }) => {
                self.rx_subscribed = false
            }
            HardwareCall::Read { endpoint, .. } => {
                return Err(HardwareError::InvalidEndpoint(endpoint))
            }
            HardwareCall::Disconnect => {
                self.events = None;
                ctx.stop();
            }
        }
        Ok(None)
    }
}
