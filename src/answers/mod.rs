//! What the user told us, and the validation every value passes before it is used.

pub mod validate;
