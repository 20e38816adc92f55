use super::*;

#[test]
fn parses_labels_values_and_skips_junk() {
    let text = r#"# HELP x y
# TYPE libp2p_bandwidth_bytes counter
libp2p_bandwidth_bytes_total{protocols="/ip4/tcp",direction="Inbound"} 1234
gossipsub_topic_msg_recv_counts_total{hash="/rumor/ab12cd34/tx/1"} 7 1700000000
weird{a="x\"y\\z",b="}"} 1.5e3
garbage line here
plain 3
# EOF
"#;
    let s = parse(text);
    assert_eq!(s.len(), 4);
    assert_eq!(s[0].label("direction"), Some("Inbound"));
    assert_eq!(s[0].value, 1234.0);
    assert_eq!(s[1].label("hash"), Some("/rumor/ab12cd34/tx/1"));
    assert_eq!(s[2].label("a"), Some("x\"y\\z"));
    assert_eq!(s[2].label("b"), Some("}"));
    assert_eq!(s[2].value, 1500.0);
    assert_eq!(s[3].name, "plain");
}

#[test]
fn groups_families_as_a_classic_parser() {
    let page = "\
# HELP ok_total Fine.
# TYPE ok_total counter
ok_total{a=\"x\"} 1
# HELP bad Counter named in OpenMetrics style.
# TYPE bad counter
bad_total 1
# HELP h_seconds Histogram.
# TYPE h_seconds histogram
h_seconds_bucket{le=\"1\"} 1
h_seconds_bucket{le=\"+Inf\"} 1
h_seconds_sum 1
h_seconds_count 1
";
    let f = families(page);
    let names: Vec<&str> = f.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["ok_total", "bad", "bad_total", "h_seconds"]);
    assert_eq!(f[0].help.as_deref(), Some("Fine."));
    assert_eq!(f[0].series[0]["a"], "x");
    assert!(f[1].series.is_empty());
    assert_eq!((f[2].kind.as_str(), f[2].help.as_ref()), ("untyped", None));
    assert_eq!(f[3].series.len(), 4);
}
