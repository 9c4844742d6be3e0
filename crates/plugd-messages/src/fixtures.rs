//! Test devices shared by the module tests: the "Example Toy" of protocol.md §5 and a few
//! devices that exercise the corners (multi-output features, linear, one-way rotators).

use crate::convert::{Converted, Converter, ReplyShape};
use crate::model::{
    DeviceInfo, FeatureInfo, InputInfo, OutputCommand, OutputInfo, OutputRequest, Request,
};
use crate::parse::parse_frame;
use crate::{render, SpecVersion};
use plugd_core::{DeviceIndex, FeatureIndex, InputCommand, InputKind, OutputKind};

pub(crate) fn output(kind: OutputKind, low: i32, high: i32) -> OutputInfo {
    OutputInfo {
        kind,
        range: (low, high),
        duration: None,
    }
}

pub(crate) fn feature(
    index: u32,
    description: &str,
    outputs: Vec<OutputInfo>,
    inputs: Vec<InputInfo>,
) -> FeatureInfo {
    FeatureInfo {
        index: FeatureIndex(index),
        description: description.to_owned(),
        outputs,
        inputs,
    }
}

pub(crate) fn battery(commands: Vec<InputCommand>) -> InputInfo {
    InputInfo {
        kind: InputKind::Battery,
        ranges: vec![(0, 100)],
        commands,
    }
}

pub(crate) fn device(index: u32, name: &str, features: Vec<FeatureInfo>) -> DeviceInfo {
    DeviceInfo {
        index: DeviceIndex(index),
        name: name.to_owned(),
        display_name: None,
        message_timing_gap_ms: 100,
        features,
        raw_endpoints: None,
    }
}

/// protocol.md §5: index 0; vibrator [0,20], rotator [-20,20], oscillator [0,10], battery.
pub(crate) fn example_toy() -> DeviceInfo {
    device(
        0,
        "Example Toy",
        vec![
            feature(
                0,
                "Vibrator",
                vec![output(OutputKind::Vibrate, 0, 20)],
                vec![],
            ),
            feature(
                1,
                "Rotator",
                vec![output(OutputKind::Rotate, -20, 20)],
                vec![],
            ),
            feature(2, "", vec![output(OutputKind::Oscillate, 0, 10)], vec![]),
            feature(
                3,
                "Battery Level",
                vec![],
                vec![battery(vec![InputCommand::Read])],
            ),
        ],
    )
}

/// Index 1: a stroker with `HwPositionWithDuration` [0,99] and a subscribable battery.
pub(crate) fn launch() -> DeviceInfo {
    let mut stroke = output(OutputKind::HwPositionWithDuration, 0, 99);
    stroke.duration = Some((0, 100_000));
    device(
        1,
        "Fleshlight Launch",
        vec![
            feature(0, "Stroker", vec![stroke], vec![]),
            feature(
                1,
                "Battery",
                vec![],
                vec![battery(vec![InputCommand::Read, InputCommand::Subscribe])],
            ),
        ],
    )
}

/// Index 2: a Vorze-like rotator, [-99,99].
pub(crate) fn vorze() -> DeviceInfo {
    device(
        2,
        "Vorze SA",
        vec![feature(
            0,
            "Rotator",
            vec![output(OutputKind::Rotate, -99, 99)],
            vec![],
        )],
    )
}

/// Index 3: feature 0 has Vibrate [0,10], Oscillate [0,7] and Constrict [0,5]; feature 1 a
/// Vibrate [0,20].
pub(crate) fn multi_output_toy() -> DeviceInfo {
    device(
        3,
        "Multi Toy",
        vec![
            feature(
                0,
                "Combo",
                vec![
                    output(OutputKind::Vibrate, 0, 10),
                    output(OutputKind::Oscillate, 0, 7),
                    output(OutputKind::Constrict, 0, 5),
                ],
                vec![],
            ),
            feature(
                1,
                "Second",
                vec![output(OutputKind::Vibrate, 0, 20)],
                vec![],
            ),
        ],
    )
}

/// Index 4: a rotator without direction, [0,10].
pub(crate) fn one_way_rotator() -> DeviceInfo {
    device(
        4,
        "Spinner",
        vec![feature(
            0,
            "Spin",
            vec![output(OutputKind::Rotate, 0, 10)],
            vec![],
        )],
    )
}

/// Index 5: position servo [0,100] and an LED [0,1], no vibrator, no battery.
pub(crate) fn servo() -> DeviceInfo {
    device(
        5,
        "Servo",
        vec![
            feature(0, "Arm", vec![output(OutputKind::Position, 0, 100)], vec![]),
            feature(1, "Light", vec![output(OutputKind::Led, 0, 1)], vec![]),
        ],
    )
}

/// A converter that knows every fixture device.
pub(crate) fn converter() -> Converter {
    let mut converter = Converter::new();
    converter.set_devices(&[
        example_toy(),
        launch(),
        vorze(),
        multi_output_toy(),
        one_way_rotator(),
        servo(),
    ]);
    converter
}

/// Parses `text` (one message) with `version` and converts it; a rejection or conversion
/// error comes back as its exact `Error` frame.
pub(crate) fn convert(
    converter: &mut Converter,
    version: SpecVersion,
    text: &str,
) -> Result<Converted, String> {
    let mut parsed = parse_frame(text, version);
    assert_eq!(parsed.len(), 1, "one message expected in {text}");
    let message = parsed
        .remove(0)
        .map_err(|rejected| render::error(rejected.id, &rejected.error))?;
    converter
        .to_request(&message)
        .map_err(|error| render::error(message.id(), &error))
}

/// The expected conversion: an `Ok`-shaped output request with `(feature, kind, value)`s.
pub(crate) fn outputs(device: u32, commands: &[(u32, OutputKind, i32)]) -> Converted {
    Converted {
        request: Request::Output(OutputRequest {
            device: DeviceIndex(device),
            commands: commands
                .iter()
                .map(|&(feature, kind, value)| OutputCommand {
                    feature: FeatureIndex(feature),
                    kind,
                    value,
                    duration: None,
                })
                .collect(),
        }),
        reply: ReplyShape::Ok,
    }
}
