//! The REST API under `/api/v1`: the reference server's routes (Intiface Engine's
//! `--rest-api-port`), same paths, devices in the same JSON shape (`index`, `name`,
//! `display_name`, `features` keyed by index, each feature in the spec v4 form). Every command
//! goes to the Server as an ordinary client request of the web's observer session, so the
//! Device validates it exactly as it would a WebSocket client's. Errors come back as
//! `{"ErrorCode": n, "ErrorMessage": "..."}` with the Buttplug ErrorCode.

use crate::hub::Listen;
use crate::snapshot::observe;
use crate::WebState;
use actix_web::{http::StatusCode, web, HttpResponse};
use futures_util::stream;
use plugd_core::{DeviceIndex, FeatureIndex, InputCommand, InputKind, OutputKind};
use plugd_device::device_manager::ListDevices;
use plugd_messages::{
    render, ButtplugError, DeviceError, DeviceInfo, InputRequest, MessageError, OutputCommand,
    OutputRequest, Reply, ReplyShape, Request, SpecVersion, StopRequest, UnknownError,
};
use plugd_server::ClientRequest;
use serde_json::{json, Map, Value};

/// Sends `request` as the web's client; the Server's reply or its error.
async fn ask(state: &WebState, request: Request) -> Result<Reply, ButtplugError> {
    state
        .server
        .send(ClientRequest {
            session: state.session,
            request,
        })
        .await
        .unwrap_or_else(|_| Err(UnknownError::NoDeviceManager.into()))
}

/// An error as the REST API answers it.
pub fn error_response(error: &ButtplugError) -> HttpResponse {
    let status = match error {
        ButtplugError::ButtplugDeviceError(
            DeviceError::DeviceNotAvailable(_) | DeviceError::DeviceFeatureIndexError(..),
        ) => StatusCode::NOT_FOUND,
        ButtplugError::ButtplugUnknownError(_) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    };
    // The message text is the one a WebSocket client gets in its ErrorMessage.
    let rendered: Value = serde_json::from_str(&render::error(0, error)).unwrap_or(Value::Null);
    let message = rendered
        .pointer("/0/Error/ErrorMessage")
        .cloned()
        .unwrap_or_else(|| Value::String(error.to_string()));
    HttpResponse::build(status).json(json!({
        "ErrorCode": error.code() as u32,
        "ErrorMessage": message,
    }))
}

fn done(result: Result<Reply, ButtplugError>) -> HttpResponse {
    match result {
        Ok(_) => HttpResponse::Ok().finish(),
        Err(error) => error_response(&error),
    }
}

async fn devices(state: &WebState) -> Result<Vec<DeviceInfo>, ButtplugError> {
    match ask(state, Request::RequestDeviceList).await? {
        Reply::DeviceList(devices) => Ok(devices),
        _ => Err(UnknownError::NoDeviceManager.into()),
    }
}

/// One device, looked up directly (not counted as a client request: the command that follows
/// is).
async fn device(state: &WebState, index: u32) -> Result<DeviceInfo, ButtplugError> {
    state
        .device_manager
        .send(ListDevices)
        .await
        .map_err(|_| ButtplugError::from(UnknownError::NoDeviceManager))?
        .into_iter()
        .find(|device| device.index.0 == index)
        .ok_or_else(|| DeviceError::DeviceNotAvailable(index).into())
}

/// The reference's device JSON: `{index, name, display_name, features: {"0": {...}}}`, each
/// feature as spec v4 renders it.
pub fn device_json(device: &DeviceInfo) -> Value {
    let rendered = render::reply(
        SpecVersion::V4,
        0,
        &ReplyShape::DeviceList,
        &Reply::DeviceList(vec![device.clone()]),
    );
    let parsed: Value = serde_json::from_str(&rendered).unwrap_or(Value::Null);
    let features = parsed
        .pointer(&format!(
            "/0/DeviceList/Devices/{}/DeviceFeatures",
            device.index.0
        ))
        .cloned()
        .unwrap_or_else(|| Value::Object(Map::new()));
    json!({
        "index": device.index.0,
        "name": device.name,
        "display_name": device.display_name,
        "features": features,
    })
}

fn bad_request(message: String) -> ButtplugError {
    MessageError::InvalidMessageContents(message).into()
}

fn output_kind(name: &str) -> Result<OutputKind, ButtplugError> {
    OutputKind::ALL
        .into_iter()
        .find(|kind| kind.wire_name().eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            let known: Vec<&str> = OutputKind::ALL
                .iter()
                .map(|kind| kind.wire_name())
                .collect();
            bad_request(format!(
                "{name} is not an output type; output types are {}",
                known.join(", ")
            ))
        })
}

fn input_kind(name: &str) -> Result<InputKind, ButtplugError> {
    InputKind::from_wire_name(name)
        .or_else(|_| {
            // Accept any capitalisation: `battery`, `Battery`.
            let mut chars = name.chars();
            let capitalised: String = chars
                .next()
                .map(|first| {
                    first.to_ascii_uppercase().to_string() + &chars.as_str().to_ascii_lowercase()
                })
                .unwrap_or_default();
            InputKind::from_wire_name(&capitalised)
        })
        .map_err(|_| bad_request(format!("{name} is not an input type")))
}

fn input_command(name: &str) -> Result<InputCommand, ButtplugError> {
    match name.to_ascii_lowercase().as_str() {
        "read" => Ok(InputCommand::Read),
        "subscribe" => Ok(InputCommand::Subscribe),
        "unsubscribe" => Ok(InputCommand::Unsubscribe),
        _ => Err(bad_request(format!(
            "{name} is not an input command; input commands are read, subscribe, unsubscribe"
        ))),
    }
}

/// Query string of the output routes: `HwPositionWithDuration` needs the move's duration.
#[derive(Debug, serde::Deserialize)]
pub struct OutputQuery {
    /// Milliseconds.
    duration: Option<u32>,
}

/// Turns a level (0.0–1.0; −1.0–1.0 for outputs with a direction) into the output's step.
fn step_for(
    device: &DeviceInfo,
    feature: FeatureIndex,
    kind: OutputKind,
    level: f64,
    duration: Option<u32>,
) -> Result<OutputCommand, ButtplugError> {
    let info = device
        .feature(feature)
        .ok_or(DeviceError::DeviceFeatureIndexError(
            u32::try_from(device.features.len()).unwrap_or(u32::MAX),
            feature.0,
        ))?;
    let output = info.output(kind).ok_or_else(|| {
        ButtplugError::from(DeviceError::MessageNotSupported(format!(
            "feature {} of device {} has no {} output",
            feature.0,
            device.index.0,
            kind.wire_name()
        )))
    })?;
    if !level.is_finite() || !(-1.0..=1.0).contains(&level) {
        return Err(bad_request(format!(
            "level {level} is outside -1.0..1.0 (a fraction of the output's range)"
        )));
    }
    if kind == OutputKind::HwPositionWithDuration && duration.is_none() {
        return Err(bad_request(
            "HwPositionWithDuration needs ?duration=<milliseconds>".to_string(),
        ));
    }
    let step = (level * f64::from(output.step_count())).round() as i32;
    Ok(OutputCommand {
        feature,
        kind,
        value: step,
        duration: if kind == OutputKind::HwPositionWithDuration {
            duration
        } else {
            None
        },
    })
}

/// `GET /start-scanning`.
pub async fn start_scanning(state: web::Data<WebState>) -> HttpResponse {
    done(ask(&state, Request::StartScanning).await)
}

/// `GET /stop-scanning`.
pub async fn stop_scanning(state: web::Data<WebState>) -> HttpResponse {
    done(ask(&state, Request::StopScanning).await)
}

/// `GET /devices`: every device by index.
pub async fn list_devices(state: web::Data<WebState>) -> HttpResponse {
    match devices(&state).await {
        Ok(devices) => {
            let map: Map<String, Value> = devices
                .iter()
                .map(|device| (device.index.0.to_string(), device_json(device)))
                .collect();
            HttpResponse::Ok().json(Value::Object(map))
        }
        Err(error) => error_response(&error),
    }
}

/// `GET /devices/{index}`.
pub async fn device_info(state: web::Data<WebState>, path: web::Path<u32>) -> HttpResponse {
    match device(&state, path.into_inner()).await {
        Ok(device) => HttpResponse::Ok().json(device_json(&device)),
        Err(error) => error_response(&error),
    }
}

/// `GET /devices/{index}/features`.
pub async fn device_features(state: web::Data<WebState>, path: web::Path<u32>) -> HttpResponse {
    match device(&state, path.into_inner()).await {
        Ok(device) => HttpResponse::Ok().json(&device_json(&device)["features"]),
        Err(error) => error_response(&error),
    }
}

/// `GET|PUT /devices/{index}/features/{feature}/`.
pub async fn feature_info(state: web::Data<WebState>, path: web::Path<(u32, u32)>) -> HttpResponse {
    let (index, feature) = path.into_inner();
    let device = match device(&state, index).await {
        Ok(device) => device,
        Err(error) => return error_response(&error),
    };
    match device_json(&device)["features"].get(feature.to_string()) {
        Some(feature) => HttpResponse::Ok().json(feature),
        None => error_response(
            &DeviceError::DeviceFeatureIndexError(
                u32::try_from(device.features.len()).unwrap_or(u32::MAX),
                feature,
            )
            .into(),
        ),
    }
}

/// `PUT /devices/stop`.
pub async fn stop_all(state: web::Data<WebState>) -> HttpResponse {
    done(ask(&state, Request::Stop(StopRequest::ALL)).await)
}

/// `PUT /devices/{index}/stop`.
pub async fn stop_device(state: web::Data<WebState>, path: web::Path<u32>) -> HttpResponse {
    let index = DeviceIndex(path.into_inner());
    done(ask(&state, Request::Stop(StopRequest::device(index))).await)
}

/// `PUT /devices/{index}/outputs/{output_type}/{level}`: every feature with that output.
pub async fn device_output(
    state: web::Data<WebState>,
    path: web::Path<(u32, String, f64)>,
    query: web::Query<OutputQuery>,
) -> HttpResponse {
    let (index, kind, level) = path.into_inner();
    let result = async {
        let kind = output_kind(&kind)?;
        let device = device(&state, index).await?;
        let commands = device
            .features
            .iter()
            .filter(|feature| feature.output(kind).is_some())
            .map(|feature| step_for(&device, feature.index, kind, level, query.duration))
            .collect::<Result<Vec<_>, _>>()?;
        if commands.is_empty() {
            return Err(DeviceError::MessageNotSupported(format!(
                "device {index} has no {} output",
                kind.wire_name()
            ))
            .into());
        }
        ask(
            &state,
            Request::Output(OutputRequest {
                device: device.index,
                commands,
            }),
        )
        .await
    }
    .await;
    done(result)
}

/// `PUT /devices/{index}/features/{feature}/outputs/{output_type}/{level}`.
pub async fn feature_output(
    state: web::Data<WebState>,
    path: web::Path<(u32, u32, String, f64)>,
    query: web::Query<OutputQuery>,
) -> HttpResponse {
    let (index, feature, kind, level) = path.into_inner();
    let result = async {
        let kind = output_kind(&kind)?;
        let device = device(&state, index).await?;
        let command = step_for(&device, FeatureIndex(feature), kind, level, query.duration)?;
        ask(
            &state,
            Request::Output(OutputRequest {
                device: device.index,
                commands: vec![command],
            }),
        )
        .await
    }
    .await;
    done(result)
}

async fn run_input(
    state: &WebState,
    index: u32,
    feature: Option<u32>,
    kind: &str,
    command: &str,
) -> Result<Reply, ButtplugError> {
    let kind = input_kind(kind)?;
    let command = input_command(command)?;
    let device = device(state, index).await?;
    let feature = match feature {
        Some(feature) => FeatureIndex(feature),
        None => device
            .features
            .iter()
            .find(|candidate| candidate.inputs.iter().any(|input| input.kind == kind))
            .map(|candidate| candidate.index)
            .ok_or_else(|| {
                ButtplugError::from(DeviceError::MessageNotSupported(format!(
                    "device {index} has no {} input",
                    kind.wire_name()
                )))
            })?,
    };
    ask(
        state,
        Request::Input(InputRequest {
            device: device.index,
            feature,
            kind,
            command,
        }),
    )
    .await
}

fn input_response(result: Result<Reply, ButtplugError>) -> HttpResponse {
    match result {
        Ok(Reply::Reading(reading)) => HttpResponse::Ok().json(json!({
            "index": reading.device.0,
            "feature": reading.feature.0,
            "type": reading.kind.wire_name(),
            "value": reading.value,
        })),
        Ok(_) => HttpResponse::Ok().finish(),
        Err(error) => error_response(&error),
    }
}

/// `PUT /devices/{index}/inputs/{input_type}/{command}`: the first feature with that input.
pub async fn device_input(
    state: web::Data<WebState>,
    path: web::Path<(u32, String, String)>,
) -> HttpResponse {
    let (index, kind, command) = path.into_inner();
    input_response(run_input(&state, index, None, &kind, &command).await)
}

/// `PUT /devices/{index}/features/{feature}/inputs/{input_type}/{command}`.
pub async fn feature_input(
    state: web::Data<WebState>,
    path: web::Path<(u32, u32, String, String)>,
) -> HttpResponse {
    let (index, feature, kind, command) = path.into_inner();
    input_response(run_input(&state, index, Some(feature), &kind, &command).await)
}

/// `GET /status` (plugd's own): the snapshot the dashboard's `status` events carry.
pub async fn status(state: web::Data<WebState>) -> HttpResponse {
    match observe(&state.server, &state.device_manager).await {
        Some(snapshot) => HttpResponse::Ok().json(snapshot.to_json()),
        None => error_response(&UnknownError::NoDeviceManager.into()),
    }
}

fn event_stream(receiver: tokio::sync::mpsc::Receiver<web::Bytes>) -> HttpResponse {
    let frames = stream::unfold(receiver, |mut receiver| async move {
        receiver
            .recv()
            .await
            .map(|frame| (Ok::<_, actix_web::Error>(frame), receiver))
    });
    HttpResponse::Ok()
        .insert_header(("Content-Type", "text/event-stream"))
        .insert_header(("Cache-Control", "no-cache"))
        .streaming(frames)
}

/// `GET /events`: server-sent events for the whole server (`status`, `scanning-finished`,
/// `reading`).
pub async fn server_events(state: web::Data<WebState>) -> HttpResponse {
    match state.hub.send(Listen { device: None }).await {
        Ok(receiver) => event_stream(receiver),
        Err(_) => error_response(&UnknownError::NoDeviceManager.into()),
    }
}

/// `GET /devices/{index}/events`: one device's events (`device`, `reading`, `removed`).
pub async fn device_events(state: web::Data<WebState>, path: web::Path<u32>) -> HttpResponse {
    let index = path.into_inner();
    if let Err(error) = device(&state, index).await {
        return error_response(&error);
    }
    match state
        .hub
        .send(Listen {
            device: Some(index),
        })
        .await
    {
        Ok(receiver) => event_stream(receiver),
        Err(_) => error_response(&UnknownError::NoDeviceManager.into()),
    }
}
