//! One file per message family, laid out like mini-redis's `cmd/`: each file holds its client
//! messages' types, their parsing and validation (from [`crate::fields::Fields`]), their
//! conversion onto the internal model, the rendering of its server messages, and its tests.
//! The dispatching `match`es live in `parse` ([`crate::ClientMessage`]), `convert` and `render`.
//!
//! | file | messages |
//! | --- | --- |
//! | `session` | RequestServerInfo / ServerInfo, Ping, StartScanning, StopScanning, RequestDeviceList |
//! | `stop` | StopDeviceCmd, StopAllDevices, StopCmd |
//! | `legacy` | SingleMotorVibrateCmd, FleshlightLaunchFW12Cmd, VorzeA10CycloneCmd, KiirooCmd, LovenseCmd, Test, RequestLog |
//! | `generic` | VibrateCmd, RotateCmd, LinearCmd |
//! | `scalar` | ScalarCmd |
//! | `sensor` | BatteryLevelCmd / BatteryLevelReading, RSSILevelCmd, SensorReadCmd / SensorReading, SensorSubscribeCmd, SensorUnsubscribeCmd |
//! | `raw` | RawWriteCmd, RawReadCmd / RawReading, RawSubscribeCmd, RawUnsubscribeCmd |
//! | `feature` | OutputCmd, InputCmd / InputReading (v4) |
//! | `device_list` | DeviceList, DeviceAdded, DeviceRemoved in every version |

pub(crate) mod device_list;
pub(crate) mod feature;
pub(crate) mod generic;
pub(crate) mod legacy;
pub(crate) mod raw;
pub(crate) mod scalar;
pub(crate) mod sensor;
pub(crate) mod session;
pub(crate) mod stop;
