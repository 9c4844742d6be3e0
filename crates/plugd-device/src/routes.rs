//! DeviceRoutes: the announced Devices by index and the raw-access switch, as one cheap-to-clone
//! value. The DeviceManager builds it with every device-list change and hands it to its
//! subscriber (the Server), which sends each client's device commands straight to the Device:
//! one actor hop fewer between a client's frame and the device's bytes.
//!
//! **Invariant:** every device-bound request of a client (output, stop, input, raw) goes the
//! same way, through these functions, so each Device receives them in the order the client sent
//! them. The decisions (unknown index, raw access off) are made here, for the DeviceManager's
//! own routing messages and for the Server alike.

use crate::device::{Device, DeviceInput, DeviceOutput, DeviceRaw, DeviceStop};
use actix::prelude::*;
use plugd_core::{DeviceIndex, SessionId};
use plugd_messages::{
    ButtplugError, DeviceError, InputReading, InputRequest, OutputRequest, RawReading, RawRequest,
    StopRequest,
};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

/// See the module doc.
#[derive(Clone, Default)]
pub struct DeviceRoutes {
    devices: Arc<BTreeMap<DeviceIndex, Addr<Device>>>,
    allow_raw: bool,
}

impl std::fmt::Debug for DeviceRoutes {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("DeviceRoutes")
            .field("devices", &self.devices.keys().collect::<Vec<_>>())
            .field("allow_raw", &self.allow_raw)
            .finish()
    }
}

impl DeviceRoutes {
    /// Routes to `devices`; raw requests run only with `allow_raw` (`--allow-raw`).
    pub fn new(devices: BTreeMap<DeviceIndex, Addr<Device>>, allow_raw: bool) -> Self {
        DeviceRoutes {
            devices: Arc::new(devices),
            allow_raw,
        }
    }

    fn device(&self, index: DeviceIndex) -> Result<&Addr<Device>, ButtplugError> {
        self.devices
            .get(&index)
            .ok_or_else(|| DeviceError::DeviceNotAvailable(index.0).into())
    }

    /// Output commands from `session` (`None`: an internal caller) to one device.
    pub fn output(
        &self,
        session: Option<SessionId>,
        request: OutputRequest,
    ) -> impl Future<Output = Result<(), ButtplugError>> + 'static {
        let sent = self.device(request.device).map(|device| {
            device.send(DeviceOutput {
                session,
                commands: request.commands,
            })
        });
        async move { sent?.await.unwrap_or_else(|_| Err(device_gone())) }
    }

    /// A stop: one feature, one device, or (no device) every device, answered at once.
    pub fn stop(
        &self,
        session: Option<SessionId>,
        stop: StopRequest,
    ) -> impl Future<Output = Result<(), ButtplugError>> + 'static {
        let device_stop = || DeviceStop {
            session,
            feature: stop.feature,
            outputs: stop.outputs,
            inputs: stop.inputs,
        };
        let sent = match stop.device {
            None => {
                for device in self.devices.values() {
                    device.do_send(device_stop());
                }
                Ok(None)
            }
            Some(index) => self
                .device(index)
                .map(|device| Some(device.send(device_stop()))),
        };
        async move {
            match sent? {
                None => Ok(()),
                Some(request) => request.await.unwrap_or_else(|_| Err(device_gone())),
            }
        }
    }

    /// An input command (read, subscribe, unsubscribe).
    pub fn input(
        &self,
        session: SessionId,
        request: InputRequest,
    ) -> impl Future<Output = Result<Option<InputReading>, ButtplugError>> + 'static {
        let sent = self.device(request.device).map(|device| {
            device.send(DeviceInput {
                session,
                feature: request.feature,
                kind: request.kind,
                command: request.command,
            })
        });
        async move { sent?.await.unwrap_or_else(|_| Err(device_gone())) }
    }

    /// A raw endpoint request: ERROR_MSG unless raw access is on.
    pub fn raw(
        &self,
        session: SessionId,
        request: RawRequest,
    ) -> impl Future<Output = Result<Option<RawReading>, ButtplugError>> + 'static {
        let sent = if self.allow_raw {
            self.device(request.device).map(|device| {
                tracing::debug!(
                    %session,
                    device = %request.device,
                    endpoint = %request.endpoint,
                    message = request.command.message_name(),
                    "raw request"
                );
                device.send(DeviceRaw {
                    session,
                    endpoint: request.endpoint,
                    command: request.command,
                })
            })
        } else {
            Err(plugd_messages::raw_access_disabled(
                request.command.message_name(),
            ))
        };
        async move { sent?.await.unwrap_or_else(|_| Err(device_gone())) }
    }
}

/// A command whose Device stopped before answering (its connection died mid-command): the
/// device is gone, so ERROR_DEVICE, like any command to a device that is not connected.
pub(crate) fn device_gone() -> ButtplugError {
    DeviceError::DeviceNotConnected("the device went away while handling the command".to_string())
        .into()
}
