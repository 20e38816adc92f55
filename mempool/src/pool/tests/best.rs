//! Block building order (`best_transactions`).

use super::*;

#[test]
fn best_transactions_by_fee_in_nonce_order() {
    let mut p = pool();
    let s = rich(&["a", "b", "c"]);
    let a0 = tx("a", 0, 1, 1);
    let a1 = tx("a", 1, 100, 1);
    let b0 = tx("b", 0, 50, 1);
    let c1 = tx("c", 1, 1000, 1); // queued: never offered
    for t in [&a1, &a0, &b0, &c1] {
        ins(&mut p, t, &s).unwrap();
    }
    assert_eq!(
        p.best_transactions(10, usize::MAX),
        vec![b0.clone(), a0.clone(), a1]
    );
    assert_eq!(p.best_transactions(1, usize::MAX), vec![b0.clone()]);
    assert_eq!(p.best_transactions(10, 170), vec![b0]);
    assert!(p.best_transactions(10, 100).is_empty());
}

#[test]
fn best_transactions_prefers_local_then_older_at_equal_fee() {
    let mut p = pool();
    let s = rich(&["a", "b", "c"]);
    let now = Instant::now();
    let (a, b, c) = (tx("a", 0, 5, 1), tx("b", 0, 5, 1), tx("c", 0, 5, 1));
    p.insert(a.clone(), Origin::External, &s, now).unwrap();
    p.insert(b.clone(), Origin::External, &s, now).unwrap();
    p.insert(c.clone(), Origin::Local, &s, now).unwrap();
    assert_eq!(p.best_transactions(3, usize::MAX), vec![c, a, b]);
}
