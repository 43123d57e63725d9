//! Who reads: staff, or a partner organisation. Partners never see what is
//! confidential, and a staff read of a confidential record is named for the audit log.

/// What a reader may see: staff see everything, partners only what is not
/// confidential and never the staff-only fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    Staff,
    Public,
}

impl Visibility {
    pub fn is_public(&self) -> bool {
        *self == Visibility::Public
    }

    /// The values of a `confidential` column this reader may see.
    pub fn confidential_values(&self) -> Vec<bool> {
        if self.is_public() {
            vec![false]
        } else {
            vec![false, true]
        }
    }
}

/// A record that may be confidential: what the audit log calls it when it is.
pub trait Confidential {
    /// `"case <id>"`, `"defender <id>"`, ...: the confidential records this one is or
    /// shows; none for a record that is not confidential.
    fn confidential_refs(&self) -> Vec<String>;
}
