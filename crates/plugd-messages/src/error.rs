//! Buttplug errors: the one place that decides which ErrorCode a failure gets and how its
//! ErrorMessage reads. The message text is the JSON encoding of the reference server's error
//! enum (protocol.md §3), e.g. `{"ButtplugDeviceError":{"DeviceNotAvailable":3}}`, so that the
//! Rust client decodes it into a typed error; the other clients show it as text.

use serde::Serialize;

/// The wire `ErrorCode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// 0: ERROR_UNKNOWN.
    Unknown = 0,
    /// 1: ERROR_INIT (handshake).
    Init = 1,
    /// 2: ERROR_PING.
    Ping = 2,
    /// 3: ERROR_MSG (malformed or unsupported message).
    Message = 3,
    /// 4: ERROR_DEVICE.
    Device = 4,
}

/// Every error a client can be sent. Variant names and payloads follow the reference server's
/// enums, because their serde encoding is the ErrorMessage.
#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error)]
pub enum ButtplugError {
    /// Handshake problems (ERROR_INIT).
    #[error("handshake error: {0:?}")]
    ButtplugHandshakeError(HandshakeError),
    /// Ping problems (ERROR_PING).
    #[error("ping error: {0:?}")]
    ButtplugPingError(PingError),
    /// Malformed or unsupported messages (ERROR_MSG).
    #[error("message error: {0:?}")]
    ButtplugMessageError(MessageError),
    /// Device problems (ERROR_DEVICE).
    #[error("device error: {0:?}")]
    ButtplugDeviceError(DeviceError),
    /// Anything else (ERROR_UNKNOWN).
    #[error("unknown error: {0:?}")]
    ButtplugUnknownError(UnknownError),
}

/// ERROR_INIT variants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum HandshakeError {
    /// A message other than RequestServerInfo arrived before the handshake.
    RequestServerInfoExpected,
    /// A second RequestServerInfo on one connection.
    HandshakeAlreadyHappened,
    /// RequestServerInfo after the session ended.
    ReconnectDenied,
    /// The client's spec version is newer than the server's: (server, client).
    MessageSpecVersionMismatch(u32, u64),
}

/// ERROR_PING variants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum PingError {
    /// The ping deadline passed.
    PingedOut,
    /// `Ping` while MaxPingTime is 0.
    PingTimerNotRunning,
}

/// ERROR_MSG variants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum MessageError {
    /// The frame or a message in it could not be read: says what was wrong.
    MessageSerializationError(String),
    /// A field holds a value the message does not allow.
    InvalidMessageContents(String),
    /// A legacy command cannot be expressed for this device or is no longer supported.
    MessageConversionError(String),
    /// A message name unknown, or not part of the negotiated spec version.
    UnexpectedMessageType(String),
    /// A plugd limit was exceeded (frame size, message rate): says which.
    LimitExceeded(String),
}

/// ERROR_DEVICE variants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum DeviceError {
    /// No device with this index is connected.
    DeviceNotAvailable(u32),
    /// Feature index out of range: (feature count, index asked for).
    DeviceFeatureIndexError(u32, u32),
    /// A value outside the output's range: (limit, value).
    DeviceStepRangeError(i32, i32),
    /// A negative value for an output without direction.
    DeviceCommandSignError,
    /// The device cannot do what the message asks: names the message.
    MessageNotSupported(String),
    /// VibrateCmd and friends with more entries than the device has: (have, asked).
    DeviceFeatureCountMismatch(u32, u32),
    /// The device lacks the feature a legacy command needs.
    DeviceFeatureMismatch(String),
    /// The device definition lacks what the command needs.
    DeviceConfigurationError(String),
    /// The protocol cannot encode this command.
    UnhandledCommand(String),
    /// Talking to the hardware failed.
    DeviceCommunicationError(String),
    /// The device disconnected while the command was in flight.
    DeviceNotConnected(String),
    /// A raw message named an endpoint the device does not have (the 9.x variant).
    InvalidEndpoint(String),
}

/// ERROR_UNKNOWN variants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum UnknownError {
    /// The device manager is gone (shutting down).
    NoDeviceManager,
    /// Anything else, described.
    Other(String),
}

impl ButtplugError {
    /// The ErrorCode this error is sent with.
    pub fn code(&self) -> ErrorCode {
        match self {
            ButtplugError::ButtplugHandshakeError(_) => ErrorCode::Init,
            ButtplugError::ButtplugPingError(_) => ErrorCode::Ping,
            ButtplugError::ButtplugMessageError(_) => ErrorCode::Message,
            ButtplugError::ButtplugDeviceError(_) => ErrorCode::Device,
            ButtplugError::ButtplugUnknownError(_) => ErrorCode::Unknown,
        }
    }

    /// The ErrorMessage text: this error as JSON (protocol.md §3).
    pub fn message(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| format!("{self}"))
    }
}

/// The refusal of a raw message (`RawWriteCmd` …) while raw access is off: ERROR_MSG, saying
/// which flag turns it on.
pub fn raw_access_disabled(message: &str) -> ButtplugError {
    MessageError::MessageConversionError(format!(
        "{message} is disabled: raw device access is off unless plugd is started with \
         --allow-raw (dangerous: raw messages bypass every range check)"
    ))
    .into()
}

impl From<HandshakeError> for ButtplugError {
    fn from(error: HandshakeError) -> Self {
        ButtplugError::ButtplugHandshakeError(error)
    }
}

impl From<PingError> for ButtplugError {
    fn from(error: PingError) -> Self {
        ButtplugError::ButtplugPingError(error)
    }
}

impl From<MessageError> for ButtplugError {
    fn from(error: MessageError) -> Self {
        ButtplugError::ButtplugMessageError(error)
    }
}

impl From<DeviceError> for ButtplugError {
    fn from(error: DeviceError) -> Self {
        ButtplugError::ButtplugDeviceError(error)
    }
}

impl From<UnknownError> for ButtplugError {
    fn from(error: UnknownError) -> Self {
        ButtplugError::ButtplugUnknownError(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_use_the_reference_json_encoding() {
        let cases: [(ButtplugError, &str, ErrorCode); 4] = [
            (
                HandshakeError::HandshakeAlreadyHappened.into(),
                r#"{"ButtplugHandshakeError":"HandshakeAlreadyHappened"}"#,
                ErrorCode::Init,
            ),
            (
                PingError::PingedOut.into(),
                r#"{"ButtplugPingError":"PingedOut"}"#,
                ErrorCode::Ping,
            ),
            (
                DeviceError::DeviceNotAvailable(3).into(),
                r#"{"ButtplugDeviceError":{"DeviceNotAvailable":3}}"#,
                ErrorCode::Device,
            ),
            (
                DeviceError::DeviceFeatureIndexError(2, 5).into(),
                r#"{"ButtplugDeviceError":{"DeviceFeatureIndexError":[2,5]}}"#,
                ErrorCode::Device,
            ),
        ];
        for (error, text, code) in cases {
            assert_eq!(error.message(), text);
            assert_eq!(error.code(), code);
        }
    }
}
