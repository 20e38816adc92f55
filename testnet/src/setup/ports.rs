//! Free local ports: bind port 0, note the port, release. All sockets are held until every
//! port is chosen, so one call never returns the same port twice.

use std::net::TcpListener;

pub fn free_ports(count: usize) -> std::io::Result<Vec<u16>> {
    let listeners = (0..count)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<std::io::Result<Vec<_>>>()?;
    listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn ports_are_distinct() {
        let mut p = super::free_ports(12).unwrap();
        assert!(p.iter().all(|&x| x != 0));
        p.sort();
        p.dedup();
        assert_eq!(p.len(), 12);
    }
}
