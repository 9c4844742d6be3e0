//! LovenseDongleDcm at the actor level, the dongle played over a pseudo-terminal pair, with the
//! real DeviceConfig and DeviceManager: a toy the dongle already holds is announced without a
//! scan; a scan while a toy is connected finishes at once (one toy at a time); a find whose
//! search stop the dongle never confirms is announced after a grace period.

use actix::prelude::*;
use plugd_config::{DeviceConfigStore, DeviceDatabase};
use plugd_dcm_lovense_dongle::{DcmPeers, LovenseDongleDcm, OpenedDongle};
use plugd_device::device_manager::{DeviceManagerEvent, StartScanningAll, SubscribeDeviceEvents};
use plugd_device::{DeviceConfig, DeviceManager};
use plugd_messages::DeviceInfo;
use serialport::{SerialPort, TTYPort};
use std::io::{Read, Write};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

const WAIT: Duration = Duration::from_secs(10);

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

/// The dongle's end of the line, on a thread of its own (blocking reads): it waits for each
/// `(expected, answer)` in turn and writes the answer lines.
fn play_dongle(
    mut line: TTYPort,
    script: Vec<(&'static str, Vec<String>)>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut pending = String::new();
        let mut buffer = [0_u8; 512];
        for (expected, answers) in script {
            let deadline = Instant::now() + WAIT;
            loop {
                assert!(
                    Instant::now() < deadline,
                    "the dongle never got {expected:?}: {pending:?}"
                );
                if let Some(position) = pending.find(expected) {
                    pending.drain(..position + expected.len());
                    break;
                }
                if let Ok(count) = line.read(&mut buffer) {
                    pending.push_str(&String::from_utf8_lossy(&buffer[..count]));
                }
            }
            for answer in answers {
                line.write_all(format!("{answer}\r\n").as_bytes())
                    .expect("answer");
            }
        }
        // Keep the line open until the test is done with it.
        let _ = line.read(&mut buffer);
    })
}

async fn rig(
    script: Vec<(&'static str, Vec<String>)>,
) -> (
    Addr<DeviceManager>,
    UnboundedReceiver<DeviceManagerEvent>,
    std::thread::JoinHandle<()>,
) {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("debug")
        .try_init();
    let (mut master, slave) = TTYPort::pair().expect("a pseudo-terminal pair");
    master
        .set_timeout(Duration::from_millis(100))
        .expect("timeout");
    let path = slave.name().expect("pty name");
    drop(slave);
    let port = serialport::new(&path, 115_200)
        .timeout(Duration::from_millis(100))
        .open()
        .expect("open the pty");
    let dongle = play_dongle(master, script);
    let config = DeviceConfig::new(DeviceConfigStore::new(DeviceDatabase::builtin(), None)).start();
    let manager = DeviceManager::new(config.clone()).start();
    let (sender, events) = unbounded_channel();
    manager
        .send(SubscribeDeviceEvents(Events(sender).start().recipient()))
        .await
        .expect("subscribe");
    let dcm = LovenseDongleDcm::new(
        "lovense-dongle-serial",
        OpenedDongle::from_serial(path, port),
        DcmPeers::new(&config, &manager),
    )
    .start();
    manager
        .send(plugd_dcm_lovense_dongle::registration(
            &dcm,
            "lovense-dongle-serial",
        ))
        .await
        .expect("register");
    (manager, events, dongle)
}

async fn next_list(events: &mut UnboundedReceiver<DeviceManagerEvent>) -> Vec<DeviceInfo> {
    loop {
        match tokio::time::timeout(WAIT, events.recv()).await {
            Ok(Some(DeviceManagerEvent::DeviceListChanged(devices))) if !devices.is_empty() => {
                return devices
            }
            Ok(Some(_)) => continue,
            other => panic!("no device came: {other:?}"),
        }
    }
}

fn toy_reply(model: &str) -> String {
    format!(
        r#"{{"type":"toy","func":"toyData","data":{{"id":"DC0D300516D5","data":"{model}:37:DC0D300516D5;"}}}}"#
    )
}

#[actix_rt::test]
async fn a_toy_the_dongle_already_holds_is_announced_and_a_scan_then_finishes_at_once() {
    let script = vec![
        (
            r#"{"type":"toy","func":"statuss"}"#,
            vec![r#"{"type":"toy","func":"status","result":200,"data":{"id":"DC0D300516D5","status":202}}"#.to_string()],
        ),
        (r#""cmd":"DeviceType;""#, vec![toy_reply("P")]),
    ];
    let (manager, mut events, _dongle) = rig(script).await;
    let devices = next_list(&mut events).await;
    assert_eq!(devices[0].name, "Lovense Edge");
    assert_eq!(
        devices[0].message_timing_gap_ms, 75,
        "upstream's dongle gap"
    );
    manager.send(StartScanningAll).await.expect("scan");
    loop {
        match tokio::time::timeout(WAIT, events.recv()).await {
            Ok(Some(DeviceManagerEvent::ScanningFinished)) => break,
            Ok(Some(_)) => continue,
            other => panic!("the scan never finished: {other:?}"),
        }
    }
}

#[actix_rt::test]
async fn a_find_whose_stop_is_never_confirmed_is_announced_after_the_grace_period() {
    let script = vec![
        (r#"{"type":"toy","func":"statuss"}"#, vec![]),
        (
            r#"{"type":"toy","func":"search"}"#,
            vec![r#"{"type":"toy","func":"toyData","data":{"id":"DC0D300516D5"}}"#.to_string()],
        ),
        (r#"{"type":"usb","func":"stopSearch"}"#, vec![]),
        (r#""cmd":"DeviceType;""#, vec![toy_reply("S")]),
    ];
    let (manager, mut events, _dongle) = rig(script).await;
    manager.send(StartScanningAll).await.expect("scan");
    let devices = next_list(&mut events).await;
    assert_eq!(devices[0].name, "Lovense Lush");
}
