//! The official Buttplug Python client (PyPI `buttplug`, spec v4) against the real plugd binary:
//! connect, scan, find a simulated Lovense Lush, vibrate at 50 %, stop, disconnect. The device
//! must receive `Vibrate:10;` and then `Vibrate:0;`.
//!
//! The client lives in the virtualenv the test command creates (`.venv/` at the repository
//! root, see `scripts/test`); `PLUGD_PYTHON` points at another interpreter. Without one the test
//! is skipped with a reason, except under `CI=true`, where that is a failure.

mod support;

use std::path::PathBuf;
use std::process::Command;
use support::{lovense, Plugd};

fn python() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("PLUGD_PYTHON") {
        return Some(PathBuf::from(path));
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    let has_client = venv.is_file()
        && Command::new(&venv)
            .args(["-c", "import buttplug"])
            .status()
            .is_ok_and(|status| status.success());
    if has_client {
        return Some(venv);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("no Python with the buttplug client at {} and CI=true: run scripts/test, which installs it", venv.display());
    }
    eprintln!("skipped: no Python with the buttplug client (run scripts/test to create .venv)");
    None
}

#[test]
fn python_client_vibrates_a_simulated_lovense_and_stops_it() {
    let Some(python) = python() else {
        return;
    };
    let plugd = Plugd::start(&[]);
    let mut device = lovense(&plugd, "S", "python-test-lush");
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/python/client_roundtrip.py");
    let client = Command::new(python)
        .arg(script)
        .arg(&plugd.client_url)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the python client");
    assert_eq!(
        device.expect_write_text("the python client's vibrate"),
        "Vibrate:10;"
    );
    assert_eq!(
        device.expect_write_text("the python client's stop"),
        "Vibrate:0;"
    );
    let output = client.wait_with_output().expect("python client finished");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "python client failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("device 0 Lovense Lush"), "{stdout}");
    assert!(stdout.contains("disconnected"), "{stdout}");
}
