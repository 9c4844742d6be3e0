//! A resolved device definition: what one connected device is (name, features, ranges, gap),
//! after the database's defaults, the matching configuration and the user's overrides were
//! layered. The Device actor, the protocols and the client-visible device description all read
//! this one type.

use plugd_core::{FeatureIndex, InputCommand, InputKind, OutputKind};
use std::time::Duration;

/// One device as plugd drives it.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceDefinition {
    /// The protocol key in the database (`"lovense"`).
    pub protocol: String,
    /// The identifier that selected the configuration (`"P"` for a Lovense Edge), or `None`
    /// when the protocol's `defaults` were used without one.
    pub identifier: Option<String>,
    /// The product name (`"Lovense Edge"`).
    pub name: String,
    /// The configuration's id (a UUID string), or the user entry's id when one applied.
    pub id: String,
    /// Features ordered by `index`.
    pub features: Vec<FeatureDefinition>,
    /// The database's `message_gap_ms`, if any; the transport default applies otherwise.
    pub message_gap: Option<Duration>,
    /// The database's `protocol_variant`, if any (vorze-sa).
    pub protocol_variant: Option<String>,
    /// What the user config says about this device.
    pub user: UserDeviceSettings,
}

/// The user's per-device settings (`user_config` of a user device entry).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserDeviceSettings {
    /// A name the user chose, shown as `DeviceDisplayName`.
    pub display_name: Option<String>,
    /// The index the user reserved for this device.
    pub index: Option<u32>,
    /// `allow: true` on this device's entry.
    pub allow: bool,
    /// `deny: true` on this device's entry.
    pub deny: bool,
}

/// One feature: a slot with outputs and/or inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureDefinition {
    /// The feature's index: the encoder's slot and the v4 `FeatureIndex`.
    pub index: FeatureIndex,
    /// The feature's id (UUID string); user configs refer to it as `base_id`.
    pub id: String,
    /// Free text; `""` when absent.
    pub description: String,
    /// Outputs in [`OutputKind`] order.
    pub outputs: Vec<OutputDefinition>,
    /// Inputs in [`InputKind`] order.
    pub inputs: Vec<InputDefinition>,
}

/// One output of a feature with its ranges.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputDefinition {
    /// What it does.
    pub kind: OutputKind,
    /// The database range `[lo, hi]`; `hi` is the device's step count, a negative `lo` means
    /// the output has a direction.
    pub value: (i32, i32),
    /// The user's narrower range `[a, b]` inside `[0, hi]`, if set (device-config.md §1.6).
    pub user_range: Option<(i32, i32)>,
    /// `hw_position_with_duration` only: the advertised duration range in ms.
    pub duration: Option<(i32, i32)>,
    /// Hidden from clients and refused (user config `disabled`).
    pub disabled: bool,
    /// Mirror positions (user config `reverse`, positional kinds only).
    pub reverse: bool,
}

/// One input of a feature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputDefinition {
    /// What it reports.
    pub kind: InputKind,
    /// The advertised value ranges.
    pub value: Vec<(i32, i32)>,
    /// Which of Read / Subscribe the input supports.
    pub commands: Vec<InputCommand>,
}

/// Why a client step cannot be turned into a device value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    /// Outside the client-visible range `[min, max]`.
    #[error("step {value} is outside [{min}, {max}]")]
    OutOfRange {
        /// The value asked for.
        value: i32,
        /// Lowest allowed.
        min: i32,
        /// Highest allowed.
        max: i32,
    },
}

impl OutputDefinition {
    /// True when the database range starts below zero: clients see `[-n, n]`.
    pub fn is_signed(&self) -> bool {
        self.value.0 < 0
    }

    /// The client-visible step count `n` (protocol.md §7.3): the user range's width when one is
    /// set, else the database range's end.
    pub fn step_count(&self) -> i32 {
        match self.user_range {
            Some((low, high)) => high - low,
            None => self.value.1,
        }
    }

    /// The client-visible range: `[0, n]`, or `[-n, n]` for a signed output.
    pub fn client_range(&self) -> (i32, i32) {
        let steps = self.step_count();
        if self.is_signed() {
            (-steps, steps)
        } else {
            (0, steps)
        }
    }

    /// Maps a client step onto the value the protocol encodes (device-config.md §1.6):
    /// value kinds keep 0 as off and shift by the user range start; positions shift (or mirror
    /// when reversed).
    ///
    /// # Errors
    /// [`StepError::OutOfRange`] when `step` is outside [`Self::client_range`].
    pub fn device_value(&self, step: i32) -> Result<i32, StepError> {
        let (min, max) = self.client_range();
        if step < min || step > max {
            return Err(StepError::OutOfRange {
                value: step,
                min,
                max,
            });
        }
        let (start, end) = self.user_range.unwrap_or((0, self.value.1));
        Ok(match self.kind {
            OutputKind::Position => {
                if self.reverse {
                    end - step
                } else {
                    start + step
                }
            }
            OutputKind::HwPositionWithDuration => {
                if self.reverse {
                    end - step
                } else if step == 0 {
                    0
                } else {
                    start + step
                }
            }
            _ => {
                if step == 0 {
                    0
                } else {
                    step.signum() * (start + step.abs())
                }
            }
        })
    }
}

impl FeatureDefinition {
    /// The output of this kind, if the feature has it.
    pub fn output(&self, kind: OutputKind) -> Option<&OutputDefinition> {
        self.outputs.iter().find(|output| output.kind == kind)
    }

    /// The input of this kind, if the feature has it.
    pub fn input(&self, kind: InputKind) -> Option<&InputDefinition> {
        self.inputs.iter().find(|input| input.kind == kind)
    }

    /// A feature with neither outputs nor inputs only holds its index; clients never see it.
    pub fn is_placeholder(&self) -> bool {
        self.outputs.is_empty() && self.inputs.is_empty()
    }
}

impl DeviceDefinition {
    /// The feature with this index.
    pub fn feature(&self, index: FeatureIndex) -> Option<&FeatureDefinition> {
        self.features.iter().find(|feature| feature.index == index)
    }

    /// Every (feature, output) pair of this kind, in feature order.
    pub fn outputs_of(
        &self,
        kind: OutputKind,
    ) -> impl Iterator<Item = (&FeatureDefinition, &OutputDefinition)> {
        self.features
            .iter()
            .filter_map(move |feature| feature.output(kind).map(|output| (feature, output)))
    }

    /// The name clients see first: the user's display name if set.
    pub fn display_name(&self) -> Option<&str> {
        self.user.display_name.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(
        kind: OutputKind,
        value: (i32, i32),
        user_range: Option<(i32, i32)>,
    ) -> OutputDefinition {
        OutputDefinition {
            kind,
            value,
            user_range,
            duration: None,
            disabled: false,
            reverse: false,
        }
    }

    #[test]
    fn user_range_shifts_non_zero_steps_and_keeps_zero_off() {
        let vibrate = output(OutputKind::Vibrate, (0, 20), Some((5, 15)));
        assert_eq!(vibrate.step_count(), 10);
        assert_eq!(vibrate.device_value(5), Ok(10));
        assert_eq!(vibrate.device_value(0), Ok(0));
        assert!(vibrate.device_value(11).is_err());
    }

    #[test]
    fn signed_rotate_keeps_direction() {
        let rotate = output(OutputKind::Rotate, (-20, 20), None);
        assert_eq!(rotate.client_range(), (-20, 20));
        assert_eq!(rotate.device_value(-7), Ok(-7));
        assert!(rotate.device_value(-21).is_err());
    }

    #[test]
    fn reversed_position_mirrors() {
        let mut position = output(OutputKind::HwPositionWithDuration, (0, 100), None);
        position.reverse = true;
        assert_eq!(position.device_value(0), Ok(100));
        assert_eq!(position.device_value(30), Ok(70));
    }

    #[test]
    fn negative_step_on_unsigned_output_is_out_of_range() {
        let vibrate = output(OutputKind::Vibrate, (0, 20), None);
        assert!(vibrate.device_value(-1).is_err());
    }
}
