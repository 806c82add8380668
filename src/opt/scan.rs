//! `sscanf` for option values, as libfuse runs it.
//!
//! libfuse converts an option parameter by calling `sscanf(param, format,
//! var)` with the format taken from the template (`"max_read=%u"` gives
//! `"%u"`). Which inputs are accepted, what is stored and what the call
//! returns are therefore glibc's: this module reproduces glibc 2.36's
//! `__isoc99_sscanf` in the C locale (Debian bookworm, the libfuse 3.14 we
//! are tested against), for every conversion it has: `%d %i %u %o %x %X %p
//! %n %c %s %[...] %e %f %g %a` (and their upper-case forms), the size
//! modifiers `hh h l ll q L j z t`, `*` suppression, field widths, `N$`
//! positional arguments and the POSIX `m` allocation modifier. Wide
//! conversions (`%lc %ls %l[ %C %S`) accept ASCII input only, as the C
//! locale does.
//!
//! Nothing is written anywhere: the result lists the stores the call makes,
//! in order, each tagged with the (1-based) pointer argument it goes
//! through. libfuse passes exactly one pointer, so its caller applies the
//! stores to argument 1 and ignores the rest (which C would write through
//! garbage).
//!
//! Newer glibc releases (2.39 onwards) changed a few corner cases: they
//! read `nan(chars)`, and reject `1e` and a bare `0x` prefix that 2.36
//! accepts as `1` and `0`. Those inputs are not options anyone uses.

use super::float;

/// `isspace` in the C locale.
pub fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// One store made by the conversion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Store {
    /// These bytes are written at the pointer.
    Bytes(Vec<u8>),
    /// These bytes are written this many bytes past the pointer.
    BytesAt(usize, Vec<u8>),
    /// A `malloc`ed copy of these bytes is made and its address written at
    /// the pointer (the `m` modifier).
    Alloc(Vec<u8>),
    /// NULL is written at the pointer (an `m` conversion that failed).
    Null,
}

/// A store through pointer argument `arg` (1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Write {
    pub arg: usize,
    pub store: Store,
}

/// What `sscanf` did: its return value and its stores, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scanned {
    pub ret: i32,
    pub writes: Vec<Write>,
}

impl Scanned {
    /// The stores through argument `arg`, in order.
    pub fn stores_to(&self, arg: usize) -> impl Iterator<Item = &Store> {
        self.writes
            .iter()
            .filter(move |w| w.arg == arg)
            .map(|w| &w.store)
    }
}

/// How a conversion ended early: glibc's `input_error` (end of input before
/// anything matched) and `conv_error` (a mismatch).
enum Stop {
    Input,
    Conv,
    /// Invalid multibyte input (EILSEQ): returns the count so far.
    Encode,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Size {
    Char,
    Short,
    Int,
    /// `l`, `j`, `z`, `t`: long (and double for floats).
    Long,
    /// `ll`, `q`, `L`: long long (and long double for floats).
    LongLong,
}

impl Size {
    /// Bytes an integer of this size occupies (LP64).
    fn int_bytes(self) -> usize {
        match self {
            Size::Char => 1,
            Size::Short => 2,
            Size::Int => 4,
            Size::Long | Size::LongLong => 8,
        }
    }
}

struct Spec {
    suppress: bool,
    malloc: bool,
    /// Maximum field width, -1 when none.
    width: i64,
    size: Size,
    argpos: usize,
}

struct Scanner<'a> {
    input: &'a [u8],
    pos: usize,
    done: i32,
    next_arg: usize,
    writes: Vec<Write>,
    /// The `m` buffer of the conversion in progress (index into `writes`).
    pending_alloc: Option<usize>,
}

impl Scanner<'_> {
    fn getc(&mut self) -> Option<u8> {
        let c = self.input.get(self.pos).copied();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    fn ungetc(&mut self, c: Option<u8>) {
        if c.is_some() {
            self.pos -= 1;
        }
    }

    fn arg(&mut self, argpos: usize) -> usize {
        if argpos == 0 {
            self.next_arg += 1;
            self.next_arg
        } else {
            argpos
        }
    }

    fn store(&mut self, arg: usize, store: Store) {
        self.writes.push(Write { arg, store });
    }

    fn store_int(&mut self, spec: &Spec, value: u64) {
        let arg = self.arg(spec.argpos);
        let bytes = value.to_le_bytes()[..spec.size.int_bytes()].to_vec();
        self.store(arg, Store::Bytes(bytes));
    }
}

fn lower(c: Option<u8>) -> Option<u8> {
    c.map(|c| c.to_ascii_lowercase())
}

fn read_int(format: &[u8], f: &mut usize) -> i64 {
    let mut v: i64 = 0;
    while *f < format.len() && format[*f].is_ascii_digit() {
        v = v
            .saturating_mul(10)
            .saturating_add(i64::from(format[*f] - b'0'));
        *f += 1;
    }
    v.min(i64::from(i32::MAX))
}

/// The C locale's `mbrtowc` on one byte: ASCII only.
fn c_locale_wchar(c: u8) -> Option<u32> {
    (c < 0x80).then_some(u32::from(c))
}

/// Runs `sscanf(input, format, ...)`.
pub fn sscanf(input: &[u8], format: &[u8]) -> Scanned {
    let mut s = Scanner {
        input,
        pos: 0,
        done: 0,
        next_arg: 0,
        writes: Vec::new(),
        pending_alloc: None,
    };
    let result = run(&mut s, format);
    if result.is_err() {
        // glibc frees the buffer of an `m` conversion that failed midway
        // and writes NULL back.
        if let Some(i) = s.pending_alloc.take() {
            s.writes[i].store = Store::Null;
        }
    }
    let ret = match result {
        Ok(()) => s.done,
        Err(Stop::Input) => {
            if s.done == 0 {
                // glibc frees what `m` allocated and writes NULL back.
                for w in &mut s.writes {
                    if matches!(w.store, Store::Alloc(_)) {
                        w.store = Store::Null;
                    }
                }
                -1
            } else {
                s.done
            }
        }
        Err(Stop::Conv) | Err(Stop::Encode) => s.done,
    };
    Scanned {
        ret,
        writes: s.writes,
    }
}

fn run(s: &mut Scanner, format: &[u8]) -> Result<(), Stop> {
    let mut f = 0;
    let mut skip_space = false;
    while f < format.len() {
        let fc = format[f];
        f += 1;
        if fc != b'%' {
            if is_space(fc) {
                skip_space = true;
                continue;
            }
            let mut c = s.getc().ok_or(Stop::Input)?;
            if skip_space {
                while is_space(c) {
                    c = s.getc().ok_or(Stop::Input)?;
                }
                skip_space = false;
            }
            if c != fc {
                s.ungetc(Some(c));
                return Err(Stop::Conv);
            }
            continue;
        }

        let mut spec = Spec {
            suppress: false,
            malloc: false,
            width: 0,
            size: Size::Int,
            argpos: 0,
        };
        let mut have_width = false;
        if f < format.len() && format[f].is_ascii_digit() {
            let n = read_int(format, &mut f);
            if format.get(f) == Some(&b'$') {
                f += 1;
                spec.argpos = n as usize;
            } else {
                spec.width = n;
                have_width = true;
            }
        }
        if !have_width {
            while let Some(&m) = format.get(f) {
                match m {
                    b'*' => spec.suppress = true,
                    // Grouping and locale digits change nothing in the C locale.
                    b'\'' | b'I' => {}
                    _ => break,
                }
                f += 1;
            }
            if f < format.len() && format[f].is_ascii_digit() {
                spec.width = read_int(format, &mut f);
            }
        }
        if spec.width == 0 {
            spec.width = -1;
        }
        match format.get(f) {
            Some(b'h') => {
                f += 1;
                if format.get(f) == Some(&b'h') {
                    f += 1;
                    spec.size = Size::Char;
                } else {
                    spec.size = Size::Short;
                }
            }
            Some(b'l') => {
                f += 1;
                if format.get(f) == Some(&b'l') {
                    f += 1;
                    spec.size = Size::LongLong;
                } else {
                    spec.size = Size::Long;
                }
            }
            Some(b'q') | Some(b'L') => {
                f += 1;
                spec.size = Size::LongLong;
            }
            Some(b'm') => {
                f += 1;
                spec.malloc = true;
                if format.get(f) == Some(&b'l') {
                    f += 1;
                    spec.size = Size::Long;
                }
            }
            Some(b'z') | Some(b'j') | Some(b't') => {
                f += 1;
                spec.size = Size::Long;
            }
            _ => {}
        }
        let Some(&fc) = format.get(f) else {
            return Err(Stop::Conv);
        };
        f += 1;
        if skip_space || !matches!(fc, b'[' | b'c' | b'C' | b'n') {
            loop {
                let c = s.getc();
                if !c.is_some_and(is_space) {
                    s.ungetc(c);
                    break;
                }
            }
            skip_space = false;
        }
        let wide = spec.size == Size::Long || spec.size == Size::LongLong;
        match fc {
            b'%' => {
                let c = s.getc().ok_or(Stop::Input)?;
                if c != b'%' {
                    s.ungetc(Some(c));
                    return Err(Stop::Conv);
                }
            }
            b'n' => {
                if !spec.suppress {
                    let v = s.pos as u64;
                    s.store_int(&spec, v);
                }
            }
            b'c' if !wide => chars(s, &spec)?,
            b'c' | b'C' => wide_chars(s, &spec)?,
            b's' if !wide => string(s, &spec)?,
            b's' | b'S' => wide_string(s, &spec)?,
            b'[' => scanset(s, &spec, format, &mut f, wide)?,
            b'x' | b'X' => number(s, &spec, 16, false, false)?,
            b'o' => number(s, &spec, 8, false, false)?,
            b'u' => number(s, &spec, 10, false, false)?,
            b'd' => number(s, &spec, 10, true, false)?,
            b'i' => number(s, &spec, 0, true, false)?,
            b'p' => {
                spec.size = Size::Long;
                number(s, &spec, 16, false, true)?
            }
            b'e' | b'E' | b'f' | b'F' | b'g' | b'G' | b'a' | b'A' => real(s, &spec)?,
            _ => return Err(Stop::Conv),
        }
    }
    if skip_space {
        loop {
            let c = s.getc();
            if !c.is_some_and(is_space) {
                s.ungetc(c);
                break;
            }
        }
    }
    Ok(())
}

/// Where a string conversion puts its characters.
struct StrDest {
    arg: usize,
    malloc: bool,
}

fn string_dest(s: &mut Scanner, spec: &Spec) -> Option<StrDest> {
    if spec.suppress {
        return None;
    }
    let arg = s.arg(spec.argpos);
    if spec.malloc {
        // The pointer is stored when the buffer is allocated, before reading.
        s.store(arg, Store::Alloc(Vec::new()));
        s.pending_alloc = Some(s.writes.len() - 1);
    }
    Some(StrDest {
        arg,
        malloc: spec.malloc,
    })
}

fn finish_string(s: &mut Scanner, dest: Option<StrDest>, bytes: Vec<u8>) {
    if let Some(d) = dest {
        if d.malloc {
            // Fill the buffer stored when it was allocated.
            if let Some(i) = s.pending_alloc.take() {
                s.writes[i].store = Store::Alloc(bytes);
            }
        } else {
            s.store(d.arg, Store::Bytes(bytes));
        }
        s.done += 1;
    }
}

fn chars(s: &mut Scanner, spec: &Spec) -> Result<(), Stop> {
    let mut width = if spec.width < 0 { 1 } else { spec.width };
    let dest = string_dest(s, spec);
    let mut c = s.getc().ok_or(Stop::Input)?;
    let mut out = Vec::new();
    loop {
        out.push(c);
        width -= 1;
        if width <= 0 {
            break;
        }
        match s.getc() {
            Some(n) => c = n,
            None => break,
        }
    }
    finish_string(s, dest, out);
    Ok(())
}

fn wide_chars(s: &mut Scanner, spec: &Spec) -> Result<(), Stop> {
    let mut width = if spec.width < 0 { 1 } else { spec.width };
    let dest = string_dest(s, spec);
    let mut c = s.getc().ok_or(Stop::Input)?;
    let mut out = Vec::new();
    loop {
        let Some(w) = c_locale_wchar(c) else {
            return Err(partial_wide(s, &dest, out));
        };
        out.extend_from_slice(&w.to_le_bytes());
        width -= 1;
        if width <= 0 {
            break;
        }
        match s.getc() {
            Some(n) => c = n,
            None => break,
        }
    }
    finish_string(s, dest, out);
    Ok(())
}

/// A wide conversion meeting a byte the C locale cannot decode: what was
/// converted before it stays written (without a terminator).
fn partial_wide(s: &mut Scanner, dest: &Option<StrDest>, out: Vec<u8>) -> Stop {
    if let Some(d) = dest {
        if !d.malloc && !out.is_empty() {
            s.store(d.arg, Store::Bytes(out));
        }
    }
    Stop::Encode
}

fn string(s: &mut Scanner, spec: &Spec) -> Result<(), Stop> {
    let mut width = spec.width;
    let dest = string_dest(s, spec);
    let mut c = s.getc().ok_or(Stop::Input)?;
    let mut out = Vec::new();
    loop {
        if is_space(c) {
            s.ungetc(Some(c));
            break;
        }
        out.push(c);
        if width > 0 {
            width -= 1;
            if width == 0 {
                break;
            }
        }
        match s.getc() {
            Some(n) => c = n,
            None => break,
        }
    }
    out.push(0);
    finish_string(s, dest, out);
    Ok(())
}

fn wide_string(s: &mut Scanner, spec: &Spec) -> Result<(), Stop> {
    let mut width = spec.width;
    let dest = string_dest(s, spec);
    let mut c = s.getc().ok_or(Stop::Input)?;
    let mut out = Vec::new();
    loop {
        if is_space(c) {
            s.ungetc(Some(c));
            break;
        }
        let Some(w) = c_locale_wchar(c) else {
            return Err(partial_wide(s, &dest, out));
        };
        out.extend_from_slice(&w.to_le_bytes());
        if width > 0 {
            width -= 1;
            if width == 0 {
                break;
            }
        }
        match s.getc() {
            Some(n) => c = n,
            None => break,
        }
    }
    out.extend_from_slice(&[0; 4]);
    finish_string(s, dest, out);
    Ok(())
}

fn scanset(
    s: &mut Scanner,
    spec: &Spec,
    format: &[u8],
    f: &mut usize,
    wide: bool,
) -> Result<(), Stop> {
    let dest = string_dest(s, spec);
    let mut set = [false; 256];
    let mut not_in = false;
    if format.get(*f) == Some(&b'^') {
        *f += 1;
        not_in = true;
    }
    if let Some(&first @ (b']' | b'-')) = format.get(*f) {
        set[usize::from(first)] = true;
        *f += 1;
    }
    let mut closed = false;
    while let Some(&fc) = format.get(*f) {
        *f += 1;
        if fc == b']' {
            closed = true;
            break;
        }
        let next = format.get(*f).copied();
        if fc == b'-' && *f >= 2 && matches!(next, Some(n) if n != b']' && format[*f - 2] <= n) {
            // A range: everything from the character before the '-' up to
            // (not including) the next one, which the next round adds.
            let (lo, hi) = (format[*f - 2], next.unwrap_or(0));
            for ch in lo..hi {
                set[usize::from(ch)] = true;
            }
        } else {
            set[usize::from(fc)] = true;
        }
    }
    if !closed {
        return Err(Stop::Conv);
    }
    let mut width = spec.width;
    let start = s.pos;
    let mut c = s.getc().ok_or(Stop::Input)?;
    let mut out = Vec::new();
    // Wide: glibc's mbrtowc fails on bytes the C locale cannot decode and
    // the slot it would have filled is skipped, left as it was.
    let mut gaps = Vec::new();
    loop {
        if set[usize::from(c)] == not_in {
            s.ungetc(Some(c));
            break;
        }
        if wide {
            match c_locale_wchar(c) {
                Some(w) => out.extend_from_slice(&w.to_le_bytes()),
                None => {
                    gaps.push(out.len());
                    out.extend_from_slice(&[0; 4]);
                }
            }
        } else {
            out.push(c);
        }
        if width > 0 {
            width -= 1;
            if width == 0 {
                break;
            }
        }
        match s.getc() {
            Some(n) => c = n,
            None => break,
        }
    }
    if s.pos == start {
        return Err(Stop::Conv);
    }
    if wide {
        out.extend_from_slice(&[0; 4]);
    } else {
        out.push(0);
    }
    match dest {
        Some(d) if !gaps.is_empty() && !d.malloc => {
            // The written runs between the skipped slots.
            let mut from = 0;
            for g in gaps.into_iter().chain(std::iter::once(out.len())) {
                if g > from {
                    s.store(d.arg, Store::BytesAt(from, out[from..g].to_vec()));
                }
                from = g + 4;
            }
            s.done += 1;
        }
        dest => finish_string(s, dest, out),
    }
    Ok(())
}

fn number(
    s: &mut Scanner,
    spec: &Spec,
    base: u32,
    signed: bool,
    pointer: bool,
) -> Result<(), Stop> {
    let mut base = base;
    let mut width = spec.width;
    let mut buf: Vec<u8> = Vec::new();
    let mut c = s.getc();
    if c.is_none() {
        return Err(Stop::Input);
    }
    if let Some(sign @ (b'-' | b'+')) = c {
        buf.push(sign);
        if width > 0 {
            width -= 1;
        }
        c = s.getc();
    }
    if width != 0 && c == Some(b'0') {
        if width > 0 {
            width -= 1;
        }
        buf.push(b'0');
        c = s.getc();
        if width != 0 && lower(c) == Some(b'x') {
            if base == 0 {
                base = 16;
            }
            if base == 16 {
                if width > 0 {
                    width -= 1;
                }
                c = s.getc();
            }
        } else if base == 0 {
            base = 8;
        }
    }
    if base == 0 {
        base = 10;
    }
    while let Some(ch) = c {
        if width == 0 {
            break;
        }
        let ok = if base == 16 {
            ch.is_ascii_hexdigit()
        } else {
            ch.is_ascii_digit() && u32::from(ch - b'0') < base
        };
        if !ok {
            break;
        }
        buf.push(ch);
        if width > 0 {
            width -= 1;
        }
        c = s.getc();
    }
    let no_number = buf.is_empty() || (buf.len() == 1 && (buf[0] == b'+' || buf[0] == b'-'));
    if no_number {
        let nil = buf.is_empty()
            && pointer
            && !(0..5).contains(&width)
            && c == Some(b'(')
            && {
                c = s.getc();
                lower(c) == Some(b'n')
            }
            && {
                c = s.getc();
                lower(c) == Some(b'i')
            }
            && {
                c = s.getc();
                lower(c) == Some(b'l')
            }
            && {
                c = s.getc();
                c == Some(b')')
            };
        if nil {
            buf.push(b'0');
        } else {
            s.ungetc(c);
            return Err(Stop::Conv);
        }
    } else {
        s.ungetc(c);
    }
    let value = strto(&buf, base, signed);
    if !spec.suppress {
        s.store_int(spec, value);
        s.done += 1;
    }
    Ok(())
}

/// `strtol`/`strtoul` (64-bit long) on a sign and digits of `base`,
/// returned as the bits of the long.
pub fn strto(buf: &[u8], base: u32, signed: bool) -> u64 {
    let (neg, digits) = match buf.first() {
        Some(b'-') => (true, &buf[1..]),
        Some(b'+') => (false, &buf[1..]),
        _ => (false, buf),
    };
    let mut acc: u64 = 0;
    let mut overflow = false;
    for &d in digits {
        let v = (d as char).to_digit(base).unwrap_or(0);
        match acc
            .checked_mul(u64::from(base))
            .and_then(|a| a.checked_add(u64::from(v)))
        {
            Some(a) => acc = a,
            None => overflow = true,
        }
    }
    if signed {
        let limit = if neg { 1u64 << 63 } else { i64::MAX as u64 };
        if overflow || acc > limit {
            return if neg {
                i64::MIN as u64
            } else {
                i64::MAX as u64
            };
        }
        if neg {
            acc.wrapping_neg()
        } else {
            acc
        }
    } else if overflow {
        u64::MAX
    } else if neg {
        acc.wrapping_neg()
    } else {
        acc
    }
}

fn real(s: &mut Scanner, spec: &Spec) -> Result<(), Stop> {
    let mut width = spec.width;
    let mut buf: Vec<u8> = Vec::new();
    let mut c = s.getc();
    if width > 0 {
        width -= 1;
    }
    if c.is_none() {
        return Err(Stop::Input);
    }
    let mut got_sign = false;
    let mut got_digit = false;
    let mut got_dot = false;
    let mut got_e = false;
    let mut hexa = false;

    // Reads the next character of a fixed word ("nan", "infinity").
    fn expect(s: &mut Scanner, width: &mut i64, want: u8, buf: &mut Vec<u8>) -> Result<(), Stop> {
        if *width == 0 {
            return Err(Stop::Conv);
        }
        let c = s.getc();
        if lower(c) != Some(want) {
            return Err(Stop::Conv);
        }
        if *width > 0 {
            *width -= 1;
        }
        buf.push(c.unwrap_or(0));
        Ok(())
    }

    if let Some(sign @ (b'-' | b'+')) = c {
        got_sign = true;
        buf.push(sign);
        if width == 0 {
            return Err(Stop::Conv);
        }
        c = s.getc();
        if c.is_none() {
            return Err(Stop::Conv);
        }
        if width > 0 {
            width -= 1;
        }
    }
    let mut special = false;
    if lower(c) == Some(b'n') {
        buf.push(c.unwrap_or(0));
        expect(s, &mut width, b'a', &mut buf)?;
        expect(s, &mut width, b'n', &mut buf)?;
        special = true;
    } else if lower(c) == Some(b'i') {
        buf.push(c.unwrap_or(0));
        expect(s, &mut width, b'n', &mut buf)?;
        expect(s, &mut width, b'f', &mut buf)?;
        if width != 0 {
            let n = s.getc();
            if n.is_some() {
                if lower(n) == Some(b'i') {
                    if width > 0 {
                        width -= 1;
                    }
                    buf.push(n.unwrap_or(0));
                    for want in *b"nity" {
                        expect(s, &mut width, want, &mut buf)?;
                    }
                } else {
                    s.ungetc(n);
                }
            }
        }
        special = true;
    }
    if !special {
        let mut exp_char = b'e';
        if width != 0 && c == Some(b'0') {
            buf.push(b'0');
            c = s.getc();
            if width > 0 {
                width -= 1;
            }
            if width != 0 && lower(c) == Some(b'x') {
                buf.push(c.unwrap_or(0));
                hexa = true;
                exp_char = b'p';
                c = s.getc();
                if width > 0 {
                    width -= 1;
                }
            } else {
                got_digit = true;
            }
        }
        loop {
            let ch = c;
            match ch {
                Some(d) if d.is_ascii_digit() => {
                    buf.push(d);
                    got_digit = true;
                }
                Some(d) if !got_e && hexa && d.is_ascii_hexdigit() => {
                    buf.push(d);
                    got_digit = true;
                }
                Some(d @ (b'-' | b'+')) if got_e && buf.last() == Some(&exp_char) => buf.push(d),
                Some(d) if got_digit && !got_e && d.to_ascii_lowercase() == exp_char => {
                    buf.push(exp_char);
                    got_e = true;
                    got_dot = true;
                }
                Some(b'.') if !got_dot => {
                    buf.push(b'.');
                    got_dot = true;
                }
                _ => {
                    s.ungetc(ch);
                    break;
                }
            }
            if width == 0 {
                break;
            }
            c = s.getc();
            if c.is_none() {
                break;
            }
            if width > 0 {
                width -= 1;
            }
        }
        let sign_len = usize::from(got_sign);
        if buf.len() == sign_len || (hexa && buf.len() == 2 + sign_len) {
            return Err(Stop::Conv);
        }
    }
    let Some((real, _)) = float::parse_prefix(&buf) else {
        return Err(Stop::Conv);
    };
    if !spec.suppress {
        let fmt = match spec.size {
            Size::LongLong => float::LONG_DOUBLE,
            Size::Long => float::F64,
            _ => float::F32,
        };
        let arg = s.arg(spec.argpos);
        s.store(arg, Store::Bytes(float::encode(&real, fmt)));
        s.done += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(input: &str, format: &str) -> (i32, Vec<Store>) {
        let r = sscanf(input.as_bytes(), format.as_bytes());
        let stores = r.stores_to(1).cloned().collect();
        (r.ret, stores)
    }

    fn int(input: &str, format: &str) -> (i32, Option<i64>) {
        let (ret, stores) = one(input, format);
        let v = stores.last().map(|s| match s {
            Store::Bytes(b) => {
                let mut v = [0u8; 8];
                v[..b.len()].copy_from_slice(b);
                let raw = u64::from_le_bytes(v);
                // sign-extend from the stored width
                let shift = 64 - 8 * b.len() as u32;
                ((raw << shift) as i64) >> shift
            }
            _ => panic!("not bytes"),
        });
        (ret, v)
    }

    #[test]
    fn integers_like_glibc_2_36() {
        assert_eq!(int("12", "%u"), (1, Some(12)));
        assert_eq!(int(" 12", "%d"), (1, Some(12)));
        assert_eq!(int("-5", "%u"), (1, Some(-5)));
        assert_eq!(int("0x", "%x"), (1, Some(0)));
        assert_eq!(int("0x1g", "%i"), (1, Some(1)));
        assert_eq!(int("08", "%i"), (1, Some(0)));
        assert_eq!(int("010", "%i"), (1, Some(8)));
        assert_eq!(int("-", "%d"), (0, None));
        assert_eq!(int("x", "%d"), (0, None));
        assert_eq!(int("", "%d"), (-1, None));
        assert_eq!(int("   ", "%d"), (-1, None));
        assert_eq!(int("4294967296", "%d"), (1, Some(0)));
        assert_eq!(int("99999999999999999999", "%d"), (1, Some(-1)));
        assert_eq!(int("-99999999999999999999", "%ld"), (1, Some(i64::MIN)));
        assert_eq!(int("99999999999999999999", "%lu"), (1, Some(-1)));
        assert_eq!(int("-4294967295", "%u"), (1, Some(1)));
        assert_eq!(int("300", "%hhu"), (1, Some(44)));
        assert_eq!(int("-5", "%1d"), (0, None));
        assert_eq!(int("12345", "%3d"), (1, Some(123)));
        assert_eq!(int("99999999999999999999", "%o"), (0, None));
        assert_eq!(int("1", "%b"), (0, None));
        assert_eq!(int("(nil)", "%p"), (1, Some(0)));
        assert_eq!(int("(nix)", "%p"), (0, None));
    }

    #[test]
    fn literals_and_counts() {
        assert_eq!(int("5k", "%uk"), (1, Some(5)));
        assert_eq!(int("5", "%uk"), (1, Some(5)));
        assert_eq!(int("abc", "%n"), (0, Some(0)));
        let r = sscanf(b" 42 x", b"%d%n");
        assert_eq!(r.ret, 1);
        assert_eq!(
            r.writes[1],
            Write {
                arg: 2,
                store: Store::Bytes(3i32.to_le_bytes().to_vec())
            }
        );
        assert_eq!(int("%5", "%%%d"), (1, Some(5)));
        assert_eq!(int("7", "%"), (0, None));
        assert_eq!(int("7", "%1$d"), (1, Some(7)));
        assert_eq!(int("7", "%*d"), (0, None));
        let r = sscanf(b"1 2", b"%d %d");
        assert_eq!(r.ret, 2);
        assert_eq!(r.writes.len(), 2);
    }

    #[test]
    fn strings() {
        assert_eq!(
            one("hello world", "%5s"),
            (1, vec![Store::Bytes(b"hello\0".to_vec())])
        );
        assert_eq!(one("hi", "%5s"), (1, vec![Store::Bytes(b"hi\0".to_vec())]));
        assert_eq!(one("abc", "%2c"), (1, vec![Store::Bytes(b"ab".to_vec())]));
        assert_eq!(one("a", "%3c"), (1, vec![Store::Bytes(b"a".to_vec())]));
        assert_eq!(
            one("abc9", "%[a-z]"),
            (1, vec![Store::Bytes(b"abc\0".to_vec())])
        );
        assert_eq!(one("9", "%[a-z]"), (0, vec![]));
        assert_eq!(
            one("a]b", "%[]a]"),
            (1, vec![Store::Bytes(b"a]\0".to_vec())])
        );
        assert_eq!(
            one("ab,c", "%[^,]"),
            (1, vec![Store::Bytes(b"ab\0".to_vec())])
        );
        assert_eq!(one("abc", "%[a-z"), (0, vec![]));
        assert_eq!(one("x y", "%ms"), (1, vec![Store::Alloc(b"x\0".to_vec())]));
        assert_eq!(one("", "%ms"), (-1, vec![Store::Null]));
        assert_eq!(
            one("ab", "%lc"),
            (1, vec![Store::Bytes(vec![b'a', 0, 0, 0])])
        );
    }

    #[test]
    fn floats() {
        let f64v = |input: &str| {
            let (ret, stores) = one(input, "%lf");
            (
                ret,
                stores.last().map(|s| match s {
                    Store::Bytes(b) => f64::from_le_bytes(b[..].try_into().unwrap()),
                    _ => panic!(),
                }),
            )
        };
        assert_eq!(f64v("1.5"), (1, Some(1.5)));
        assert_eq!(f64v("1e"), (1, Some(1.0)));
        assert_eq!(f64v("0x"), (0, None));
        assert_eq!(f64v("0x."), (1, Some(0.0)));
        assert_eq!(f64v("."), (0, None));
        assert_eq!(f64v("infin"), (0, None));
        assert_eq!(f64v("INFx"), (1, Some(f64::INFINITY)));
        assert_eq!(f64v("1.2.3"), (1, Some(1.2)));
        assert_eq!(f64v("0x1.8p1"), (1, Some(3.0)));
        assert_eq!(f64v(""), (-1, None));
        let (ret, stores) = one("2.5", "%f");
        assert_eq!(
            (ret, stores),
            (1, vec![Store::Bytes(2.5f32.to_le_bytes().to_vec())])
        );
    }
}

/// Differential test against the C library's own `sscanf` (libfuse calls
/// `__isoc99_sscanf`). The expectations of this module are glibc 2.36's;
/// elsewhere the comparison is skipped.
#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod oracle {
    use super::*;

    extern "C" {
        #[link_name = "__isoc99_sscanf"]
        fn isoc99_sscanf(s: *const libc::c_char, format: *const libc::c_char, ...) -> libc::c_int;
        fn gnu_get_libc_version() -> *const libc::c_char;
    }

    const BUF: usize = 160;

    /// Return value, the two buffers, and what `m` conversions allocated.
    type Outcome = (i32, [[u8; BUF]; 2], [Option<Vec<u8>>; 2]);

    fn glibc_2_36() -> bool {
        // SAFETY: gnu_get_libc_version returns a static NUL-terminated string.
        let v = unsafe { std::ffi::CStr::from_ptr(gnu_get_libc_version()) };
        v.to_bytes() == b"2.36"
    }

    /// Runs the C sscanf with two pointer arguments into 0x55-filled buffers.
    fn c_scan(input: &[u8], format: &[u8]) -> Outcome {
        let i = std::ffi::CString::new(input).unwrap();
        let f = std::ffi::CString::new(format).unwrap();
        let mut bufs = [[0x55u8; BUF]; 2];
        let [b1, b2] = &mut bufs;
        // SAFETY: both buffers are large enough for any store the formats
        // used here make (inputs are short), and the formats consume at
        // most two pointer arguments.
        let ret =
            unsafe { isoc99_sscanf(i.as_ptr(), f.as_ptr(), b1.as_mut_ptr(), b2.as_mut_ptr()) };
        // `m` conversions store a malloc'd pointer: read and free it.
        let mut allocs = [None, None];
        if format.windows(2).any(|w| w[0] == b'%' && w[1] == b'm') {
            for (k, b) in bufs.iter().enumerate() {
                let p = usize::from_ne_bytes(b[..8].try_into().unwrap());
                if p != 0x5555_5555_5555_5555 && p != 0 {
                    // SAFETY: glibc stored a malloc'd, NUL-terminated buffer here
                    // (the `m` formats used here are %ms and %m[).
                    let s = unsafe { std::ffi::CStr::from_ptr(p as *const libc::c_char) };
                    allocs[k] = Some(s.to_bytes_with_nul().to_vec());
                    // SAFETY: the pointer came from glibc's malloc.
                    unsafe { libc::free(p as *mut libc::c_void) };
                } else if p == 0 {
                    allocs[k] = Some(Vec::new());
                }
            }
        }
        (ret, bufs, allocs)
    }

    fn rust_scan(input: &[u8], format: &[u8]) -> Outcome {
        let r = sscanf(input, format);
        let mut bufs = [[0x55u8; BUF]; 2];
        let mut allocs = [None, None];
        for w in &r.writes {
            let k = w.arg - 1;
            match &w.store {
                Store::Bytes(b) => bufs[k][..b.len()].copy_from_slice(b),
                Store::BytesAt(at, b) => bufs[k][*at..at + b.len()].copy_from_slice(b),
                Store::Alloc(b) => allocs[k] = Some(b.clone()),
                Store::Null => allocs[k] = Some(Vec::new()),
            }
        }
        for (k, a) in allocs.iter().enumerate() {
            if a.is_some() {
                // Pointer bytes differ by nature; compare contents only.
                bufs[k][..8].fill(0x55);
            }
        }
        (r.ret, bufs, allocs)
    }

    fn check(input: &[u8], format: &[u8]) {
        let mut c = c_scan(input, format);
        let r = rust_scan(input, format);
        for (k, a) in c.2.iter().enumerate() {
            if a.is_some() {
                c.1[k][..8].fill(0x55);
            }
        }
        let show = |x: &Outcome| {
            let trim = |b: &[u8; BUF]| {
                let n = b.iter().rposition(|&c| c != 0x55).map_or(0, |n| n + 1);
                b[..n].to_vec()
            };
            format!(
                "ret={} a1={:02x?} a2={:02x?} m={:?}",
                x.0,
                trim(&x.1[0]),
                trim(&x.1[1]),
                x.2
            )
        };
        let (cs, rs) = (show(&c), show(&r));
        assert_eq!(
            cs,
            rs,
            "sscanf({:?}, {:?}): glibc left, ours right",
            String::from_utf8_lossy(input),
            String::from_utf8_lossy(format)
        );
    }

    const FORMATS: &[&str] = &[
        "%d",
        "%i",
        "%u",
        "%o",
        "%x",
        "%X",
        "%p",
        "%hd",
        "%hhu",
        "%hhi",
        "%ld",
        "%lu",
        "%lld",
        "%llx",
        "%Lu",
        "%qd",
        "%jd",
        "%zu",
        "%td",
        "%2d",
        "%1i",
        "%3x",
        "%5p",
        "%4p",
        "%f",
        "%lf",
        "%Lf",
        "%e",
        "%g",
        "%a",
        "%A",
        "%E",
        "%3f",
        "%2lf",
        "%4Lf",
        "%5lf",
        "%1f",
        "%c",
        "%3c",
        "%s",
        "%4s",
        "%[a-f]",
        "%[^,]",
        "%3[0-9x]",
        "%[]a-]",
        "%[-a]",
        "%[a-]",
        "%[z-a]",
        "%lc",
        "%2lc",
        "%ls",
        "%l[a-c]",
        "%ms",
        "%m[a-z]",
        "%n",
        "%d%n",
        "%lf%n",
        "%s%n",
        "%x%n",
        "%i%n",
        "%*d%n",
        "%d %n",
        "%dk%n",
        "%d%%%n",
        "%1$d",
        "%2$d%1$n",
        "%d%d",
        "%d,%d",
        "%u ",
        " %u",
        "%%%d",
        "%",
        "%b",
        "%y",
        "%5",
        "%hhn",
        "%ln",
        "%as",
        "%ad",
        "%'d",
        "%Id",
        "%0d",
        "%10lu",
        "%*s%n",
        "%*[a-z]%n",
        "%Lx",
    ];

    const INPUTS: &[&str] = &[
        "",
        " ",
        "0",
        "1",
        "-1",
        "+1",
        "-",
        "+",
        "12",
        " 12",
        "\t\n7",
        "007",
        "08",
        "0x",
        "0X1f",
        "-0x10",
        "0xg",
        "0x1g",
        "1e",
        "1e5",
        "1e+",
        "1.5e-3",
        ".5",
        ".",
        "-.",
        "5.",
        "1.2.3",
        "0x1.8p1",
        "0x.p1",
        "0x1p",
        "inf",
        "INF",
        "-infinity",
        "infin",
        "nan",
        "-nan",
        "nan(12)",
        "abc",
        "a,b",
        "a-z]x",
        "]a-b",
        "12abc",
        "99999999999999999999",
        "-99999999999999999999",
        "4294967296",
        "2147483648",
        "-2147483649",
        "18446744073709551615",
        "18446744073709551616",
        "0x7fffffffffffffff",
        "0xffffffffffffffffff",
        "(nil)",
        "(NIL)x",
        "(ni",
        "%5",
        "% 5",
        "1,2",
        "1 2",
        "7k",
        "x y",
        "1e400",
        "4.9e-324",
        "1e-400",
        "0.1",
        "3.4028236e38",
        "1.17549435e-38",
        "\u{e9}t\u{e9}",
        "abcdefghijklmnop",
        "0b101",
    ];

    #[test]
    fn matches_glibc_sscanf() {
        if !glibc_2_36() {
            eprintln!("skipped: the expectations are glibc 2.36's");
            return;
        }
        for f in FORMATS {
            for i in INPUTS {
                check(i.as_bytes(), f.as_bytes());
            }
        }
    }

    #[test]
    fn matches_glibc_sscanf_on_random_input() {
        if !glibc_2_36() {
            return;
        }
        const ALPHABET: &[u8] = b"0123456789abcdefxXpPeE.+-infatyINF() \t,%[]nl";
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..20_000 {
            let len = (next() % 9) as usize;
            let input: Vec<u8> = (0..len)
                .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize])
                .collect();
            let f = FORMATS[(next() % FORMATS.len() as u64) as usize];
            check(&input, f.as_bytes());
        }
    }

    #[test]
    fn matches_glibc_sscanf_on_random_formats() {
        if !glibc_2_36() {
            return;
        }
        // At most two pointer-consuming pieces, so the two buffers suffice.
        const PIECES: &[&[u8]] = &[
            b"%d",
            b"%i",
            b"%u",
            b"%o",
            b"%x",
            b"%p",
            b"%hhd",
            b"%ld",
            b"%f",
            b"%lf",
            b"%Lf",
            b"%e",
            b"%a",
            b"%g",
            b"%c",
            b"%2c",
            b"%s",
            b"%3s",
            b"%[a-f]",
            b"%[^ ,]",
            b"%[\xe0-\xff]",
            b"%[^\x80-\xfe]",
            b"%lc",
            b"%2lc",
            b"%l[a-z\xe9]",
            b"%S",
            b"%C",
            b"%n",
            b"%*d",
            b"%*f",
            b"%2d",
            b"%3i",
            b"%4x",
            b"%1f",
            b"%2f",
            b"%3lf",
            b"%4Lf",
            b"%6f",
            b"%ls",
            b" ",
            b",",
            b"x",
            b"%%",
            b"e",
            b"%5p",
            b"%8lf",
        ];
        const ALPHABET: &[u8] = b"0123456789aefxp.+-in \t,\x80\xe9\xff\x0b(l)%[]";
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..30_000 {
            let mut f: Vec<u8> = Vec::new();
            let mut ptrs = 0;
            for _ in 0..(1 + next() % 3) {
                let p = PIECES[(next() % PIECES.len() as u64) as usize];
                let consumes =
                    p.starts_with(b"%") && !p.starts_with(b"%%") && !p.starts_with(b"%*");
                if consumes {
                    if ptrs == 2 {
                        continue;
                    }
                    ptrs += 1;
                }
                f.extend_from_slice(p);
            }
            let len = (next() % 12) as usize;
            let input: Vec<u8> = (0..len)
                .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize])
                .collect();
            check(&input, &f);
        }
    }
}
