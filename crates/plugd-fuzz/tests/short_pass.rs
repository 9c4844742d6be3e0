//! CI's short fuzz pass: 20,000 cases over every target (seed fixed, so a failure replays with
//! `cargo run -p plugd-fuzz --release -- --seed 20261124 --case N --inputs 1`). The long pass is
//! the `plugd-fuzz` binary (docs/security.md, "Fuzzing").

use plugd_fuzz::targets::{Fixtures, TARGETS};

const SEED: u64 = 20_261_124;
const INPUTS: u64 = 20_000;

#[test]
fn twenty_thousand_generated_inputs_make_no_parser_panic() {
    let fixtures = Fixtures::new();
    let summary = plugd_fuzz::run(TARGETS, &fixtures, SEED, 0, INPUTS, |_, _| {});
    println!(
        "short fuzz pass: {} inputs in {:.2} s, {} crashes",
        summary.inputs,
        summary.elapsed.as_secs_f64(),
        summary.crash_count
    );
    assert_eq!(summary.inputs, INPUTS);
    assert!(
        summary.crashes.is_empty(),
        "{} inputs panicked; first ones:\n{:#?}",
        summary.crash_count,
        summary.crashes
    );
}

#[test]
fn every_target_gets_its_share_of_the_inputs() {
    let fixtures = Fixtures::new();
    let summary = plugd_fuzz::run(
        TARGETS,
        &fixtures,
        SEED,
        0,
        TARGETS.len() as u64 * 3,
        |_, _| {},
    );
    for (name, count) in summary.per_target {
        assert_eq!(count, 3, "{name}");
    }
}

#[test]
fn the_protocol_target_covers_every_registered_protocol_with_a_builtin_entry() {
    let fixtures = Fixtures::new();
    assert!(fixtures.definition_count() >= plugd_protocols::PROTOCOLS.len() / 2);
}

#[test]
fn a_panicking_target_is_recorded_as_a_crash_with_its_seed_case_and_input() {
    fn explodes(_: &mut plugd_fuzz::rng::Rng, _: &Fixtures, record: &mut String) -> bool {
        record.push_str("the input");
        panic!("boom");
    }
    let target = plugd_fuzz::targets::Target {
        name: "explodes",
        about: "always panics",
        run: explodes,
    };
    let fixtures = Fixtures::new();
    let summary = plugd_fuzz::run(&[target], &fixtures, 9, 100, 3, |_, _| {});
    assert_eq!(summary.crash_count, 3);
    let first = &summary.crashes[0];
    assert_eq!(
        (
            first.target,
            first.seed,
            first.case,
            first.input.as_str(),
            first.message.as_str()
        ),
        ("explodes", 9, 100, "the input", "boom")
    );
}
