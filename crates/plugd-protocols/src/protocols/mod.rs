//! One module per protocol, named after its database key with `-` turned into `_`.

pub mod kgoal_boost;
pub mod lovense;
pub mod simulated;
