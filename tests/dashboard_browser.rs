//! The dashboard in a real browser: `plugd --demo` plus a simulated Lovense on the device
//! WebSocket, headless Chromium driven over WebDriver (chromedriver, raw HTTP). The page must
//! list the demo devices, a slider moved by a click must reach the simulated device as its
//! bytes, and STOP ALL must write the stop bytes. A screenshot of the page is saved
//! (`PLUGD_DASHBOARD_SCREENSHOT`, else in the test's temporary directory).
//!
//! Needs Debian's `chromium` and `chromium-driver` (scripts/system-deps installs them). Without
//! them the test fails under CI=true and is skipped with a reason otherwise.

mod support;
#[path = "web_http.rs"]
mod web_http;

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;
use support::{lovense, Plugd};
use web_http::{base_url, request_with_body};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
const WAIT: Duration = Duration::from_secs(30);

fn find_program(candidates: &[&str]) -> Option<PathBuf> {
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|path| path.exists())
}

/// chromedriver on a free port, killed when dropped.
struct Driver {
    child: Child,
    base: String,
}

impl Driver {
    fn start(program: &Path) -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|address| address.port())
            .expect("a free port");
        let mut child = Command::new(program)
            .arg(format!("--port={port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let stdout = child.stdout.take().expect("chromedriver stdout");
        let (sender, started) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.contains("started successfully") {
                    let _ = sender.send(());
                }
            }
        });
        if started.recv_timeout(WAIT).is_err() {
            let _ = child.kill();
            panic!("chromedriver did not start within {WAIT:?}");
        }
        Driver {
            child,
            base: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One WebDriver session.
struct Browser<'a> {
    driver: &'a Driver,
    session: String,
}

impl<'a> Browser<'a> {
    fn open(driver: &'a Driver, chromium: &Path, profile: &Path) -> Browser<'a> {
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--window-size=1280,1100",
                    format!("--user-data-dir={}", profile.display()),
                ],
            },
        }}});
        let answer = call(driver, "POST", "/session", &capabilities);
        let session = answer["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {answer}"))
            .to_string();
        let browser = Browser { driver, session };
        browser.command(
            "POST",
            "/timeouts",
            &json!({"script": 30_000, "pageLoad": 30_000}),
        );
        browser
    }

    fn command(&self, method: &str, path: &str, body: &Value) -> Value {
        call(
            self.driver,
            method,
            &format!("/session/{}{path}", self.session),
            body,
        )
    }

    /// Runs `script` in the page; it must call `arguments[arguments.length - 1](result)`.
    fn run_async(&self, script: &str, args: Value) -> Value {
        let answer = self.command(
            "POST",
            "/execute/async",
            &json!({"script": script, "args": args}),
        );
        assert!(answer["value"].get("error").is_none(), "{answer}");
        answer["value"].clone()
    }

    fn run(&self, script: &str, args: Value) -> Value {
        let answer = self.command(
            "POST",
            "/execute/sync",
            &json!({"script": script, "args": args}),
        );
        assert!(answer["value"].get("error").is_none(), "{answer}");
        answer["value"].clone()
    }

    fn element(&self, selector: &str) -> String {
        let answer = self.command(
            "POST",
            "/element",
            &json!({"using": "css selector", "value": selector}),
        );
        answer["value"][ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {selector}: {answer}"))
            .to_string()
    }

    fn click(&self, selector: &str) {
        let element = self.element(selector);
        let answer = self.command("POST", &format!("/element/{element}/click"), &json!({}));
        assert!(answer["value"].is_null(), "click {selector}: {answer}");
    }

    /// Waits in the page (bounded by the script timeout) until `condition` (a JS expression
    /// over `arguments[0..]`, the elements of `args`) holds; returns its value.
    fn wait_until(&self, condition: &str, args: Value) -> Value {
        let script = format!(
            "const done = arguments[arguments.length - 1];
             const given = Array.prototype.slice.call(arguments, 0, arguments.length - 1);
             const test = function() {{ return {condition}; }};
             const check = () => {{ const value = test.apply(null, given);
                                    if (value) done(value); else requestAnimationFrame(check); }};
             check();"
        );
        self.run_async(&script, args)
    }

    fn screenshot(&self) -> Vec<u8> {
        let answer = self.command("GET", "/screenshot", &Value::Null);
        decode_base64(answer["value"].as_str().unwrap_or_default())
    }
}

impl Drop for Browser<'_> {
    fn drop(&mut self) {
        let _ = call(
            self.driver,
            "DELETE",
            &format!("/session/{}", self.session),
            &Value::Null,
        );
    }
}

fn call(driver: &Driver, method: &str, path: &str, body: &Value) -> Value {
    let body = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    let response = request_with_body(&driver.base, method, path, &body, WAIT);
    serde_json::from_str(&response.body)
        .unwrap_or_else(|error| panic!("WebDriver {method} {path}: {error}: {}", response.body))
}

fn decode_base64(text: &str) -> Vec<u8> {
    let value = |byte: u8| -> Option<u32> {
        match byte {
            b'A'..=b'Z' => Some(u32::from(byte - b'A')),
            b'a'..=b'z' => Some(u32::from(byte - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(byte - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    };
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0;
    for byte in text.bytes().filter_map(value) {
        buffer = (buffer << 6) | byte;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    out
}

#[test]
fn dashboard_shows_the_demo_devices_drives_a_slider_and_stops_everything_in_chromium() {
    let chromium = find_program(&["/usr/lib/chromium/chromium", "/usr/bin/chromium"]);
    let chromedriver = find_program(&["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]);
    let (Some(chromium), Some(chromedriver)) = (chromium, chromedriver) else {
        let reason = "Chromium or chromedriver is missing (Debian: chromium chromium-driver; \
                      scripts/system-deps with PLUGD_NEED_BROWSER=1 installs them)";
        if std::env::var("CI").is_ok_and(|value| value == "true") {
            panic!("{reason}");
        }
        eprintln!("skipped: {reason}");
        return;
    };

    let plugd = Plugd::start(&["--demo"]);
    let mut toy = lovense(&plugd, "Z", "browser-hush");
    let page = format!("{}/", base_url(&plugd.client_url));

    let profile = std::env::temp_dir().join(format!("plugd-chromium-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&profile);
    let driver = Driver::start(&chromedriver);
    let browser = Browser::open(&driver, &chromium, &profile);
    browser.command("POST", "/url", &json!({"url": page}));

    // The five demo devices and the simulated Lovense appear, live.
    browser.wait_until(
        "document.querySelectorAll('.device').length === 6 && document.getElementById('connection').textContent === 'live'",
        json!([]),
    );
    let mut names: Vec<String> = browser
        .run(
            "return Array.from(document.querySelectorAll('.device')).map(card => card.dataset.name);",
            json!([]),
        )
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|name| name.as_str().map(str::to_string))
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec![
            "Lovense Edge",
            "Lovense Hush",
            "Lovense Nora",
            "Simulated 2-Motor Vibrator",
            "Simulated Rotator",
            "Simulated Stroker"
        ]
    );

    // The page reads each device's battery once: the Hush answers 90 %.
    assert_eq!(toy.expect_write_text("Battery;"), "Battery;");
    toy.notify("rx", b"90;");
    browser.wait_until(
        "document.querySelector(\".device[data-name='Lovense Hush'] .meta\").textContent.includes('battery 90%')",
        json!([]),
    );

    // A click in the middle of the Hush's slider drives it; the device gets the bytes and the
    // page shows the level the device reports.
    let slider = ".device[data-name='Lovense Hush'] input[data-output='Vibrate']";
    browser.click(slider);
    let value = browser
        .run(
            "return document.querySelector(arguments[0]).value;",
            json!([slider]),
        )
        .as_str()
        .and_then(|value| value.parse::<u32>().ok())
        .expect("the slider's value");
    assert!(value > 0, "the click left the slider at 0");
    let expected = format!("Vibrate:{value};");
    assert_eq!(toy.expect_write_text(&expected), expected);
    browser.wait_until(
        "document.querySelector(arguments[0]).parentElement.querySelector('.level').textContent === arguments[1]",
        json!([slider, value.to_string()]),
    );
    // A demo device too: its slider's level comes back through the live events.
    let nora = ".device[data-name='Lovense Nora'] input[data-output='Vibrate']";
    browser.click(nora);
    browser.wait_until(
        "Number(document.querySelector(arguments[0]).parentElement.dataset.level) > 0",
        json!([nora]),
    );
    // The errors panel and counters come from the same stream.
    browser.wait_until(
        "Number(document.getElementById('total').textContent) >= 2",
        json!([]),
    );

    let screenshot = browser.screenshot();
    assert!(screenshot.starts_with(b"\x89PNG"), "not a PNG screenshot");
    let target = std::env::var_os("PLUGD_DASHBOARD_SCREENSHOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dashboard.png"));
    std::fs::write(&target, &screenshot).expect("save the screenshot");
    eprintln!("screenshot: {}", target.display());

    // STOP ALL: the stop bytes, and every level on the page back to 0.
    browser.click("#stop-all");
    assert_eq!(toy.expect_write_text("Vibrate:0;"), "Vibrate:0;");
    browser.wait_until(
        "Array.from(document.querySelectorAll('.output')).every(row => row.dataset.level === '0')",
        json!([]),
    );

    drop(browser);
    drop(driver);
    let _ = std::fs::remove_dir_all(&profile);
}
