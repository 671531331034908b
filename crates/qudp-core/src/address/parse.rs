//! Text to address exactly as `QHostAddress::setAddress(const QString &)`
//! reads it (qhostaddress.cpp, QIPAddressUtils in qipaddress.cpp), checked
//! against PySide6 by tests/test_api_address_fuzz.py. The rules that differ
//! from Rust's and inet_aton's parsers:
//!
//! - the text is first `QString::simplified()`: whitespace trimmed at both
//!   ends, every inner run of whitespace becomes one space;
//! - text with a ':' is tried as IPv6 (scope after the last '%') and, if that
//!   fails, as IPv4;
//! - Qt hands the fields to a C-string number parser: the text ends at the
//!   first NUL ("127.0.0.1\0junk" is 127.0.0.1), leading blanks of a field
//!   are skipped ("0. 0.0.0" is 0.0.0.0, "1::0:1: 1" is 1::1:1), a '+' sign
//!   is allowed, and IPv4 fields take C's 0x / 0 (octal) prefixes and 0b;
//! - any character from U+007F up makes the address invalid (the scope id
//!   excepted, which is kept as given).

use std::net::{Ipv4Addr, Ipv6Addr};

use super::{HostAddr, Ip};

/// `QChar::isSpace`: the Unicode White_Space set, which is what
/// `char::is_whitespace` tests.
fn simplified(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split(char::is_whitespace).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// The bytes a C parser sees: up to the first NUL.
fn c_str(b: &[u8]) -> &[u8] {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    &b[..end]
}

/// One unsigned number as Qt's qstrntoull reads it from the start of `s`:
/// ASCII blanks skipped, no '-', one optional '+', then with `base` 0 a C
/// prefix picks the base (0x hex, 0b binary, 0 octal, else decimal); with
/// base 16 a "0x" is skipped. At least one digit; no u64 overflow. Returns
/// the value and the bytes used from the start of `s` (blanks and prefix
/// included).
fn number(s: &[u8], base: u32) -> Option<(u64, usize)> {
    let mut i = s
        .iter()
        .take_while(|c| matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))
        .count();
    match s.get(i) {
        None | Some(b'-') => return None,
        Some(b'+') => i += 1,
        _ => {}
    }
    let mut radix = base;
    if let Some(&d) = s.get(i).filter(|d| d.is_ascii_digit()) {
        let next = s.get(i + 1).copied();
        if d == b'0' && matches!(next, Some(b'x' | b'X')) && (radix == 0 || radix == 16) {
            radix = 16;
            i += 2;
        } else if d == b'0' && matches!(next, Some(b'b' | b'B')) && radix == 0 {
            radix = 2;
            i += 2;
        } else if radix == 0 {
            radix = if d == b'0' { 8 } else { 10 };
        }
    }
    if radix == 0 {
        return None; // base 0 and not a digit: nothing to read
    }
    let digits = s[i.min(s.len())..]
        .iter()
        .take_while(|c| (**c as char).is_digit(radix))
        .count();
    if digits == 0 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in &s[i..i + digits] {
        let d = u64::from((c as char).to_digit(radix)?);
        v = v.checked_mul(u64::from(radix))?.checked_add(d)?;
    }
    Some((v, i + digits))
}

/// Qt's IPv4 reading of a C string: 1 to 4 fields separated by dots, the
/// last filling the remaining bytes ("127.1", "1.2.3" as 1.2.0.3). With
/// `leading_zero` false (an IPv4 tail of IPv6), "01" is refused.
fn ipv4(s: &[u8], leading_zero: bool) -> Option<u32> {
    let mut addr: u32 = 0;
    let mut at = 0usize;
    for dots in 0..4 {
        let rest = &s[at..];
        if !leading_zero && rest.first() == Some(&b'0') && !matches!(rest.get(1), Some(b'.') | None) {
            return None;
        }
        let (v, used) = number(rest, 0)?;
        let x = u32::try_from(v).ok()?;
        let next = rest.get(used).copied();
        let (max, shift) = if next == Some(b'.') || dots == 3 {
            (0xff, 8)
        } else {
            match dots {
                2 => (0xffff, 16),
                1 => (0xff_ffff, 24),
                _ => (u32::MAX, 0),
            }
        };
        if x > max {
            return None;
        }
        addr = if shift == 0 { addr } else { addr << shift } | x;
        if dots == 3 || next.is_none() {
            return next.is_none().then_some(addr);
        }
        if next != Some(b'.') {
            return None;
        }
        at += used + 1;
    }
    None
}

/// Qt's IPv6 reading of `text` (no scope): eight 16-bit hex fields of at
/// most four characters, one "::" for a run of zeros, an IPv4 tail in the
/// last 32 bits.
fn ipv6(text: &str) -> Option<[u8; 16]> {
    let full = text.as_bytes();
    if full.is_empty() || full.iter().any(|&c| c >= 0x7f) {
        return None;
    }
    let s = c_str(full);
    let colons = s.iter().filter(|&&c| c == b':').count();
    let dots = s.iter().filter(|&&c| c == b'.').count();
    if dots != 0 && dots != 3 {
        return None;
    }
    let mut out = [0u8; 16];
    if colons == 2 && full.len() == 2 {
        return Some(out); // "::"
    }
    // The length Qt uses here counts the characters after a NUL too.
    let n = full.len();
    let double_at_end = n >= 2 && full[n - 2] == b':' && full[n - 1] == b':';
    let mut zeros: i64 = if s.starts_with(b"::") || double_at_end {
        9 - colons as i64
    } else if !(2..=7).contains(&colons) {
        return None;
    } else {
        8 - colons as i64
    };
    if dots > 0 {
        zeros -= 1;
    }
    // Index past the C string reads its terminating NUL, as Qt's buffer does.
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    let mut pos = 0usize;
    let mut p = 0usize;
    while pos < 15 {
        if at(p) == b':' {
            if zeros < 1 {
                return None;
            }
            if pos == 0 || pos == colons * 2 {
                if at(p + 1) != b':' {
                    return None;
                }
                p += 1;
            }
            pos += zeros as usize * 2;
            zeros = 0;
            p += 1;
            continue;
        }
        let field = &s[p.min(s.len())..];
        let (v, used) = number(field, 16)?;
        if used > 4 {
            return None;
        }
        let next = at(p + used);
        if next == b'.' {
            if pos != 12 {
                return None;
            }
            let v4 = ipv4(field, false)?;
            out[12..].copy_from_slice(&v4.to_be_bytes());
            return Some(out);
        }
        if pos + 2 > 16 {
            return None;
        }
        out[pos..pos + 2].copy_from_slice(&(v as u16).to_be_bytes());
        pos += 2;
        if next == 0 {
            break;
        }
        if next != b':' {
            return None;
        }
        p += used + 1;
    }
    (pos == 16).then_some(out)
}

/// `QHostAddress::setAddress(text)`: the address, or None where Qt returns
/// false and leaves the address null.
pub(super) fn parse(text: &str) -> Option<HostAddr> {
    let a = simplified(text);
    if a.is_empty() {
        return None;
    }
    if a.contains(':') {
        let (addr, scope) = match a.rfind('%') {
            Some(i) => (&a[..i], &a[i + 1..]),
            None => (a.as_str(), ""),
        };
        if let Some(octets) = ipv6(addr) {
            return Some(HostAddr {
                ip: Ip::V6(Ipv6Addr::from(octets)),
                scope: scope.to_owned(),
            });
        }
    }
    if a.bytes().any(|c| c >= 0x7f) {
        return None;
    }
    ipv4(c_str(a.as_bytes()), true).map(|v| Ip::V4(Ipv4Addr::from(v)).into())
}

#[cfg(test)]
mod tests {
    use super::parse;

    fn text(t: &str) -> Option<String> {
        parse(t).map(|a| a.to_qt_string())
    }

    #[test]
    fn qt_answers() {
        // (input, what PySide6 6.12 shows; None = invalid)
        let cases: &[(&str, Option<&str>)] = &[
            ("0. 0.0.0", Some("0.0.0.0")),
            ("127.0.0.1\0junk", Some("127.0.0.1")),
            ("3\0", Some("0.0.0.3")),
            ("1::0:1: 1", Some("1::1:1")),
            ("::9D\x0007A\t  e1xA", Some("::9d")),
            ("fe80::0:1234\x005:1]", Some("fe80::1234")),
            (" 127.0.0.1 ", Some("127.0.0.1")),
            ("127.1", Some("127.0.0.1")),
            ("1.2.3", Some("1.2.0.3")),
            ("0x7f.1", Some("127.0.0.1")),
            ("010.0.0.1", Some("8.0.0.1")),
            ("300.1.1.1", None),
            ("1.2.3.4.5", None),
            ("", None),
            ("   ", None),
            ("-1", None),
            ("::", Some("::")),
            ("::ffff:1.2.3.4", Some("::ffff:1.2.3.4")),
            ("::ffff:01.2.3.4", None),
            ("1:2:3:4:5:6:7:8", Some("1:2:3:4:5:6:7:8")),
            ("1:2:3:4:5:6:7:8:9", None),
            ("12345::", None),
        ];
        for (input, want) in cases {
            assert_eq!(text(input).as_deref(), *want, "{input:?}");
        }
    }

    #[test]
    fn scope_is_kept_only_for_ipv6() {
        let a = parse("fe80::1%eth0").unwrap();
        assert_eq!(a.scope, "eth0");
        assert!(parse("1.2.3.4%eth0").is_none());
    }
}
