//! Bring a network interface up with an IPv4 address.
//!
//! This is the one module of hush-init with `unsafe`: the two ioctls that
//! set an interface's address and flags (SIOCSIFADDR/SIOCSIFNETMASK and
//! SIOCGIFFLAGS/SIOCSIFFLAGS) have no safe wrapper in nix or std, and the
//! image has no `ip` program to do it (it holds nothing but hush). Each
//! call passes a fully initialised `ifreq` that lives across the call, on a
//! socket std opened.

#![allow(unsafe_code)]

use std::net::{Ipv4Addr, UdpSocket};
use std::os::fd::AsRawFd;

use anyhow::{Result, bail};

/// The kernel's interface request, for one interface name.
fn request(interface: &str) -> Result<libc::ifreq> {
    let name = interface.as_bytes();
    if name.is_empty() || name.len() >= libc::IFNAMSIZ {
        bail!("interface name {interface:?} is empty or too long");
    }
    // SAFETY: ifreq is plain old data (a name and a union of integers and
    // addresses); all zeroes is a valid value of every field.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    for (dst, src) in req.ifr_name.iter_mut().zip(name) {
        *dst = *src as libc::c_char;
    }
    Ok(req)
}

/// An AF_INET socket address with port 0, as the address ioctls take it.
fn sockaddr(address: Ipv4Addr) -> libc::sockaddr {
    let mut data = [0 as libc::c_char; 14];
    for (dst, src) in data[2..6].iter_mut().zip(address.octets()) {
        *dst = src as libc::c_char;
    }
    libc::sockaddr {
        sa_family: libc::AF_INET as libc::sa_family_t,
        sa_data: data,
    }
}

fn ioctl(socket: &UdpSocket, op: libc::Ioctl, req: &mut libc::ifreq, what: &str) -> Result<()> {
    // SAFETY: `req` is an initialised ifreq that outlives the call, and
    // each `op` used here reads or writes exactly one ifreq.
    let rc = unsafe { libc::ioctl(socket.as_raw_fd(), op, req as *mut libc::ifreq) };
    if rc < 0 {
        bail!("{what}: {}", std::io::Error::last_os_error());
    }
    Ok(())
}

fn set_up(socket: &UdpSocket, interface: &str) -> Result<()> {
    let mut req = request(interface)?;
    ioctl(socket, libc::SIOCGIFFLAGS, &mut req, "reading the flags")?;
    // SAFETY: SIOCGIFFLAGS just filled the flags member of the union.
    let flags = unsafe { req.ifr_ifru.ifru_flags };
    req.ifr_ifru.ifru_flags = flags | (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
    ioctl(socket, libc::SIOCSIFFLAGS, &mut req, "setting the flags")
}

fn socket() -> Result<UdpSocket> {
    Ok(UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))?)
}

/// Bring up `lo` (the kernel gives it 127.0.0.1/8).
pub fn up_loopback() -> Result<()> {
    set_up(&socket()?, "lo")
}

/// Give `interface` the address `address/prefix` and bring it up.
pub fn up_with_address(interface: &str, address: Ipv4Addr, prefix: u8) -> Result<()> {
    let socket = socket()?;
    let mut req = request(interface)?;
    req.ifr_ifru.ifru_addr = sockaddr(address);
    ioctl(&socket, libc::SIOCSIFADDR, &mut req, "setting the address")?;
    let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
    let mut req = request(interface)?;
    req.ifr_ifru.ifru_netmask = sockaddr(Ipv4Addr::from(mask));
    ioctl(
        &socket,
        libc::SIOCSIFNETMASK,
        &mut req,
        "setting the netmask",
    )?;
    set_up(&socket, interface)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_laid_out_as_the_kernel_reads_it() {
        let a = sockaddr(Ipv4Addr::new(10, 0, 2, 15));
        assert_eq!(a.sa_family, libc::AF_INET as libc::sa_family_t);
        let bytes: Vec<u8> = a.sa_data.iter().map(|b| *b as u8).collect();
        assert_eq!(&bytes[..6], &[0, 0, 10, 0, 2, 15]);
        assert!(bytes[6..].iter().all(|b| *b == 0));
    }

    #[test]
    fn names_are_checked() {
        assert!(request("eth0").is_ok());
        assert!(request("").is_err());
        assert!(request("sixteen-chars-xx").is_err());
    }
}
