//! Property tests of the IP network matcher behind `fd.net`, `fd.snet` and the other
//! network fields: containment agrees with comparing the leading `prefix` bits, and no text
//! makes the parser panic.

use palisade_engine::matchers::IpNetwork;
use proptest::prelude::*;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Do `a` and `b` agree on their first `prefix` of `bits` bits?
fn same_prefix(a: u128, b: u128, prefix: u32, bits: u32) -> bool {
    prefix == 0 || (a ^ b) >> (bits - prefix) == 0
}

proptest! {
    #[test]
    fn ipv4_containment_is_prefix_equality(a: u32, b: u32, prefix in 0u32..=32) {
        let net = IpNetwork::parse(&format!("{}/{prefix}", Ipv4Addr::from(a))).unwrap();
        let expected = same_prefix(u128::from(a), u128::from(b), prefix, 32);
        prop_assert_eq!(net.contains(IpAddr::V4(Ipv4Addr::from(b))), expected);
        // The same address written as IPv4-mapped IPv6 is compared as IPv4.
        let mapped = IpAddr::V6(Ipv4Addr::from(b).to_ipv6_mapped());
        prop_assert_eq!(net.contains(mapped), expected);
        prop_assert!(net.contains(IpAddr::V4(Ipv4Addr::from(a))));
    }

    #[test]
    fn ipv6_containment_is_prefix_equality(a: u128, b: u128, prefix in 0u32..=128) {
        let net = IpNetwork::parse(&format!("{}/{prefix}", Ipv6Addr::from(a))).unwrap();
        let b6 = Ipv6Addr::from(b);
        // IPv4-mapped addresses are compared as IPv4, never inside an IPv6 network.
        prop_assume!(b6.to_ipv4_mapped().is_none());
        prop_assert_eq!(
            net.contains(IpAddr::V6(b6)),
            same_prefix(a, b, prefix, 128)
        );
    }

    #[test]
    fn parsing_any_text_returns(text in "\\PC{0,48}") {
        if let Err(e) = IpNetwork::parse(&text) {
            prop_assert!(!e.is_empty());
        }
    }
}
