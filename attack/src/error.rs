//! The attacker's one failure: it could not be set up.

#[derive(Debug, thiserror::Error)]
pub enum AttackError {
    #[error("attacker set-up: {0}")]
    Setup(String),
}
