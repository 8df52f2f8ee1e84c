//! A sliding window over explicit nonces: each nonce is accepted once, and
//! nonces more than [`WINDOW`] behind the highest seen are refused.

/// How far behind the highest nonce a frame may still arrive.
pub const WINDOW: u64 = 128;

/// The window state of one session.
#[derive(Debug, Default, Clone)]
pub struct ReplayWindow {
    highest: Option<u64>,
    /// Bit `d` set: nonce `highest - d` was seen.
    seen: u128,
}

impl ReplayWindow {
    /// Accepts `nonce` if it was not seen and is not too old, marking it.
    pub fn accept(&mut self, nonce: u64) -> bool {
        if nonce == u64::MAX {
            return false; // reserved by Noise
        }
        match self.highest {
            None => {
                self.highest = Some(nonce);
                self.seen = 1;
                true
            }
            Some(h) if nonce > h => {
                let shift = nonce - h;
                self.seen = if shift >= WINDOW {
                    0
                } else {
                    self.seen << shift
                };
                self.seen |= 1;
                self.highest = Some(nonce);
                true
            }
            Some(h) => {
                let d = h - nonce;
                if d >= WINDOW || self.seen & (1u128 << d) != 0 {
                    return false;
                }
                self.seen |= 1u128 << d;
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    proptest! {
        #[test]
        fn accepts_each_nonce_once_within_the_window(nonces in proptest::collection::vec(0u64..400, 0..300)) {
            let mut w = ReplayWindow::default();
            let mut seen = HashSet::new();
            let mut highest: Option<u64> = None;
            for n in nonces {
                let fresh = !seen.contains(&n) && highest.is_none_or(|h| n + WINDOW > h);
                prop_assert_eq!(w.accept(n), fresh, "nonce {}", n);
                if fresh {
                    seen.insert(n);
                    highest = Some(highest.map_or(n, |h| h.max(n)));
                }
            }
        }
    }

    #[test]
    fn out_of_order_and_reserved() {
        let mut w = ReplayWindow::default();
        assert!(w.accept(5));
        assert!(w.accept(3));
        assert!(!w.accept(3));
        assert!(w.accept(200));
        assert!(!w.accept(5), "too old now");
        assert!(!w.accept(u64::MAX));
    }
}
