//! One module per protocol, named after its database key with `-` turned into `_`.

pub mod kgoal_boost;
pub mod libo_elle;
pub mod libo_vibes;
pub mod lovedistance;
pub mod lovense;
pub mod sensee;
pub mod sensee_v2;
pub mod sexverse_lg389;
pub mod sexverse_v1;
pub mod sexverse_v2;
pub mod sexverse_v3;
pub mod sexverse_v4;
pub mod sexverse_v5;
pub mod simulated;
pub mod wevibe;
pub mod wevibe_8bit;
pub mod wevibe_chorus;
