//! The minimal relay: the floor any Buttplug server can reach on this machine. It accepts one
//! raw-pipe device (upstream greeting) and one client at a time, answers the v3 handshake and
//! device list, turns each `ScalarCmd` into `Vibrate:N;` (the reference's `ceil(20 × scalar)`)
//! written as one binary frame to the device, and replies `Ok`. TCP_NODELAY on every socket.
//! plugd's overhead is its distance to this.

use std::sync::Arc;

use anyhow::{Context, Result};
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Mutex};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::wire::step_for_scalar;

type DeviceSink = Arc<Mutex<Option<SplitSink<WebSocketStream<TcpStream>, Message>>>>;

/// The Lush's step count.
const STEPS: u32 = 20;

/// Binds both ports on 127.0.0.1, prints the two `relay listening:` lines and serves forever.
pub async fn serve(client_port: u16, device_port: u16) -> Result<()> {
    let clients = TcpListener::bind(("127.0.0.1", client_port))
        .await
        .context("binding the client port")?;
    let devices = TcpListener::bind(("127.0.0.1", device_port))
        .await
        .context("binding the device port")?;
    println!("relay listening: clients ws://{}/", clients.local_addr()?);
    println!("relay listening: devices ws://{}/", devices.local_addr()?);
    let device: DeviceSink = Arc::default();
    let (present, _) = watch::channel(false);
    let present = Arc::new(present);
    tokio::spawn(accept_devices(devices, device.clone(), present.clone()));
    loop {
        let (stream, _) = clients.accept().await?;
        stream.set_nodelay(true)?;
        if let Ok(socket) = tokio_tungstenite::accept_async(stream).await {
            // One client at a time, like the reference.
            let _ = serve_client(socket, &device, present.subscribe()).await;
        }
    }
}

/// Accepts devices; the latest one to greet is the device.
async fn accept_devices(
    listener: TcpListener,
    device: DeviceSink,
    present: Arc<watch::Sender<bool>>,
) -> Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        let Ok(socket) = tokio_tungstenite::accept_async(stream).await else {
            continue;
        };
        let (sink, mut source) = socket.split();
        let (device, present) = (device.clone(), present.clone());
        tokio::spawn(async move {
            // The greeting: {"identifier": ..., "address": ..., "version": 0}.
            let Some(Ok(Message::Text(greeting))) = source.next().await else {
                return;
            };
            if serde_json::from_str::<Value>(&greeting)
                .ok()
                .and_then(|g| g.get("identifier").cloned())
                .is_none()
            {
                return;
            }
            *device.lock().await = Some(sink);
            present.send_replace(true);
            // Notifications are ignored; the device is gone when its socket closes.
            while let Some(Ok(_)) = source.next().await {}
            *device.lock().await = None;
            present.send_replace(false);
        });
    }
}

/// The v3 description of the one device.
fn lush() -> Value {
    json!({"DeviceIndex": 0, "DeviceName": "Lovense Lush", "DeviceMessageTimingGap": 0,
           "DeviceMessages": {"ScalarCmd": [{"ActuatorType": "Vibrate", "FeatureDescriptor": "", "StepCount": STEPS}],
                              "StopDeviceCmd": {}}})
}

fn error(id: u64, code: u32, message: &str) -> Value {
    json!({"Error": {"ErrorCode": code, "ErrorMessage": message, "Id": id}})
}

async fn serve_client(
    socket: WebSocketStream<TcpStream>,
    device: &DeviceSink,
    mut present: watch::Receiver<bool>,
) -> Result<()> {
    let (mut sink, mut source) = socket.split();
    let mut handshaken = false;
    loop {
        let text = tokio::select! {
            frame = source.next() => match frame {
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return Ok(()),
                Some(Ok(_)) => continue,
            },
            changed = present.changed(), if handshaken => {
                changed?;
                let event = if *present.borrow_and_update() {
                    json!([{"DeviceAdded": {"Id": 0, "DeviceIndex": 0, "DeviceName": "Lovense Lush", "DeviceMessageTimingGap": 0, "DeviceMessages": lush()["DeviceMessages"]}}])
                } else {
                    json!([{"DeviceRemoved": {"Id": 0, "DeviceIndex": 0}}])
                };
                sink.send(Message::Text(event.to_string())).await?;
                continue;
            }
        };
        let messages: Vec<Value> = serde_json::from_str(&text).unwrap_or_default();
        for message in messages {
            let Some((name, body)) = message.as_object().and_then(|object| object.iter().next())
            else {
                continue;
            };
            let id = body.get("Id").and_then(Value::as_u64).unwrap_or(0);
            let reply = match name.as_str() {
                "RequestServerInfo" => {
                    handshaken = true;
                    present.borrow_and_update();
                    json!({"ServerInfo": {"Id": id, "MaxPingTime": 0, "MessageVersion": 3, "ServerName": "plugd minimal relay"}})
                }
                "RequestDeviceList" => {
                    let devices: Vec<Value> = if device.lock().await.is_some() {
                        vec![lush()]
                    } else {
                        Vec::new()
                    };
                    json!({"DeviceList": {"Devices": devices, "Id": id}})
                }
                "StartScanning" | "StopScanning" => json!({"Ok": {"Id": id}}),
                "ScalarCmd" | "StopDeviceCmd" | "StopAllDevices" => {
                    let value = body
                        .pointer("/Scalars/0/Scalar")
                        .and_then(Value::as_f64)
                        .unwrap_or(0.0);
                    let bytes = format!("Vibrate:{};", step_for_scalar(value, STEPS)).into_bytes();
                    match device.lock().await.as_mut() {
                        Some(device) => {
                            let _ = device.send(Message::Binary(bytes)).await;
                            json!({"Ok": {"Id": id}})
                        }
                        None => error(id, 4, "no device"),
                    }
                }
                _ => error(id, 3, "the minimal relay only does ScalarCmd"),
            };
            sink.send(Message::Text(json!([reply]).to_string())).await?;
        }
    }
}
