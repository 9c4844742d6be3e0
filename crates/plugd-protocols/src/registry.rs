//! The protocol registry: one line per protocol, sorted by name, and the lookup by database key.

use crate::model::{
    EncodeContext, InitContext, InitReply, InitRound, InitStep, InputReadPlan, NotifiedReading,
    ProtocolError, SubscribePlan,
};
use crate::protocols;
use plugd_config::{DeviceDefinition, DeviceIdentity};
use plugd_core::{Endpoint, FeatureIndex, HardwareCommand, InputKind};
use std::time::Duration;

/// The encode function every protocol has.
pub type EncodeFn = fn(&EncodeContext<'_>) -> Result<Vec<HardwareCommand>, ProtocolError>;

/// Picks the identifier from what identification gathered (see
/// [`Protocol::resolve_identifier`]).
pub type ResolveIdentifierFn = fn(&DeviceIdentity, &[InitReply]) -> Option<String>;

/// Runs one round of init (see [`Protocol::initialize`]).
pub type InitializeFn = fn(&InitContext<'_>) -> Result<InitRound, ProtocolError>;

/// Hands a device over to another protocol after identification (see
/// [`Protocol::switch_protocol`]).
pub type SwitchProtocolFn = fn(&DeviceIdentity, &[InitReply]) -> Option<&'static str>;

/// Says how to read one input of a feature (see [`Protocol::read_input`]).
pub type ReadInputFn =
    fn(&DeviceDefinition, FeatureIndex, InputKind) -> Result<InputReadPlan, ProtocolError>;

/// Says how to turn one input's notifications on and off (see [`Protocol::subscribe_input`]).
pub type SubscribeInputFn =
    fn(&DeviceDefinition, FeatureIndex, InputKind) -> Result<SubscribePlan, ProtocolError>;

/// Finds the input values in a notification (see [`Protocol::parse_notification`]).
pub type ParseNotificationFn = fn(&DeviceDefinition, Endpoint, &[u8]) -> Vec<NotifiedReading>;

/// One protocol: its database key and its functions. Build with [`Protocol::new`] and the
/// `with_*` methods.
#[derive(Clone, Copy)]
pub struct Protocol {
    /// The key in the device database (`"lovense"`).
    pub name: &'static str,
    /// Turns output values into hardware commands.
    pub encode: EncodeFn,
    /// Steps that learn which configuration applies (before the definition is known). Without
    /// it the hardware name is the identifier.
    pub identify_steps: Option<fn(&DeviceIdentity) -> Vec<InitStep>>,
    /// Picks the identifier from what `identify_steps` gathered. Returns `None` for "use the
    /// protocol's defaults".
    pub resolve_identifier: Option<ResolveIdentifierFn>,
    /// After identification: the protocol that really drives this device, when it is another
    /// one (hismith hands some models to hismith-mini). `None` keeps this protocol.
    pub switch_protocol: Option<SwitchProtocolFn>,
    /// Init, once the definition is known and before the device is announced, in rounds: the
    /// Device runs each round's steps and calls again with every reply so far, until `Done`
    /// (so an answer can shape the next writes: challenge/response handshakes).
    pub initialize: Option<InitializeFn>,
    /// How to read an input, when the protocol reads it its own way.
    pub read_input: Option<ReadInputFn>,
    /// Re-send the last packet after this much silence (the device stops on its own otherwise).
    pub keepalive: Option<Duration>,
    /// How to subscribe to an input whose feature declares `Subscribe` (v4 `InputCmd`
    /// Subscribe). Without it such a subscription is refused (ERROR_DEVICE UnhandledCommand).
    pub subscribe_input: Option<SubscribeInputFn>,
    /// Turns a notification nobody else waited for into input values; the Device hands each
    /// to the clients subscribed to that input. Garbage gives no readings, never an error.
    pub parse_notification: Option<ParseNotificationFn>,
}

impl Protocol {
    /// A protocol with only an encoder.
    pub const fn new(name: &'static str, encode: EncodeFn) -> Self {
        Protocol {
            name,
            encode,
            identify_steps: None,
            resolve_identifier: None,
            switch_protocol: None,
            initialize: None,
            read_input: None,
            keepalive: None,
            subscribe_input: None,
            parse_notification: None,
        }
    }

    /// Adds identification: steps, then the resolver that reads their replies.
    pub const fn with_identify(
        mut self,
        steps: fn(&DeviceIdentity) -> Vec<InitStep>,
        resolve: ResolveIdentifierFn,
    ) -> Self {
        self.identify_steps = Some(steps);
        self.resolve_identifier = Some(resolve);
        self
    }

    /// Adds init rounds.
    pub const fn with_initialize(mut self, initialize: InitializeFn) -> Self {
        self.initialize = Some(initialize);
        self
    }

    /// Adds a hand-over to another protocol after identification.
    pub const fn with_switch_protocol(mut self, switch_protocol: SwitchProtocolFn) -> Self {
        self.switch_protocol = Some(switch_protocol);
        self
    }

    /// Adds an input reader.
    pub const fn with_read_input(mut self, read_input: ReadInputFn) -> Self {
        self.read_input = Some(read_input);
        self
    }

    /// Adds input subscriptions: how to turn an input's notifications on and off, and how to
    /// read values out of them.
    pub const fn with_subscriptions(
        mut self,
        subscribe: SubscribeInputFn,
        parse: ParseNotificationFn,
    ) -> Self {
        self.subscribe_input = Some(subscribe);
        self.parse_notification = Some(parse);
        self
    }

    /// Adds a keepalive period.
    pub const fn with_keepalive(mut self, period: Duration) -> Self {
        self.keepalive = Some(period);
        self
    }
}

impl std::fmt::Debug for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Protocol")
            .field("name", &self.name)
            .finish()
    }
}

/// Every protocol plugd implements, sorted by name.
pub static PROTOCOLS: &[Protocol] = &[
    Protocol::new(protocols::activejoy::NAME, protocols::activejoy::encode),
    Protocol::new(
        protocols::adrienlastic::NAME,
        protocols::adrienlastic::encode,
    ),
    Protocol::new(
        protocols::amorelie_joy::NAME,
        protocols::amorelie_joy::encode,
    )
    .with_initialize(protocols::amorelie_joy::initialize),
    Protocol::new(protocols::aneros::NAME, protocols::aneros::encode),
    Protocol::new(protocols::ankni::NAME, protocols::ankni::encode)
        .with_initialize(protocols::ankni::initialize),
    Protocol::new(protocols::bananasome::NAME, protocols::bananasome::encode),
    Protocol::new(protocols::cachito::NAME, protocols::cachito::encode),
    Protocol::new(protocols::cowgirl::NAME, protocols::cowgirl::encode),
    Protocol::new(
        protocols::cowgirl_cone::NAME,
        protocols::cowgirl_cone::encode,
    )
    .with_initialize(protocols::cowgirl_cone::initialize),
    Protocol::new(protocols::cueme::NAME, protocols::cueme::encode).with_identify(
        protocols::cueme::identify_steps,
        protocols::cueme::resolve_identifier,
    ),
    Protocol::new(protocols::cupido::NAME, protocols::cupido::encode),
    Protocol::new(protocols::deepsire::NAME, protocols::deepsire::encode),
    Protocol::new(protocols::feelingso::NAME, protocols::feelingso::encode),
    Protocol::new(
        protocols::fleshy_thrust::NAME,
        protocols::fleshy_thrust::encode,
    ),
    Protocol::new(protocols::fluffer::NAME, protocols::fluffer::encode)
        .with_initialize(protocols::fluffer::initialize),
    Protocol::new(protocols::fmachine::NAME, protocols::fmachine::encode)
        .with_initialize(protocols::fmachine::initialize),
    Protocol::new(protocols::foreo::NAME, protocols::foreo::encode),
    Protocol::new(protocols::fox::NAME, protocols::fox::encode),
    Protocol::new(protocols::fredorch::NAME, protocols::fredorch::encode)
        .with_identify(
            protocols::fredorch::identify_steps,
            protocols::fredorch::resolve_identifier,
        )
        .with_initialize(protocols::fredorch::initialize),
    Protocol::new(
        protocols::fredorch_rotary::NAME,
        protocols::fredorch_rotary::encode,
    )
    .with_initialize(protocols::fredorch_rotary::initialize),
    Protocol::new(protocols::galaku::NAME, protocols::galaku::encode)
        .with_read_input(protocols::galaku::read_input),
    Protocol::new(protocols::galaku_pump::NAME, protocols::galaku_pump::encode),
    Protocol::new(protocols::hgod::NAME, protocols::hgod::encode)
        .with_keepalive(protocols::hgod::KEEPALIVE),
    Protocol::new(protocols::hismith::NAME, protocols::hismith::encode)
        .with_identify(
            protocols::hismith::identify_steps,
            protocols::hismith::resolve_identifier,
        )
        .with_switch_protocol(protocols::hismith::switch_protocol),
    Protocol::new(
        protocols::hismith_mini::NAME,
        protocols::hismith_mini::encode,
    )
    .with_identify(
        protocols::hismith_mini::identify_steps,
        protocols::hismith_mini::resolve_identifier,
    ),
    Protocol::new(
        protocols::honeyplaybox::NAME,
        protocols::honeyplaybox::encode,
    )
    .with_initialize(protocols::honeyplaybox::initialize)
    .with_keepalive(protocols::honeyplaybox::KEEPALIVE),
    Protocol::new(protocols::htk_bm::NAME, protocols::htk_bm::encode),
    Protocol::new(protocols::itoys::NAME, protocols::itoys::encode),
    Protocol::new(protocols::jejoue::NAME, protocols::jejoue::encode),
    Protocol::new(protocols::joyhub::NAME, protocols::joyhub::encode),
    Protocol::new(protocols::kgoal_boost::NAME, protocols::kgoal_boost::encode).with_subscriptions(
        protocols::kgoal_boost::subscribe_input,
        protocols::kgoal_boost::parse_notification,
    ),
    Protocol::new(
        protocols::kiiroo_powershot::NAME,
        protocols::kiiroo_powershot::encode,
    ),
    Protocol::new(
        protocols::kiiroo_prowand::NAME,
        protocols::kiiroo_prowand::encode,
    ),
    Protocol::new(protocols::kiiroo_spot::NAME, protocols::kiiroo_spot::encode),
    Protocol::new(
        protocols::kiiroo_spot_v2::NAME,
        protocols::kiiroo_spot_v2::encode,
    ),
    Protocol::new(protocols::kiiroo_v1::NAME, protocols::kiiroo_v1::encode)
        .with_initialize(protocols::kiiroo_v1::initialize)
        .with_keepalive(protocols::kiiroo_v1::KEEPALIVE),
    Protocol::new(protocols::kiiroo_v2::NAME, protocols::kiiroo_v2::encode)
        .with_initialize(protocols::kiiroo_v2::initialize),
    Protocol::new(
        protocols::kiiroo_v2_vibrator::NAME,
        protocols::kiiroo_v2_vibrator::encode,
    ),
    Protocol::new(protocols::kiiroo_v21::NAME, protocols::kiiroo_v21::encode)
        .with_read_input(protocols::kiiroo_v21::read_input),
    Protocol::new(
        protocols::kiiroo_v21_initialized::NAME,
        protocols::kiiroo_v21_initialized::encode,
    )
    .with_initialize(protocols::kiiroo_v21_initialized::initialize),
    Protocol::new(protocols::kiiroo_v3::NAME, protocols::kiiroo_v3::encode)
        .with_read_input(protocols::kiiroo_v3::read_input),
    Protocol::new(protocols::kizuna::NAME, protocols::kizuna::encode),
    Protocol::new(protocols::lelo_f1s::NAME, protocols::lelo_f1s::encode)
        .with_initialize(protocols::lelo_f1s::initialize),
    Protocol::new(protocols::lelo_f1sv2::NAME, protocols::lelo_f1sv2::encode)
        .with_initialize(protocols::lelo_f1sv2::initialize),
    Protocol::new(
        protocols::lelo_harmony::NAME,
        protocols::lelo_harmony::encode,
    )
    .with_initialize(protocols::lelo_harmony::initialize),
    Protocol::new(protocols::leten::NAME, protocols::leten::encode)
        .with_initialize(protocols::leten::initialize)
        .with_keepalive(protocols::leten::KEEPALIVE),
    Protocol::new(protocols::libo_elle::NAME, protocols::libo_elle::encode),
    Protocol::new(protocols::libo_karen::NAME, protocols::libo_karen::encode),
    Protocol::new(protocols::libo_shark::NAME, protocols::libo_shark::encode),
    Protocol::new(protocols::libo_vibes::NAME, protocols::libo_vibes::encode),
    Protocol::new(protocols::lioness::NAME, protocols::lioness::encode)
        .with_initialize(protocols::lioness::initialize),
    Protocol::new(protocols::loob::NAME, protocols::loob::encode)
        .with_initialize(protocols::loob::initialize),
    Protocol::new(
        protocols::lovedistance::NAME,
        protocols::lovedistance::encode,
    )
    .with_initialize(protocols::lovedistance::initialize),
    Protocol::new(
        protocols::lovehoney_desire::NAME,
        protocols::lovehoney_desire::encode,
    ),
    Protocol::new(protocols::lovense::NAME, protocols::lovense::encode)
        .with_identify(
            protocols::lovense::identify_steps,
            protocols::lovense::resolve_identifier,
        )
        .with_read_input(protocols::lovense::read_input),
    Protocol::new(
        protocols::lovense_connect_service::NAME,
        protocols::lovense_connect_service::encode,
    )
    .with_initialize(protocols::lovense_connect_service::initialize)
    .with_read_input(protocols::lovense_connect_service::read_input),
    Protocol::new(protocols::lovenuts::NAME, protocols::lovenuts::encode),
    Protocol::new(protocols::luvmazer::NAME, protocols::luvmazer::encode),
    Protocol::new(
        protocols::magic_motion_1::NAME,
        protocols::magic_motion_1::encode,
    ),
    Protocol::new(
        protocols::magic_motion_2::NAME,
        protocols::magic_motion_2::encode,
    ),
    Protocol::new(
        protocols::magic_motion_3::NAME,
        protocols::magic_motion_3::encode,
    ),
    Protocol::new(
        protocols::magic_motion_4::NAME,
        protocols::magic_motion_4::encode,
    ),
    Protocol::new(protocols::mannuo::NAME, protocols::mannuo::encode),
    Protocol::new(protocols::maxpro::NAME, protocols::maxpro::encode),
    Protocol::new(protocols::meese::NAME, protocols::meese::encode),
    Protocol::new(protocols::mizzzee::NAME, protocols::mizzzee::encode),
    Protocol::new(protocols::mizzzee_v2::NAME, protocols::mizzzee_v2::encode),
    Protocol::new(protocols::mizzzee_v3::NAME, protocols::mizzzee_v3::encode)
        .with_keepalive(protocols::mizzzee_v3::KEEPALIVE),
    Protocol::new(protocols::monsterpub::NAME, protocols::monsterpub::encode)
        .with_identify(
            protocols::monsterpub::identify_steps,
            protocols::monsterpub::resolve_identifier,
        )
        .with_initialize(protocols::monsterpub::initialize),
    Protocol::new(protocols::motorbunny::NAME, protocols::motorbunny::encode),
    Protocol::new(protocols::muse::NAME, protocols::muse::encode)
        .with_keepalive(protocols::muse::KEEPALIVE),
    Protocol::new(
        protocols::mymuselinkplus::NAME,
        protocols::mymuselinkplus::encode,
    ),
    Protocol::new(protocols::mysteryvibe::NAME, protocols::mysteryvibe::encode)
        .with_initialize(protocols::mysteryvibe::initialize)
        .with_keepalive(protocols::mysteryvibe::KEEPALIVE),
    Protocol::new(
        protocols::mysteryvibe_v2::NAME,
        protocols::mysteryvibe_v2::encode,
    )
    .with_initialize(protocols::mysteryvibe_v2::initialize)
    .with_keepalive(protocols::mysteryvibe_v2::KEEPALIVE),
    Protocol::new(
        protocols::nextlevelracing::NAME,
        protocols::nextlevelracing::encode,
    ),
    Protocol::new(protocols::nexus_revo::NAME, protocols::nexus_revo::encode),
    Protocol::new(
        protocols::nintendo_joycon::NAME,
        protocols::nintendo_joycon::encode,
    )
    .with_initialize(protocols::nintendo_joycon::initialize)
    .with_keepalive(protocols::nintendo_joycon::KEEPALIVE),
    Protocol::new(protocols::nobra::NAME, protocols::nobra::encode)
        .with_initialize(protocols::nobra::initialize),
    Protocol::new(protocols::omobo::NAME, protocols::omobo::encode),
    Protocol::new(protocols::ossm::NAME, protocols::ossm::encode)
        .with_initialize(protocols::ossm::initialize),
    Protocol::new(protocols::patoo::NAME, protocols::patoo::encode).with_identify(
        protocols::patoo::identify_steps,
        protocols::patoo::resolve_identifier,
    ),
    Protocol::new(protocols::picobong::NAME, protocols::picobong::encode),
    Protocol::new(protocols::pink_punch::NAME, protocols::pink_punch::encode),
    Protocol::new(protocols::prettylove::NAME, protocols::prettylove::encode).with_identify(
        protocols::prettylove::identify_steps,
        protocols::prettylove::resolve_identifier,
    ),
    Protocol::new(protocols::realov::NAME, protocols::realov::encode),
    Protocol::new(protocols::realtouch::NAME, protocols::realtouch::encode)
        .with_initialize(protocols::realtouch::initialize),
    Protocol::new(
        protocols::rez_trancevibrator::NAME,
        protocols::rez_trancevibrator::encode,
    ),
    Protocol::new(protocols::sakuraneko::NAME, protocols::sakuraneko::encode),
    Protocol::new(protocols::satisfyer::NAME, protocols::satisfyer::encode)
        .with_identify(
            protocols::satisfyer::identify_steps,
            protocols::satisfyer::resolve_identifier,
        )
        .with_initialize(protocols::satisfyer::initialize)
        .with_keepalive(protocols::satisfyer::KEEPALIVE),
    Protocol::new(protocols::sayberx::NAME, protocols::sayberx::encode).with_identify(
        protocols::sayberx::identify_steps,
        protocols::sayberx::resolve_identifier,
    ),
    Protocol::new(protocols::sdl_gamepad::NAME, protocols::sdl_gamepad::encode)
        .with_read_input(protocols::sdl_gamepad::read_input),
    Protocol::new(protocols::sensee::NAME, protocols::sensee::encode),
    Protocol::new(protocols::sensee_v2::NAME, protocols::sensee_v2::encode)
        .with_initialize(protocols::sensee_v2::initialize),
    Protocol::new(protocols::serveu::NAME, protocols::serveu::encode),
    Protocol::new(
        protocols::sexverse_lg389::NAME,
        protocols::sexverse_lg389::encode,
    ),
    Protocol::new(protocols::sexverse_v1::NAME, protocols::sexverse_v1::encode),
    Protocol::new(protocols::sexverse_v2::NAME, protocols::sexverse_v2::encode)
        .with_initialize(protocols::sexverse_v2::initialize),
    Protocol::new(protocols::sexverse_v3::NAME, protocols::sexverse_v3::encode)
        .with_keepalive(protocols::sexverse_v3::KEEPALIVE),
    Protocol::new(protocols::sexverse_v4::NAME, protocols::sexverse_v4::encode),
    Protocol::new(protocols::sexverse_v5::NAME, protocols::sexverse_v5::encode),
    Protocol::new(protocols::sexverse_v6::NAME, protocols::sexverse_v6::encode),
    Protocol::new(protocols::simulated::NAME, protocols::simulated::encode),
    Protocol::new(protocols::svakom_alex::NAME, protocols::svakom_alex::encode),
    Protocol::new(
        protocols::svakom_alex_v2::NAME,
        protocols::svakom_alex_v2::encode,
    ),
    Protocol::new(
        protocols::svakom_avaneo::NAME,
        protocols::svakom_avaneo::encode,
    ),
    Protocol::new(
        protocols::svakom_barnard::NAME,
        protocols::svakom_barnard::encode,
    ),
    Protocol::new(
        protocols::svakom_barney::NAME,
        protocols::svakom_barney::encode,
    ),
    Protocol::new(protocols::svakom_dice::NAME, protocols::svakom_dice::encode),
    Protocol::new(
        protocols::svakom_dt250a::NAME,
        protocols::svakom_dt250a::encode,
    ),
    Protocol::new(
        protocols::svakom_fatima::NAME,
        protocols::svakom_fatima::encode,
    ),
    Protocol::new(protocols::svakom_iker::NAME, protocols::svakom_iker::encode),
    Protocol::new(
        protocols::svakom_jordan::NAME,
        protocols::svakom_jordan::encode,
    ),
    Protocol::new(
        protocols::svakom_pulse::NAME,
        protocols::svakom_pulse::encode,
    ),
    Protocol::new(protocols::svakom_sam::NAME, protocols::svakom_sam::encode)
        .with_initialize(protocols::svakom_sam::initialize),
    Protocol::new(protocols::svakom_sam2::NAME, protocols::svakom_sam2::encode),
    Protocol::new(
        protocols::svakom_suitcase::NAME,
        protocols::svakom_suitcase::encode,
    ),
    Protocol::new(
        protocols::svakom_tarax::NAME,
        protocols::svakom_tarax::encode,
    ),
    Protocol::new(protocols::svakom_v1::NAME, protocols::svakom_v1::encode),
    Protocol::new(protocols::svakom_v2::NAME, protocols::svakom_v2::encode),
    Protocol::new(protocols::svakom_v3::NAME, protocols::svakom_v3::encode),
    Protocol::new(protocols::svakom_v4::NAME, protocols::svakom_v4::encode),
    Protocol::new(protocols::svakom_v5::NAME, protocols::svakom_v5::encode),
    Protocol::new(protocols::svakom_v6::NAME, protocols::svakom_v6::encode),
    Protocol::new(protocols::synchro::NAME, protocols::synchro::encode),
    Protocol::new(protocols::tcode_v03::NAME, protocols::tcode_v03::encode),
    Protocol::new(protocols::thehandy::NAME, protocols::thehandy::encode),
    Protocol::new(protocols::thehandy_v3::NAME, protocols::thehandy_v3::encode)
        .with_identify(
            protocols::thehandy_v3::identify_steps,
            protocols::thehandy_v3::resolve_identifier,
        )
        .with_initialize(protocols::thehandy_v3::initialize),
    Protocol::new(protocols::tryfun::NAME, protocols::tryfun::encode),
    Protocol::new(
        protocols::tryfun_blackhole::NAME,
        protocols::tryfun_blackhole::encode,
    ),
    Protocol::new(
        protocols::tryfun_meta2::NAME,
        protocols::tryfun_meta2::encode,
    ),
    Protocol::new(
        protocols::twerkingbutt::NAME,
        protocols::twerkingbutt::encode,
    ),
    Protocol::new(protocols::umove::NAME, protocols::umove::encode)
        .with_identify(
            protocols::umove::identify_steps,
            protocols::umove::resolve_identifier,
        )
        .with_keepalive(protocols::umove::KEEPALIVE),
    Protocol::new(protocols::utimi::NAME, protocols::utimi::encode),
    Protocol::new(protocols::vibcrafter::NAME, protocols::vibcrafter::encode)
        .with_initialize(protocols::vibcrafter::initialize),
    Protocol::new(protocols::vibio::NAME, protocols::vibio::encode)
        .with_initialize(protocols::vibio::initialize),
    Protocol::new(
        protocols::vibratissimo::NAME,
        protocols::vibratissimo::encode,
    )
    .with_identify(
        protocols::vibratissimo::identify_steps,
        protocols::vibratissimo::resolve_identifier,
    ),
    Protocol::new(
        protocols::vorze_cyclone_x::NAME,
        protocols::vorze_cyclone_x::encode,
    ),
    Protocol::new(protocols::vorze_sa::NAME, protocols::vorze_sa::encode)
        .with_initialize(protocols::vorze_sa::initialize),
    Protocol::new(protocols::wetoy::NAME, protocols::wetoy::encode)
        .with_initialize(protocols::wetoy::initialize),
    Protocol::new(protocols::wevibe::NAME, protocols::wevibe::encode)
        .with_initialize(protocols::wevibe::initialize),
    Protocol::new(protocols::wevibe_8bit::NAME, protocols::wevibe_8bit::encode),
    Protocol::new(
        protocols::wevibe_chorus::NAME,
        protocols::wevibe_chorus::encode,
    ),
    Protocol::new(protocols::xibao::NAME, protocols::xibao::encode),
    Protocol::new(protocols::xinput::NAME, protocols::xinput::encode),
    Protocol::new(protocols::xiuxiuda::NAME, protocols::xiuxiuda::encode),
    Protocol::new(protocols::xuanhuan::NAME, protocols::xuanhuan::encode)
        .with_keepalive(protocols::xuanhuan::KEEPALIVE),
    Protocol::new(protocols::yiciyuan::NAME, protocols::yiciyuan::encode)
        .with_read_input(protocols::yiciyuan::read_input),
    Protocol::new(protocols::youcups::NAME, protocols::youcups::encode),
    Protocol::new(protocols::youou::NAME, protocols::youou::encode).with_identify(
        protocols::youou::identify_steps,
        protocols::youou::resolve_identifier,
    ),
    Protocol::new(protocols::zalo::NAME, protocols::zalo::encode),
];

/// The protocol with this database key.
pub fn find(name: &str) -> Option<&'static Protocol> {
    PROTOCOLS
        .binary_search_by(|protocol| protocol.name.cmp(name))
        .ok()
        .map(|position| &PROTOCOLS[position])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_sorted_and_unique() {
        for pair in PROTOCOLS.windows(2) {
            assert!(
                pair[0].name < pair[1].name,
                "{} before {}",
                pair[0].name,
                pair[1].name
            );
        }
    }

    #[test]
    fn find_returns_each_registered_protocol() {
        for protocol in PROTOCOLS {
            assert_eq!(
                find(protocol.name).map(|found| found.name),
                Some(protocol.name)
            );
        }
        assert!(find("no-such-protocol").is_none());
    }
}
