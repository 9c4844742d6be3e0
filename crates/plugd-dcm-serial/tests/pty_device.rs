//! A Lovense toy behind a pseudo-terminal: the user config puts a serial specifier on the pty's
//! slave side, SerialDcm opens it on a scan, identification and commands flow as bytes, and
//! closing the far side removes the device.

use actix::prelude::*;
use plugd_config::{DeviceConfigStore, DeviceDatabase, UserConfig};
use plugd_core::{FeatureIndex, OutputKind, SessionId};
use plugd_dcm_serial::SerialDcm;
use plugd_device::device_manager::{
    DeviceManagerEvent, RouteOutput, StartScanningAll, SubscribeDeviceEvents,
};
use plugd_device::{DeviceConfig, DeviceManager};
use plugd_messages::{OutputCommand, OutputRequest};
use serialport::{SerialPort, TTYPort};
use std::io::{Read, Write};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};

struct Events(UnboundedSender<DeviceManagerEvent>);

impl Actor for Events {
    type Context = Context<Self>;
}

impl Handler<DeviceManagerEvent> for Events {
    type Result = ();
    fn handle(&mut self, event: DeviceManagerEvent, _: &mut Self::Context) {
        let _ = self.0.send(event);
    }
}

/// Reads from the pty master until `expected` arrived (bounded).
fn expect_bytes(master: &mut TTYPort, expected: &[u8]) {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut got = Vec::new();
    let mut buffer = [0_u8; 256];
    while Instant::now() < deadline {
        match master.read(&mut buffer) {
            Ok(count) => {
                got.extend_from_slice(&buffer[..count]);
                if got.ends_with(expected) {
                    return;
                }
            }
            Err(_) => continue,
        }
    }
    panic!(
        "expected {:?} on the serial line, got {:?}",
        String::from_utf8_lossy(expected),
        String::from_utf8_lossy(&got)
    );
}

#[actix_rt::test]
async fn lovense_on_a_pty_is_identified_and_driven_over_serial() {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("debug")
        .try_init();
    let (master, slave) = TTYPort::pair().expect("a pseudo-terminal pair");
    let slave_path = slave.name().expect("pty slave name");
    drop(slave);
    let user = UserConfig::from_json(&format!(
        r#"{{"version":{{"major":4,"minor":0}},"user_configs":{{"protocols":{{"lovense":{{"communication":[{{"serial":{{"port":"{slave_path}","baud_rate":115200,"data_bits":8,"parity":"N","stop_bits":1}}}}]}}}}}}}}"#
    ))
    .expect("user config");
    let config = DeviceConfig::new(DeviceConfigStore::new(
        DeviceDatabase::builtin(),
        Some(user),
    ))
    .start();
    let manager = DeviceManager::new(config.clone()).start();
    let (sender, mut events) = unbounded_channel();
    let listener = Events(sender).start();
    manager
        .send(SubscribeDeviceEvents(listener.recipient()))
        .await
        .unwrap();
    let dcm = SerialDcm::new(config, manager.clone()).start();
    manager
        .send(plugd_dcm_serial::registration(&dcm))
        .await
        .unwrap();

    // The far end of the line plays the toy on a thread of its own (blocking reads).
    let toy = std::thread::spawn(move || {
        let mut master = master;
        master
            .set_timeout(Duration::from_millis(100))
            .expect("timeout");
        expect_bytes(&mut master, b"DeviceType;");
        master.write_all(b"S:37:PTY;").expect("answer DeviceType");
        expect_bytes(&mut master, b"Vibrate:10;");
        master
    });

    manager.send(StartScanningAll).await.unwrap();
    let index = loop {
        match tokio::time::timeout(Duration::from_secs(10), events.recv()).await {
            Ok(Some(DeviceManagerEvent::DeviceListChanged(devices))) if !devices.is_empty() => {
                assert_eq!(devices[0].name, "Lovense Lush");
                break devices[0].index;
            }
            Ok(Some(_)) => continue,
            other => panic!("the serial device never appeared: {other:?}"),
        }
    };
    manager
        .send(RouteOutput {
            session: Some(SessionId(1)),
            request: OutputRequest {
                device: index,
                commands: vec![OutputCommand {
                    feature: FeatureIndex(0),
                    kind: OutputKind::Vibrate,
                    value: 10,
                    duration: None,
                }],
            },
        })
        .await
        .unwrap()
        .unwrap();
    let master = tokio::task::spawn_blocking(move || toy.join().expect("toy thread"))
        .await
        .unwrap();
    // The toy goes away: the device is removed.
    drop(master);
    loop {
        match tokio::time::timeout(Duration::from_secs(10), events.recv()).await {
            Ok(Some(DeviceManagerEvent::DeviceListChanged(devices))) if devices.is_empty() => break,
            Ok(Some(_)) => continue,
            other => panic!("the serial device was never removed: {other:?}"),
        }
    }
}
