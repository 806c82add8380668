use super::*;
use std::collections::BTreeMap;

type Proc<'p> = dyn FnMut(&[u8], i32, &mut Vec<Vec<u8>>) -> i32 + 'p;

/// A data struct of 64 bytes plus string fields, and a recording proc.
struct TestHost<'p> {
    out: Vec<Vec<u8>>,
    data: [u8; 64],
    strings: BTreeMap<u64, Vec<u8>>,
    calls: Vec<(String, i32)>,
    proc_: Option<Box<Proc<'p>>>,
}

impl<'p> TestHost<'p> {
    fn new() -> Self {
        TestHost {
            out: Vec::new(),
            data: [0; 64],
            strings: BTreeMap::new(),
            calls: Vec::new(),
            proc_: None,
        }
    }

    fn with_proc(f: impl FnMut(&[u8], i32, &mut Vec<Vec<u8>>) -> i32 + 'p) -> Self {
        let mut h = Self::new();
        h.proc_ = Some(Box::new(f));
        h
    }

    fn int(&self, off: usize) -> i32 {
        i32::from_le_bytes(self.data[off..off + 4].try_into().unwrap())
    }

    fn string(&self, off: u64) -> Option<&str> {
        self.strings
            .get(&off)
            .map(|s| std::str::from_utf8(s).unwrap())
    }
}

impl OptHost for TestHost<'_> {
    type Out = Vec<Vec<u8>>;

    fn out(&mut self) -> &mut Vec<Vec<u8>> {
        &mut self.out
    }

    fn process(&mut self, arg: &[u8], key: i32) -> Result<Disposition, OptError> {
        self.calls
            .push((String::from_utf8_lossy(arg).into_owned(), key));
        match &mut self.proc_ {
            None => Ok(Disposition::Keep),
            Some(p) => Disposition::from_c(p(arg, key, &mut self.out)),
        }
    }

    fn store_int(&mut self, offset: u64, value: i32) {
        let o = offset as usize;
        self.data[o..o + 4].copy_from_slice(&value.to_le_bytes());
    }

    fn store_string(&mut self, offset: u64, value: &[u8]) -> Result<(), OptError> {
        self.strings.insert(offset, value.to_vec());
        Ok(())
    }

    fn scan_store(&mut self, offset: u64, param: &[u8], format: &[u8]) -> Result<bool, OptError> {
        // The tests' templates convert to 4-byte ints, as C's sscanf would.
        let (param, format) = (cstr(param), cstr(format));
        let mut v: i32 = 0;
        // SAFETY: NUL-terminated strings and a 4-byte target for a %d/%u format.
        let n = unsafe { libc::sscanf(param.as_ptr(), format.as_ptr(), &mut v as *mut i32) };
        if n == 1 {
            let o = offset as usize;
            self.data[o..o + 4].copy_from_slice(&v.to_le_bytes());
        }
        Ok(n == 1)
    }
}

fn cstr(b: &[u8]) -> std::ffi::CString {
    std::ffi::CString::new(b).unwrap()
}

fn v(args: &[&str]) -> Vec<Vec<u8>> {
    args.iter().map(|a| a.as_bytes().to_vec()).collect()
}

fn strs(out: &[Vec<u8>]) -> Vec<String> {
    out.iter()
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

#[test]
fn template_matching() {
    assert_eq!(match_template(b"foo", b"foo"), Some(0));
    assert_eq!(match_template(b"foo", b"foobar"), None);
    assert_eq!(match_template(b"foo=", b"foo=1"), Some(3));
    assert_eq!(match_template(b"foo=", b"foo"), None);
    assert_eq!(match_template(b"foo=%u", b"foo="), Some(3));
    assert_eq!(match_template(b"foo=bar", b"foo=baz"), None);
    assert_eq!(match_template(b"foo=bar", b"foo=bar"), Some(0));
    assert_eq!(match_template(b"-x %s", b"-x"), Some(2));
    assert_eq!(match_template(b"-x %s", b"-xfoo"), Some(2));
    assert_eq!(match_template(b"-x ", b"-xy"), Some(2));
    assert_eq!(match_template(b"-x a", b"-xa"), None);
    // A separator at 0: matches anything starting with '=' as sep 0.
    assert_eq!(match_template(b"=%u", b"=5"), Some(0));
}

#[test]
fn stores_keys_and_kept_options() {
    let t = [
        Template::new(b"-a", 0, 7),
        Template::new(b"num=%d", 4, 0),
        Template::new(b"name=%s", 8, 0),
        Template::key(b"-k", 42),
        Template::key(b"keep", KEY_KEEP),
        Template::key(b"drop", KEY_DISCARD),
    ];
    let mut h = TestHost::new();
    parse(
        &v(&[
            "prog",
            "-a",
            "-o",
            "num=-3,name=x\\,y,other",
            "-k",
            "file",
            "-okeep,drop",
        ]),
        &t,
        &mut h,
    )
    .unwrap();
    assert_eq!(h.int(0), 7);
    assert_eq!(h.int(4), -3);
    assert_eq!(h.string(8), Some("x,y"));
    assert_eq!(strs(&h.out), ["prog", "-o", "other,keep", "-k", "file"]);
    assert_eq!(
        h.calls,
        [
            ("other".into(), KEY_OPT),
            ("-k".into(), 42),
            ("file".into(), KEY_NONOPT)
        ]
    );
}

#[test]
fn every_matching_template_applies() {
    let t = [
        Template::new(b"x", 0, 1),
        Template::new(b"x", 4, 2),
        Template::key(b"x", KEY_KEEP),
        Template::key(b"x", KEY_KEEP),
    ];
    let mut h = TestHost::new();
    parse(&v(&["p", "-ox"]), &t, &mut h).unwrap();
    assert_eq!((h.int(0), h.int(4)), (1, 2));
    assert_eq!(strs(&h.out), ["p", "-o", "x,x"]);
}

#[test]
fn escapes_in_option_groups() {
    let mut h = TestHost::new();
    parse(
        &v(&["p", "-o", "a\\\\b,c\\101d,e\\9,f\\,g,h\\"]),
        &[],
        &mut h,
    )
    .unwrap();
    let args: Vec<String> = h.calls.iter().map(|c| c.0.clone()).collect();
    assert_eq!(args, ["a\\b", "cAd", "e9", "f,g", "h\\"]);
    // Kept options are escaped again.
    assert_eq!(strs(&h.out), ["p", "-o", "a\\\\b,cAd,e9,f\\,g,h\\\\"]);
    // An escaped NUL ends the option as C sees it.
    let mut h = TestHost::new();
    parse(&v(&["p", "-oab\\000cd,x"]), &[], &mut h).unwrap();
    assert_eq!(strs(&h.out), ["p", "-o", "ab,x"]);
    // \4xx is not an octal escape (first digit 0-3 only).
    let mut h = TestHost::new();
    parse(&v(&["p", "-o\\400"]), &[], &mut h).unwrap();
    assert_eq!(h.calls[0].0, "400");
}

#[test]
fn empty_options_and_lists() {
    let mut h = TestHost::new();
    parse(&v(&["p", "-o", ",,"]), &[], &mut h).unwrap();
    assert_eq!(h.calls.len(), 3);
    // Empty options add no commas while the list is empty.
    assert_eq!(strs(&h.out), ["p", "-o", ""]);
    let mut h = TestHost::new();
    parse(&v(&["p", "-o", "a,,b"]), &[], &mut h).unwrap();
    assert_eq!(strs(&h.out), ["p", "-o", "a,,b"]);
}

#[test]
fn double_dash() {
    let mut h = TestHost::new();
    parse(&v(&["p", "--", "-a", "-o", "x"]), &[], &mut h).unwrap();
    assert_eq!(strs(&h.out), ["p", "--", "-a", "-o", "x"]);
    assert!(h.calls.iter().all(|c| c.1 == KEY_NONOPT));
    // A trailing "--" is dropped...
    let mut h = TestHost::new();
    parse(&v(&["p", "-a", "--"]), &[], &mut h).unwrap();
    assert_eq!(strs(&h.out), ["p", "-a"]);
    // ...unless "-o" options were inserted before it.
    let mut h = TestHost::new();
    parse(&v(&["p", "-ofoo", "--"]), &[], &mut h).unwrap();
    assert_eq!(strs(&h.out), ["p", "-o", "foo", "--"]);
}

#[test]
fn separate_argument_templates() {
    let t = [
        Template::new(b"-n %d", 0, 0),
        Template::new(b"-s %s", 8, 0),
        Template::key(b"-k ", 5),
    ];
    let mut h = TestHost::new();
    parse(
        &v(&["p", "-n", "12", "-s", "str", "-n7", "-k", "val"]),
        &t,
        &mut h,
    )
    .unwrap();
    assert_eq!(h.int(0), 7);
    assert_eq!(h.string(8), Some("str"));
    assert_eq!(h.calls, [("-kval".into(), 5)]);
    assert_eq!(strs(&h.out), ["p", "-kval"]);
    let mut h = TestHost::new();
    let e = parse(&v(&["p", "-n"]), &t, &mut h).unwrap_err();
    assert_eq!(e, OptError::MissingArgument(b"-n".to_vec()));
    assert_eq!(e.to_string(), "fuse: missing argument after `-n'");
    let e = parse(&v(&["p", "-o"]), &t, &mut TestHost::new()).unwrap_err();
    assert_eq!(e, OptError::MissingArgument(b"-o".to_vec()));
}

#[test]
fn invalid_parameters() {
    let t = [Template::new(b"n=%u", 0, 0)];
    let mut h = TestHost::new();
    let e = parse(&v(&["p", "-on=abc"]), &t, &mut h).unwrap_err();
    assert_eq!(e, OptError::InvalidParameter(b"n=abc".to_vec()));
    let e = parse(&v(&["p", "-on="]), &t, &mut TestHost::new()).unwrap_err();
    assert_eq!(e, OptError::InvalidParameter(b"n=".to_vec()));
    let mut h = TestHost::new();
    parse(&v(&["p", "-on=12abc"]), &t, &mut h).unwrap();
    assert_eq!(h.int(0), 12);
}

#[test]
fn proc_return_values() {
    let mut h = TestHost::with_proc(|arg, _key, _out| match arg {
        b"drop" => 0,
        b"two" => 2,
        b"minus2" => -2,
        _ => 1,
    });
    parse(
        &v(&["p", "drop", "two", "minus2", "-odrop,two"]),
        &[],
        &mut h,
    )
    .unwrap();
    assert_eq!(strs(&h.out), ["p", "-o", "two", "two", "minus2"]);

    let mut h = TestHost::with_proc(|arg, _, _| if arg == b"bad" { -1 } else { 1 });
    let e = parse(&v(&["p", "a", "bad", "c"]), &[], &mut h).unwrap_err();
    assert_eq!(e, OptError::ProcFailed);
    assert_eq!(h.calls.len(), 2);
}

#[test]
fn proc_may_add_arguments() {
    let mut h = TestHost::with_proc(|arg, _, out| {
        if arg == b"add" {
            out.push(b"added".to_vec());
            0
        } else {
            1
        }
    });
    parse(&v(&["p", "x", "-oadd,y", "z"]), &[], &mut h).unwrap();
    assert_eq!(strs(&h.out), ["p", "-o", "y", "x", "added", "z"]);
}

#[test]
fn add_opt_forms() {
    let mut o = None;
    add_opt(&mut o, b"", false);
    assert_eq!(o.as_deref(), Some(b"".as_slice()));
    add_opt(&mut o, b"a,b", false);
    assert_eq!(o.as_deref(), Some(b"a,b".as_slice()));
    add_opt(&mut o, b"c,d\\", true);
    assert_eq!(o.as_deref(), Some(b"a,b,c\\,d\\\\".as_slice()));
    add_opt(&mut o, b"", true);
    assert_eq!(o.as_deref(), Some(b"a,b,c\\,d\\\\,".as_slice()));
}

#[test]
fn matches_and_single_dash() {
    let t = [Template::new(b"-x", 0, 1), Template::new(b"y=", 0, 1)];
    assert!(matches(&t, b"-x"));
    assert!(matches(&t, b"y=3"));
    assert!(!matches(&t, b"y"));
    assert!(!matches(&[], b"y"));
    let mut h = TestHost::new();
    parse(&v(&["p", "-", "", "-x"]), &t, &mut h).unwrap();
    assert_eq!(h.calls, [("-".into(), KEY_OPT), ("".into(), KEY_NONOPT)]);
    assert_eq!(strs(&h.out), ["p", "-", ""]);
}
