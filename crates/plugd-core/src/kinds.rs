//! Output and input kinds. Each has two spellings: the device database's snake_case
//! (`hw_position_with_duration`) and the wire's PascalCase (`HwPositionWithDuration`).

use std::fmt;
use std::str::FromStr;

/// A name that is not one of the known kinds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown kind {0:?}")]
pub struct UnknownKind(pub String);

/// Something a device does: the output side of a feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OutputKind {
    /// Vibration motor; unsigned.
    Vibrate,
    /// Rotation; signed when the database range starts below zero (has a direction).
    Rotate,
    /// Oscillation (thrusting, stroking speed); unsigned.
    Oscillate,
    /// Constriction or air pump; unsigned.
    Constrict,
    /// Heating; signed per the spec, [0,1] in practice.
    Temperature,
    /// A light; unsigned.
    Led,
    /// A spray or squirt; unsigned.
    Spray,
    /// Move to an absolute position at the device's own speed.
    Position,
    /// Move to an absolute position over a given duration (LinearCmd).
    HwPositionWithDuration,
}

impl OutputKind {
    /// Every output kind, in declaration order.
    pub const ALL: [OutputKind; 9] = [
        OutputKind::Vibrate,
        OutputKind::Rotate,
        OutputKind::Oscillate,
        OutputKind::Constrict,
        OutputKind::Temperature,
        OutputKind::Led,
        OutputKind::Spray,
        OutputKind::Position,
        OutputKind::HwPositionWithDuration,
    ];

    /// The order in which a device stop picks the one kind to zero on a feature
    /// (protocol.md §8.1). Positional kinds are never stopped.
    pub const STOP_ORDER: [OutputKind; 7] = [
        OutputKind::Vibrate,
        OutputKind::Rotate,
        OutputKind::Oscillate,
        OutputKind::Constrict,
        OutputKind::Temperature,
        OutputKind::Led,
        OutputKind::Spray,
    ];

    /// The device database's spelling.
    pub fn config_name(self) -> &'static str {
        match self {
            OutputKind::Vibrate => "vibrate",
            OutputKind::Rotate => "rotate",
            OutputKind::Oscillate => "oscillate",
            OutputKind::Constrict => "constrict",
            OutputKind::Temperature => "temperature",
            OutputKind::Led => "led",
            OutputKind::Spray => "spray",
            OutputKind::Position => "position",
            OutputKind::HwPositionWithDuration => "hw_position_with_duration",
        }
    }

    /// The wire's spelling (`ActuatorType`, `OutputCmd` command keys).
    pub fn wire_name(self) -> &'static str {
        match self {
            OutputKind::Vibrate => "Vibrate",
            OutputKind::Rotate => "Rotate",
            OutputKind::Oscillate => "Oscillate",
            OutputKind::Constrict => "Constrict",
            OutputKind::Temperature => "Temperature",
            OutputKind::Led => "Led",
            OutputKind::Spray => "Spray",
            OutputKind::Position => "Position",
            OutputKind::HwPositionWithDuration => "HwPositionWithDuration",
        }
    }

    /// Parses the device database's spelling.
    ///
    /// # Errors
    /// [`UnknownKind`] for any other string.
    pub fn from_config_name(name: &str) -> Result<Self, UnknownKind> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.config_name() == name)
            .ok_or_else(|| UnknownKind(name.to_string()))
    }

    /// Parses the wire spelling; `lowercase_alias` also accepts the all-lowercase form, as
    /// `ActuatorType` does (protocol.md §9.3).
    ///
    /// # Errors
    /// [`UnknownKind`] for any other string.
    pub fn from_wire_name(name: &str, lowercase_alias: bool) -> Result<Self, UnknownKind> {
        Self::ALL
            .into_iter()
            .find(|kind| {
                kind.wire_name() == name
                    || (lowercase_alias && kind.wire_name().to_ascii_lowercase() == name)
            })
            .ok_or_else(|| UnknownKind(name.to_string()))
    }

    /// True for kinds whose zero means "off" and which a stop command zeroes.
    pub fn stops_at_zero(self) -> bool {
        !matches!(
            self,
            OutputKind::Position | OutputKind::HwPositionWithDuration
        )
    }

    /// True for kinds that may carry a negative value (a direction).
    pub fn may_be_signed(self) -> bool {
        matches!(self, OutputKind::Rotate | OutputKind::Temperature)
    }
}

impl fmt::Display for OutputKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.wire_name())
    }
}

/// Something a device reports: the input side of a feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InputKind {
    /// Battery level in percent.
    Battery,
    /// Radio signal strength in dBm.
    Rssi,
    /// A button.
    Button,
    /// A pressure sensor.
    Pressure,
    /// An insertion-depth sensor.
    Depth,
    /// A position sensor.
    Position,
}

impl InputKind {
    /// Every input kind, in declaration order.
    pub const ALL: [InputKind; 6] = [
        InputKind::Battery,
        InputKind::Rssi,
        InputKind::Button,
        InputKind::Pressure,
        InputKind::Depth,
        InputKind::Position,
    ];

    /// The device database's spelling.
    pub fn config_name(self) -> &'static str {
        match self {
            InputKind::Battery => "battery",
            InputKind::Rssi => "rssi",
            InputKind::Button => "button",
            InputKind::Pressure => "pressure",
            InputKind::Depth => "depth",
            InputKind::Position => "position",
        }
    }

    /// The wire's spelling (`SensorType`, `InputCmd.Type`).
    pub fn wire_name(self) -> &'static str {
        match self {
            InputKind::Battery => "Battery",
            InputKind::Rssi => "Rssi",
            InputKind::Button => "Button",
            InputKind::Pressure => "Pressure",
            InputKind::Depth => "Depth",
            InputKind::Position => "Position",
        }
    }

    /// Parses the device database's spelling.
    ///
    /// # Errors
    /// [`UnknownKind`] for any other string.
    pub fn from_config_name(name: &str) -> Result<Self, UnknownKind> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.config_name() == name)
            .ok_or_else(|| UnknownKind(name.to_string()))
    }

    /// Parses the wire spelling or its lowercase alias.
    ///
    /// # Errors
    /// [`UnknownKind`] for any other string.
    pub fn from_wire_name(name: &str) -> Result<Self, UnknownKind> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.wire_name() == name || kind.config_name() == name)
            .ok_or_else(|| UnknownKind(name.to_string()))
    }
}

impl fmt::Display for InputKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.wire_name())
    }
}

/// What a client asks of an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InputCommand {
    /// One reading, as the reply.
    Read,
    /// Readings as events until unsubscribed.
    Subscribe,
    /// Stop the events.
    Unsubscribe,
}

impl InputCommand {
    /// The wire's spelling, which is also the device database's (`"Read"`, `"Subscribe"`).
    pub fn wire_name(self) -> &'static str {
        match self {
            InputCommand::Read => "Read",
            InputCommand::Subscribe => "Subscribe",
            InputCommand::Unsubscribe => "Unsubscribe",
        }
    }
}

impl FromStr for InputCommand {
    type Err = UnknownKind;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        [
            InputCommand::Read,
            InputCommand::Subscribe,
            InputCommand::Unsubscribe,
        ]
        .into_iter()
        .find(|command| {
            command.wire_name() == name || command.wire_name().to_ascii_lowercase() == name
        })
        .ok_or_else(|| UnknownKind(name.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_kind_names_round_trip_in_both_spellings() {
        for kind in OutputKind::ALL {
            assert_eq!(OutputKind::from_config_name(kind.config_name()), Ok(kind));
            assert_eq!(
                OutputKind::from_wire_name(kind.wire_name(), false),
                Ok(kind)
            );
        }
    }

    #[test]
    fn lowercase_alias_is_accepted_only_when_asked() {
        assert_eq!(
            OutputKind::from_wire_name("vibrate", true),
            Ok(OutputKind::Vibrate)
        );
        assert!(OutputKind::from_wire_name("vibrate", false).is_err());
        assert!(OutputKind::from_wire_name("VIBRATE", true).is_err());
    }

    #[test]
    fn input_command_parses_alias() {
        assert_eq!("subscribe".parse(), Ok(InputCommand::Subscribe));
        assert!("SUBSCRIBE".parse::<InputCommand>().is_err());
    }
}
