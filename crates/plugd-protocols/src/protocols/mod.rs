//! One module per protocol, named after its database key with `-` turned into `_`.

pub mod lovense;
pub mod simulated;
