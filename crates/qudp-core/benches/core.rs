//! Criterion benchmarks of qudp's Rust core, without Python: the receive
//! ring, GRO splitting, address parsing, and a loopback round trip through
//! the socket core (recvmmsg batches). Run: `cargo bench --bench core`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use qudp_core::address::HostAddr;
use qudp_core::batch::{Meta, Ring};
use qudp_core::core::{Core, Events};
use qudp_core::sys::RecvInfo;

fn ring(c: &mut Criterion) {
    let mut g = c.benchmark_group("ring");
    g.throughput(Throughput::Elements(64));
    let small = [7u8; 64];
    g.bench_function("absorb_pop_64", |b| {
        let mut r = Ring::new(64);
        b.iter(|| {
            for _ in 0..64 {
                r.absorb(Meta::default(), [&small, &[]]);
            }
            while !r.is_empty() {
                black_box(r.front_bytes());
                black_box(r.pop());
            }
        })
    });
    let big = vec![1u8; 64 * 1000];
    g.bench_function("split_gro_64x1000", |b| {
        let mut r = Ring::new(1);
        b.iter(|| {
            r.absorb(
                Meta {
                    info: RecvInfo {
                        gso_size: 1000,
                        ..RecvInfo::default()
                    },
                    ..Meta::default()
                },
                [&big[..2048], &big[2048..]],
            );
            black_box(r.len());
            r.clear();
        })
    });
    g.finish();
}

fn address(c: &mut Criterion) {
    c.bench_function("parse_v4", |b| {
        b.iter(|| HostAddr::parse(black_box("192.168.10.20")))
    });
    c.bench_function("parse_v6_scope", |b| {
        b.iter(|| HostAddr::parse(black_box("fe80::1:2:3%eth0")))
    });
}

fn loopback(c: &mut Criterion) {
    let mut ev = Events::new();
    let mut rx = Core::default();
    assert!(rx.bind(&HostAddr::parse("127.0.0.1").unwrap(), 0, 0, &mut ev));
    let mut tx = Core::default();
    let to = rx.local().clone();
    let port = rx.local_port();
    let mut g = c.benchmark_group("loopback");
    g.throughput(Throughput::Elements(32));
    g.bench_function("send32_take32_64B", |b| {
        let payload = [7u8; 64];
        b.iter(|| {
            for _ in 0..32 {
                tx.send_to(&payload, &to, port, &mut ev);
            }
            let mut got = 0;
            while got < 32 {
                got += rx.take_many(32 - got, &mut ev, |d, _| {
                    black_box(d);
                    true
                });
            }
            ev.clear();
        })
    });
    g.finish();
}

criterion_group!(benches, ring, address, loopback);
criterion_main!(benches);
