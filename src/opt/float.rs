//! Correctly rounded conversion of decimal and hexadecimal numerals to the
//! binary floating-point formats `float`, `double` and `long double`.
//!
//! glibc's `strtof`/`strtod`/`strtold` (which `sscanf` uses for `%f`, `%lf`
//! and `%Lf`) round exactly, to nearest with ties to even, including
//! subnormals and overflow to infinity. This module does the same with exact
//! big-integer arithmetic: the value `M * 10^e10 * 2^e2` is written as a
//! fraction `N / D` and divided out to the format's precision.

use std::cmp::Ordering;

/// A binary floating-point format: `value = m * 2^e` with `m < 2^bits`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Format {
    /// Significand bits, including the leading one.
    pub bits: u32,
    /// Exponent `e` of the least significant bit of the smallest subnormal.
    pub min_e: i32,
    /// Largest exponent of the leading bit of a finite value.
    pub max_lead: i32,
}

/// IEEE single precision (`float`).
pub const F32: Format = Format {
    bits: 24,
    min_e: -149,
    max_lead: 127,
};
/// IEEE double precision (`double`).
pub const F64: Format = Format {
    bits: 53,
    min_e: -1074,
    max_lead: 1023,
};
/// x87 80-bit extended precision (`long double` on x86 and x86-64).
pub const F80: Format = Format {
    bits: 64,
    min_e: -16445,
    max_lead: 16383,
};
/// IEEE quadruple precision (`long double` on aarch64).
pub const F128: Format = Format {
    bits: 113,
    min_e: -16494,
    max_lead: 16383,
};

/// The format of C's `long double` on this target.
#[cfg(any(target_arch = "x86_64", target_arch = "x86"))]
pub const LONG_DOUBLE: Format = F80;
/// The format of C's `long double` on this target.
#[cfg(not(any(target_arch = "x86_64", target_arch = "x86")))]
pub const LONG_DOUBLE: Format = F128;

/// A rounded magnitude.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounded {
    Zero,
    /// `m * 2^e`; `m < 2^(bits-1)` only for subnormals (then `e == min_e`).
    Finite {
        m: u128,
        e: i32,
    },
    Inf,
}

/// A parsed real number, before rounding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Real {
    /// `digits` (most significant first, each 0..base) `* base^0 * 10^e10 * 2^e2`.
    Num {
        neg: bool,
        hex: bool,
        digits: Vec<u8>,
        e10: i64,
        e2: i64,
    },
    Inf {
        neg: bool,
    },
    Nan {
        neg: bool,
    },
}

/// A non-negative big integer, little-endian 32-bit limbs, no zero limbs on top.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Big(Vec<u32>);

impl Big {
    fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    fn bit_len(&self) -> u64 {
        match self.0.last() {
            None => 0,
            Some(&top) => (self.0.len() as u64 - 1) * 32 + u64::from(32 - top.leading_zeros()),
        }
    }

    fn mul_add_small(&mut self, mul: u32, add: u32) {
        let mut carry = u64::from(add);
        for limb in &mut self.0 {
            let v = u64::from(*limb) * u64::from(mul) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
        self.trim();
    }

    fn one() -> Big {
        Big(vec![1])
    }

    fn pow10(mut k: u64) -> Big {
        let mut b = Big::one();
        while k >= 9 {
            b.mul_add_small(1_000_000_000, 0);
            k -= 9;
        }
        b.mul_add_small(10u32.pow(k as u32), 0);
        b
    }

    fn shl(&self, bits: u64) -> Big {
        if self.is_zero() {
            return Big::default();
        }
        let words = (bits / 32) as usize;
        let rem = (bits % 32) as u32;
        let mut out = vec![0u32; words];
        out.reserve(self.0.len() + 1);
        if rem == 0 {
            out.extend_from_slice(&self.0);
        } else {
            let mut carry = 0u32;
            for &limb in &self.0 {
                out.push((limb << rem) | carry);
                carry = limb >> (32 - rem);
            }
            out.push(carry);
        }
        let mut b = Big(out);
        b.trim();
        b
    }

    fn cmp(&self, other: &Big) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }

    /// `self -= other`; requires `self >= other`.
    fn sub_assign(&mut self, other: &Big) {
        let mut borrow = 0i64;
        for (i, limb) in self.0.iter_mut().enumerate() {
            let o = i64::from(other.0.get(i).copied().unwrap_or(0));
            let mut v = i64::from(*limb) - o - borrow;
            borrow = 0;
            if v < 0 {
                v += 1 << 32;
                borrow = 1;
            }
            *limb = v as u32;
        }
        debug_assert_eq!(borrow, 0);
        self.trim();
    }

    /// Quotient (known to fit 128 bits) and remainder of `self / d`.
    fn div_rem_small_quotient(mut self, d: &Big) -> (u128, Big) {
        let mut q = 0u128;
        let (nb, db) = (self.bit_len(), d.bit_len());
        if nb < db {
            return (0, self);
        }
        for i in (0..=(nb - db)).rev() {
            let t = d.shl(i);
            if self.cmp(&t) != Ordering::Less {
                self.sub_assign(&t);
                q |= 1u128 << i;
            }
        }
        (q, self)
    }
}

/// Rounds `digits * base^0 * 10^e10 * 2^e2` (base 10, or 16 when `hex`)
/// to `fmt`, to nearest with ties to even.
pub fn round(digits: &[u8], hex: bool, e10: i64, e2: i64, fmt: Format) -> Rounded {
    // Leading zeros carry nothing; trailing decimal zeros move into e10.
    let first = digits.iter().position(|&d| d != 0);
    let Some(first) = first else {
        return Rounded::Zero;
    };
    let mut digits = &digits[first..];
    let mut e10 = e10;
    if !hex {
        while let Some((&0, rest)) = digits.split_last() {
            digits = rest;
            e10 = e10.saturating_add(1);
        }
    }
    // Magnitude bounds, to keep exponents of absurd size out of the arithmetic.
    let nd = digits.len() as i64;
    if hex {
        let lead = nd.saturating_mul(4).saturating_add(e2);
        if lead > i64::from(fmt.max_lead) + 8 {
            return Rounded::Inf;
        }
        if lead < i64::from(fmt.min_e) - 8 {
            return Rounded::Zero;
        }
    } else {
        // 10^(nd-1+e10) <= value < 10^(nd+e10).
        let hi = nd.saturating_add(e10);
        if hi.saturating_sub(1) > 4940 {
            return Rounded::Inf;
        }
        if hi < -4960 {
            return Rounded::Zero;
        }
    }

    let mut n = Big::default();
    if hex {
        for chunk in digits.chunks(7) {
            let mut v = 0u32;
            for &d in chunk {
                v = v * 16 + u32::from(d);
            }
            n.mul_add_small(16u32.pow(chunk.len() as u32), v);
        }
    } else {
        for chunk in digits.chunks(9) {
            let mut v = 0u32;
            for &d in chunk {
                v = v * 10 + u32::from(d);
            }
            n.mul_add_small(10u32.pow(chunk.len() as u32), v);
        }
    }
    let mut d = Big::one();
    if e10 >= 0 {
        let p = Big::pow10(e10 as u64);
        n = mul(&n, &p);
    } else {
        d = Big::pow10(e10.unsigned_abs());
    }
    if e2 >= 0 {
        n = n.shl(e2 as u64);
    } else {
        d = d.shl(e2.unsigned_abs());
    }

    let bits = i64::from(fmt.bits);
    let mut e = n.bit_len() as i64 - d.bit_len() as i64 - bits;
    if e < i64::from(fmt.min_e) {
        e = i64::from(fmt.min_e);
    }
    let (mut q, rem, div) = loop {
        let (num, div) = if e < 0 {
            (n.shl(e.unsigned_abs()), d.clone())
        } else {
            (n.clone(), d.shl(e as u64))
        };
        let (q, rem) = num.div_rem_small_quotient(&div);
        if q >> bits != 0 {
            e += 1;
            continue;
        }
        break (q, rem, div);
    };
    let twice = rem.shl(1);
    match twice.cmp(&div) {
        Ordering::Greater => q += 1,
        Ordering::Equal if q & 1 == 1 => q += 1,
        _ => {}
    }
    if q >> bits != 0 {
        q >>= 1;
        e += 1;
    }
    if q == 0 {
        return Rounded::Zero;
    }
    let lead = e + (127 - i64::from(q.leading_zeros()));
    if lead > i64::from(fmt.max_lead) {
        return Rounded::Inf;
    }
    Rounded::Finite { m: q, e: e as i32 }
}

fn mul(a: &Big, b: &Big) -> Big {
    if a.is_zero() || b.is_zero() {
        return Big::default();
    }
    let mut out = vec![0u32; a.0.len() + b.0.len()];
    for (i, &x) in a.0.iter().enumerate() {
        let mut carry = 0u64;
        for (j, &y) in b.0.iter().enumerate() {
            let v = u64::from(out[i + j]) + u64::from(x) * u64::from(y) + carry;
            out[i + j] = v as u32;
            carry = v >> 32;
        }
        let mut k = i + b.0.len();
        while carry != 0 {
            let v = u64::from(out[k]) + carry;
            out[k] = v as u32;
            carry = v >> 32;
            k += 1;
        }
    }
    let mut r = Big(out);
    r.trim();
    r
}

/// The bytes C stores for `real` in `fmt` (little-endian; `long double` on
/// x86 writes its 10 significant bytes only).
pub fn encode(real: &Real, fmt: Format) -> Vec<u8> {
    let (neg, r) = match real {
        Real::Num {
            neg,
            hex,
            digits,
            e10,
            e2,
        } => (*neg, round(digits, *hex, *e10, *e2, fmt)),
        Real::Inf { neg } => (*neg, Rounded::Inf),
        Real::Nan { neg } => return encode_nan(*neg, fmt),
    };
    match fmt {
        F32 | F64 | F128 => encode_ieee(neg, r, fmt),
        _ => encode_x87(neg, r),
    }
}

fn encode_ieee(neg: bool, r: Rounded, fmt: Format) -> Vec<u8> {
    let frac_bits = fmt.bits - 1;
    let exp_max: u128 = (u128::from(fmt.max_lead as u32) << 1) + 1; // all ones
    let bias = i64::from(fmt.max_lead);
    let (exp, frac) = match r {
        Rounded::Zero => (0u128, 0u128),
        Rounded::Inf => (exp_max, 0),
        Rounded::Finite { m, e } => {
            if m >> frac_bits == 0 {
                (0, m)
            } else {
                let lead = i64::from(e) + i64::from(frac_bits);
                ((lead + bias) as u128, m & ((1u128 << frac_bits) - 1))
            }
        }
    };
    let total_bits = 1 + exp_bits(fmt) + frac_bits;
    let v = (u128::from(neg) << (total_bits - 1)) | (exp << frac_bits) | frac;
    v.to_le_bytes()[..(total_bits / 8) as usize].to_vec()
}

fn exp_bits(fmt: Format) -> u32 {
    // max_lead is 2^(k-1) - 1 for a k-bit exponent field.
    32 - (fmt.max_lead as u32).leading_zeros() + 1
}

fn encode_x87(neg: bool, r: Rounded) -> Vec<u8> {
    let (exp, mant) = match r {
        Rounded::Zero => (0u16, 0u64),
        Rounded::Inf => (0x7fff, 1u64 << 63),
        Rounded::Finite { m, e } => {
            if m >> 63 == 0 {
                (0, m as u64)
            } else {
                ((i64::from(e) + 63 + 16383) as u16, m as u64)
            }
        }
    };
    let mut out = mant.to_le_bytes().to_vec();
    out.extend_from_slice(&(exp | (u16::from(neg) << 15)).to_le_bytes());
    out
}

/// glibc's default quiet NaN (what `strtod("nan")` returns), with its sign.
fn encode_nan(neg: bool, fmt: Format) -> Vec<u8> {
    match fmt {
        F32 | F64 | F128 => {
            let frac_bits = fmt.bits - 1;
            let total_bits = 1 + exp_bits(fmt) + frac_bits;
            let exp_max: u128 = (u128::from(fmt.max_lead as u32) << 1) + 1;
            let v = (u128::from(neg) << (total_bits - 1))
                | (exp_max << frac_bits)
                | (1u128 << (frac_bits - 1));
            v.to_le_bytes()[..(total_bits / 8) as usize].to_vec()
        }
        _ => {
            let mut out = (3u64 << 62).to_le_bytes().to_vec();
            out.extend_from_slice(&(0x7fffu16 | (u16::from(neg) << 15)).to_le_bytes());
            out
        }
    }
}

/// Parses the longest prefix of `s` that `strtod` accepts (C locale):
/// returns the number and the length of that prefix, or `None` when there
/// is no number at the start (after optional white space, as strtod skips).
pub fn parse_prefix(s: &[u8]) -> Option<(Real, usize)> {
    let mut i = 0;
    while i < s.len() && super::scan::is_space(s[i]) {
        i += 1;
    }
    let mut neg = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        neg = s[i] == b'-';
        i += 1;
    }
    let rest = &s[i..];
    let lower = |k: usize| rest.get(k).map(|c| c.to_ascii_lowercase());
    let starts = |w: &[u8]| rest.len() >= w.len() && rest[..w.len()].eq_ignore_ascii_case(w);
    if starts(b"inf") {
        let len = if starts(b"infinity") { 8 } else { 3 };
        return Some((Real::Inf { neg }, i + len));
    }
    if starts(b"nan") {
        let mut len = 3;
        // nan(n-char-sequence)
        if rest.get(3) == Some(&b'(') {
            let mut k = 4;
            while k < rest.len() && (rest[k].is_ascii_alphanumeric() || rest[k] == b'_') {
                k += 1;
            }
            if rest.get(k) == Some(&b')') {
                len = k + 1;
            }
        }
        return Some((Real::Nan { neg }, i + len));
    }
    if rest.first() == Some(&b'0') && lower(1) == Some(b'x') {
        if let Some((digits, e2, len)) = parse_hex(&rest[2..]) {
            return Some((
                Real::Num {
                    neg,
                    hex: true,
                    digits,
                    e10: 0,
                    e2,
                },
                i + 2 + len,
            ));
        }
        // "0x" without hex digits: just the zero.
        return Some((
            Real::Num {
                neg,
                hex: false,
                digits: vec![0],
                e10: 0,
                e2: 0,
            },
            i + 1,
        ));
    }
    let (digits, e10, len) = parse_dec(rest)?;
    Some((
        Real::Num {
            neg,
            hex: false,
            digits,
            e10,
            e2: 0,
        },
        i + len,
    ))
}

fn parse_exp(s: &[u8]) -> Option<(i64, usize)> {
    let mut k = 0;
    let mut neg = false;
    if k < s.len() && (s[k] == b'+' || s[k] == b'-') {
        neg = s[k] == b'-';
        k += 1;
    }
    let start = k;
    let mut v: i64 = 0;
    while k < s.len() && s[k].is_ascii_digit() {
        v = v.saturating_mul(10).saturating_add(i64::from(s[k] - b'0'));
        k += 1;
    }
    if k == start {
        return None;
    }
    // Keep far from overflow when exponents are combined.
    let v = v.min(1 << 40);
    Some((if neg { -v } else { v }, k))
}

fn parse_dec(s: &[u8]) -> Option<(Vec<u8>, i64, usize)> {
    let mut digits = Vec::new();
    let mut k = 0;
    let mut e10: i64 = 0;
    while k < s.len() && s[k].is_ascii_digit() {
        digits.push(s[k] - b'0');
        k += 1;
    }
    if k < s.len() && s[k] == b'.' {
        k += 1;
        while k < s.len() && s[k].is_ascii_digit() {
            digits.push(s[k] - b'0');
            e10 -= 1;
            k += 1;
        }
    }
    if digits.is_empty() {
        return None;
    }
    if k < s.len() && (s[k] == b'e' || s[k] == b'E') {
        if let Some((x, len)) = parse_exp(&s[k + 1..]) {
            e10 += x;
            k += 1 + len;
        }
    }
    Some((digits, e10, k))
}

fn hex_val(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

fn parse_hex(s: &[u8]) -> Option<(Vec<u8>, i64, usize)> {
    let mut digits = Vec::new();
    let mut k = 0;
    let mut e2: i64 = 0;
    while let Some(d) = s.get(k).copied().and_then(hex_val) {
        digits.push(d);
        k += 1;
    }
    if k < s.len() && s[k] == b'.' {
        k += 1;
        while let Some(d) = s.get(k).copied().and_then(hex_val) {
            digits.push(d);
            e2 -= 4;
            k += 1;
        }
    }
    if digits.is_empty() {
        return None;
    }
    if k < s.len() && (s[k] == b'p' || s[k] == b'P') {
        if let Some((x, len)) = parse_exp(&s[k + 1..]) {
            e2 += x;
            k += 1 + len;
        }
    }
    Some((digits, e2, k))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f64_of(s: &str) -> f64 {
        let (r, len) = parse_prefix(s.as_bytes()).unwrap();
        assert_eq!(len, s.len(), "{s}");
        f64::from_le_bytes(encode(&r, F64).try_into().unwrap())
    }

    fn f32_of(s: &str) -> f32 {
        let (r, _) = parse_prefix(s.as_bytes()).unwrap();
        f32::from_le_bytes(encode(&r, F32).try_into().unwrap())
    }

    #[test]
    fn doubles_agree_with_rust_parsing() {
        for s in [
            "0",
            "1",
            "1.5",
            "0.1",
            "123456789012345678901234567890",
            "1e308",
            "1.7976931348623157e308",
            "1.7976931348623158e308",
            "2.2250738585072014e-308",
            "4.9e-324",
            "2.4703282292062328e-324",
            "2.4703282292062327e-324",
            "1e-400",
            "1e400",
            "9007199254740993",
            "0.30000000000000004",
            "1.00000000000000011102230246251565404236316680908203125",
            "3.14159265358979323846",
        ] {
            let want: f64 = s.parse().unwrap();
            assert_eq!(f64_of(s).to_bits(), want.to_bits(), "{s}");
            let want32: f32 = s.parse().unwrap();
            assert_eq!(f32_of(s).to_bits(), want32.to_bits(), "{s}");
        }
    }

    #[test]
    fn hex_floats() {
        assert_eq!(f64_of("0x1.8p1"), 3.0);
        assert_eq!(f64_of("0x1P-1074").to_bits(), 1);
        assert_eq!(f64_of("0x1.fffffffffffff8p0"), 2.0);
        assert_eq!(f64_of("0x.8"), 0.5);
        assert_eq!(parse_prefix(b"0x.").unwrap().1, 1);
        assert_eq!(parse_prefix(b"0xg").unwrap().1, 1);
    }

    #[test]
    fn prefixes() {
        assert_eq!(parse_prefix(b"1e").unwrap().1, 1);
        assert_eq!(parse_prefix(b"1e+").unwrap().1, 1);
        assert_eq!(parse_prefix(b"1.5e-3x").unwrap().1, 6);
        assert_eq!(parse_prefix(b"-.5").unwrap().1, 3);
        assert!(parse_prefix(b".").is_none());
        assert!(parse_prefix(b"-.").is_none());
        assert!(parse_prefix(b"e5").is_none());
        assert_eq!(parse_prefix(b"infinit").unwrap().1, 3);
        assert_eq!(parse_prefix(b"-nan(12)").unwrap().1, 8);
    }

    #[test]
    fn long_double_x87() {
        let enc = |s: &str| {
            let (r, _) = parse_prefix(s.as_bytes()).unwrap();
            let b = encode(&r, F80);
            let mut v = [0u8; 16];
            v[..b.len()].copy_from_slice(&b);
            u128::from_le_bytes(v)
        };
        // Values read back from glibc 2.36's sscanf("%Lf").
        assert_eq!(enc("1"), 0x3fff_8000_0000_0000_0000);
        assert_eq!(enc("1.2"), 0x3fff_9999_9999_9999_999a);
        assert_eq!(enc("4.9e-324"), 0x3bcc_fde4_b4fb_194f_ced9);
        assert_eq!(enc("1e400"), 0x452f_da76_3fc8_cb9f_f9e6);
        assert_eq!(enc("1e-400"), 0x3ace_95fe_7e07_c91e_fafa);
        assert_eq!(enc("-nan"), 0xffff_c000_0000_0000_0000);
        assert_eq!(enc("inf"), 0x7fff_8000_0000_0000_0000);
        assert_eq!(enc("3e-4951"), 1);
        assert_eq!(enc("1e-4951"), 0);
        assert_eq!(enc("1e-5000"), 0);
        assert_eq!(enc("1e5000"), 0x7fff_8000_0000_0000_0000);
    }

    #[test]
    fn nan_and_inf_bits() {
        assert_eq!(f64_of("nan").to_bits(), 0x7ff8_0000_0000_0000);
        assert_eq!(f64_of("-nan").to_bits(), 0xfff8_0000_0000_0000);
        assert_eq!(f32_of("nan").to_bits(), 0x7fc0_0000);
        assert_eq!(f64_of("-infinity"), f64::NEG_INFINITY);
    }
}
