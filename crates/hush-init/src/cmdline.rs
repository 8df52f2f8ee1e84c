//! The network settings on the kernel command line, which the image fixes
//! and the TEE measures: `hush.ip=ADDR/PREFIX` and `hush.if=NAME`.

use std::net::Ipv4Addr;

use anyhow::{Context, Result, bail};

/// The interface configured when `hush.if=` is absent.
const DEFAULT_INTERFACE: &str = "eth0";
/// Longest interface name Linux accepts (IFNAMSIZ less the NUL).
const MAX_INTERFACE_NAME: usize = 15;

/// An IPv4 address for one interface.
#[derive(Debug, PartialEq, Eq)]
pub struct Network {
    /// The interface, such as `eth0`.
    pub interface: String,
    /// Its address.
    pub address: Ipv4Addr,
    /// Its prefix length (24 for 255.255.255.0).
    pub prefix: u8,
}

impl Network {
    /// The network the command line asks for, or `None` without `hush.ip=`.
    pub fn parse(cmdline: &str) -> Result<Option<Network>> {
        let mut ip = None;
        let mut interface = DEFAULT_INTERFACE.to_string();
        for word in cmdline.split_ascii_whitespace() {
            if let Some(v) = word.strip_prefix("hush.ip=") {
                ip = Some(v);
            } else if let Some(v) = word.strip_prefix("hush.if=") {
                if v.is_empty() || v.len() > MAX_INTERFACE_NAME || v.contains('/') {
                    bail!("hush.if={v:?} is not an interface name");
                }
                interface = v.to_string();
            }
        }
        let Some(ip) = ip else { return Ok(None) };
        let (address, prefix) = ip
            .split_once('/')
            .with_context(|| format!("hush.ip={ip} needs a prefix, as in 10.0.2.15/24"))?;
        let address: Ipv4Addr = address
            .parse()
            .with_context(|| format!("hush.ip={ip}: {address:?} is not an IPv4 address"))?;
        let prefix: u8 = prefix
            .parse()
            .ok()
            .filter(|p| *p <= 32)
            .with_context(|| format!("hush.ip={ip}: the prefix must be 0 to 32"))?;
        Ok(Some(Network {
            interface,
            address,
            prefix,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_address_and_interface() {
        let n = Network::parse("console=ttyS0 hush.ip=10.0.2.15/24 panic=-1")
            .unwrap()
            .unwrap();
        assert_eq!(n.interface, "eth0");
        assert_eq!(n.address, Ipv4Addr::new(10, 0, 2, 15));
        assert_eq!(n.prefix, 24);
        let n = Network::parse("hush.if=ens3 hush.ip=192.168.1.2/16")
            .unwrap()
            .unwrap();
        assert_eq!((n.interface.as_str(), n.prefix), ("ens3", 16));
    }

    #[test]
    fn no_address_means_loopback_only() {
        assert_eq!(Network::parse("console=ttyS0 quiet").unwrap(), None);
    }

    #[test]
    fn refuses_what_it_cannot_use() {
        for bad in [
            "hush.ip=10.0.2.15",
            "hush.ip=10.0.2/24",
            "hush.ip=10.0.2.15/33",
            "hush.ip=10.0.2.15/x",
            "hush.ip=10.0.2.15/24 hush.if=",
            "hush.ip=10.0.2.15/24 hush.if=a-name-far-too-long",
        ] {
            assert!(Network::parse(bad).is_err(), "{bad} was accepted");
        }
    }
}
