//! The RFC 7208 record grammar (§4.5, §4.6.1, §5, §6, §7.1, §12).
//!
//! ```text
//! record           = version terms *SP
//! version          = "v=spf1"
//! terms            = *( 1*SP ( directive / modifier ) )
//! directive        = [ qualifier ] mechanism
//! modifier         = redirect / explanation / unknown-modifier
//! unknown-modifier = name "=" macro-string
//! name             = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )
//! domain-spec      = macro-string domain-end
//! domain-end       = ( "." toplabel [ "." ] ) / macro-expand
//! toplabel         = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
//! ```
//!
//! The whole record is parsed before anything is evaluated, so an error anywhere is a
//! permerror (RFC 7208 §4.6). Every error names the byte offset where the record goes wrong.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::macros::{MacroPart, MacroString, Place, invalid_character, parse_macro_string};
use super::{DualCidr, Mechanism, MechanismKind, Modifier, Qualifier, SpfRecord, Term, TermKind};

/// Why a record is not valid SPF, and where (byte offset from the start of the record).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("at character {}: {kind}", position + 1)]
pub struct ParseError {
    /// Byte offset of the problem (0-based); records are ASCII up to it.
    pub position: usize,
    pub kind: ParseErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseErrorKind {
    #[error("the record does not start with \"v=spf1\"")]
    NotSpf,
    #[error("character {} is not allowed (only printable ASCII, terms separated by spaces)", describe_byte(*.0))]
    InvalidCharacter(u8),
    #[error("non-ASCII character {0:?} (SPF records are 7-bit ASCII)")]
    NonAscii(char),
    #[error("unknown mechanism {0:?}")]
    UnknownMechanism(String),
    #[error("\"{0}\" is missing its \":\" argument")]
    MissingArgument(&'static str),
    #[error("empty domain after \"{0}\"")]
    EmptyDomain(&'static str),
    #[error(
        "{0:?} is not a domain name (it must end in a top-level label such as .com, or in a macro)"
    )]
    BadDomainEnd(String),
    #[error("\"{0}\" takes no argument here: {1:?}")]
    UnexpectedArgument(&'static str, String),
    #[error("{0:?} is not a valid CIDR prefix length")]
    BadCidr(String),
    #[error("prefix length /{0} is larger than {1}")]
    CidrTooLong(u32, u8),
    #[error("{0:?} is not an IPv4 address (write four decimal numbers, e.g. 192.0.2.10)")]
    BadIp4(String),
    #[error("{0:?} is not an IPv6 address")]
    BadIp6(String),
    #[error("\"%\" must be followed by {{, %, _ or - (write %% for a percent sign)")]
    LonePercent,
    #[error("unterminated macro (missing \"}}\")")]
    UnterminatedMacro,
    #[error("unknown macro letter {0:?}")]
    UnknownMacroLetter(char),
    #[error("macro letter {0:?} is only allowed in explanation text")]
    ExplanationOnlyMacro(char),
    #[error("a macro digit transformer must not be zero")]
    ZeroMacroDigits,
    #[error("unexpected character {0:?} inside a macro")]
    BadMacroCharacter(char),
    #[error("the \"{0}\" modifier appears more than once")]
    DuplicateModifier(&'static str),
}

fn describe_byte(b: u8) -> String {
    match b {
        b'\r' => "CR (\\r)".into(),
        b'\n' => "LF (\\n)".into(),
        b'\t' => "TAB".into(),
        0 => "NUL".into(),
        b' ' => "space".into(),
        b => format!("0x{b:02x}"),
    }
}

/// True when a TXT string is an SPF record: "v=spf1" (any case) followed by a space or the end.
pub fn is_spf_record(txt: &str) -> bool {
    let bytes = txt.as_bytes();
    bytes.len() >= 6
        && bytes[..6].eq_ignore_ascii_case(b"v=spf1")
        && (bytes.len() == 6 || bytes[6] == b' ')
}

/// Parse a whole SPF record.
pub fn parse(text: &str) -> Result<SpfRecord, ParseError> {
    if !is_spf_record(text) {
        return Err(ParseError {
            position: 0,
            kind: ParseErrorKind::NotSpf,
        });
    }
    let mut terms = Vec::new();
    let mut seen_redirect = false;
    let mut seen_exp = false;
    let mut offset = 6;
    for piece in text[6..].split(' ') {
        let position = offset;
        offset += piece.len() + 1;
        if piece.is_empty() {
            continue;
        }
        let kind = parse_term(piece, position)?;
        if let TermKind::Modifier(m) = &kind {
            let (seen, name) = match m {
                Modifier::Redirect(_) => (&mut seen_redirect, "redirect"),
                Modifier::Explanation(_) => (&mut seen_exp, "exp"),
                Modifier::Unknown { .. } => {
                    terms.push(Term {
                        text: piece.to_string(),
                        position,
                        kind,
                    });
                    continue;
                }
            };
            if *seen {
                return Err(ParseError {
                    position,
                    kind: ParseErrorKind::DuplicateModifier(name),
                });
            }
            *seen = true;
        }
        terms.push(Term {
            text: piece.to_string(),
            position,
            kind,
        });
    }
    Ok(SpfRecord {
        text: text.to_string(),
        terms,
    })
}

fn error(position: usize, kind: ParseErrorKind) -> ParseError {
    ParseError { position, kind }
}

fn parse_term(term: &str, pos: usize) -> Result<TermKind, ParseError> {
    if let Some(i) = term.bytes().position(|b| !(0x21..=0x7e).contains(&b)) {
        return Err(error(pos + i, invalid_character(term, i)));
    }
    // A modifier is a name followed directly by "=".
    let bytes = term.as_bytes();
    if bytes[0].is_ascii_alphabetic() {
        let name_len = bytes
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || b"-_.".contains(b))
            .count();
        if bytes.get(name_len) == Some(&b'=') {
            let name = &term[..name_len];
            let value = &term[name_len + 1..];
            let value_pos = pos + name_len + 1;
            return Ok(TermKind::Modifier(
                if name.eq_ignore_ascii_case("redirect") {
                    Modifier::Redirect(domain_spec(value, value_pos, "redirect")?)
                } else if name.eq_ignore_ascii_case("exp") {
                    Modifier::Explanation(domain_spec(value, value_pos, "exp")?)
                } else {
                    Modifier::Unknown {
                        name: name.to_string(),
                        value: parse_macro_string(value, value_pos, Place::Term)?,
                    }
                },
            ));
        }
    }
    let (qualifier, body, body_pos) = match bytes[0] {
        b'+' => (Qualifier::Pass, &term[1..], pos + 1),
        b'-' => (Qualifier::Fail, &term[1..], pos + 1),
        b'~' => (Qualifier::SoftFail, &term[1..], pos + 1),
        b'?' => (Qualifier::Neutral, &term[1..], pos + 1),
        _ => (Qualifier::Pass, term, pos),
    };
    let name_len = body.find([':', '/']).unwrap_or(body.len());
    let name = &body[..name_len];
    let rest = &body[name_len..];
    let rest_pos = body_pos + name_len;
    let kind = match name.to_ascii_lowercase().as_str() {
        "all" => {
            if !rest.is_empty() {
                return Err(error(
                    rest_pos,
                    ParseErrorKind::UnexpectedArgument("all", rest.to_string()),
                ));
            }
            MechanismKind::All
        }
        "include" => MechanismKind::Include {
            domain: required_domain(rest, rest_pos, "include")?,
        },
        "exists" => MechanismKind::Exists {
            domain: required_domain(rest, rest_pos, "exists")?,
        },
        "a" => {
            let (domain, cidr) = domain_and_cidr(rest, rest_pos, "a")?;
            MechanismKind::A { domain, cidr }
        }
        "mx" => {
            let (domain, cidr) = domain_and_cidr(rest, rest_pos, "mx")?;
            MechanismKind::Mx { domain, cidr }
        }
        "ptr" => {
            let domain = match rest.strip_prefix(':') {
                Some(d) => Some(domain_spec(d, rest_pos + 1, "ptr")?),
                None if rest.is_empty() => None,
                None => {
                    return Err(error(
                        rest_pos,
                        ParseErrorKind::UnexpectedArgument("ptr", rest.to_string()),
                    ));
                }
            };
            MechanismKind::Ptr { domain }
        }
        "ip4" => {
            let (addr, addr_pos, prefix) = network(rest, rest_pos, "ip4", 32)?;
            let network = addr
                .parse::<Ipv4Addr>()
                .map_err(|_| error(addr_pos, ParseErrorKind::BadIp4(addr.to_string())))?;
            MechanismKind::Ip4 {
                network,
                prefix: prefix.unwrap_or(32),
            }
        }
        "ip6" => {
            let (addr, addr_pos, prefix) = network(rest, rest_pos, "ip6", 128)?;
            let network = addr
                .parse::<Ipv6Addr>()
                .map_err(|_| error(addr_pos, ParseErrorKind::BadIp6(addr.to_string())))?;
            MechanismKind::Ip6 {
                network,
                prefix: prefix.unwrap_or(128),
            }
        }
        _ => {
            return Err(error(
                pos,
                ParseErrorKind::UnknownMechanism(term.to_string()),
            ));
        }
    };
    Ok(TermKind::Mechanism(Mechanism { qualifier, kind }))
}

/// `":" domain-spec`, required (include, exists).
fn required_domain(rest: &str, pos: usize, mech: &'static str) -> Result<MacroString, ParseError> {
    match rest.strip_prefix(':') {
        Some(d) => domain_spec(d, pos + 1, mech),
        None => Err(error(pos, ParseErrorKind::MissingArgument(mech))),
    }
}

/// `[ ":" domain-spec ] [ dual-cidr-length ]` (a, mx). The CIDR suffix is taken from the
/// end, so a domain may itself contain "/" (RFC 7208 allows any visible character).
fn domain_and_cidr(
    rest: &str,
    pos: usize,
    mech: &'static str,
) -> Result<(Option<MacroString>, DualCidr), ParseError> {
    let mut cidr = DualCidr::default();
    let mut end = rest.len();
    if let Some((digits_at, value)) = trailing_cidr(&rest[..end], "//") {
        cidr.v6 = cidr_value(value, pos + digits_at, 128)?;
        end = digits_at - 2;
    }
    if let Some((digits_at, value)) = trailing_cidr(&rest[..end], "/") {
        cidr.v4 = cidr_value(value, pos + digits_at, 32)?;
        end = digits_at - 1;
    }
    let head = &rest[..end];
    let domain = match head.strip_prefix(':') {
        Some(d) => Some(domain_spec(d, pos + 1, mech)?),
        None if head.is_empty() => None,
        None => {
            return Err(error(
                pos,
                ParseErrorKind::UnexpectedArgument(mech, head.to_string()),
            ));
        }
    };
    Ok((domain, cidr))
}

/// A trailing `sep` + digits (for "/" not itself preceded by "/"): (offset of the digits, digits).
fn trailing_cidr<'a>(text: &'a str, sep: &str) -> Option<(usize, &'a str)> {
    let digits = text.len() - text.bytes().rev().take_while(u8::is_ascii_digit).count();
    if digits == text.len() || !text[..digits].ends_with(sep) {
        return None;
    }
    if sep == "/" && text[..digits - 1].ends_with('/') {
        return None;
    }
    Some((digits, &text[digits..]))
}

/// `"0" / %x31-39 0*2DIGIT`, at most `max`.
fn cidr_value(digits: &str, pos: usize, max: u8) -> Result<u8, ParseError> {
    if digits.len() > 1 && digits.starts_with('0') || digits.len() > 3 {
        return Err(error(pos, ParseErrorKind::BadCidr(format!("/{digits}"))));
    }
    let value: u32 = digits
        .parse()
        .map_err(|_| error(pos, ParseErrorKind::BadCidr(format!("/{digits}"))))?;
    if value > u32::from(max) {
        return Err(error(pos, ParseErrorKind::CidrTooLong(value, max)));
    }
    Ok(value as u8)
}

/// `":" network [ "/" length ]` (ip4, ip6): the address text, its offset, and the length.
fn network<'a>(
    rest: &'a str,
    pos: usize,
    mech: &'static str,
    max: u8,
) -> Result<(&'a str, usize, Option<u8>), ParseError> {
    let Some(value) = rest.strip_prefix(':') else {
        return Err(error(pos, ParseErrorKind::MissingArgument(mech)));
    };
    let value_pos = pos + 1;
    match value.split_once('/') {
        None => Ok((value, value_pos, None)),
        Some((addr, digits)) => {
            let digits_pos = value_pos + addr.len() + 1;
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(error(
                    digits_pos,
                    ParseErrorKind::BadCidr(format!("/{digits}")),
                ));
            }
            Ok((addr, value_pos, Some(cidr_value(digits, digits_pos, max)?)))
        }
    }
}

/// A `domain-spec`: a macro string that ends in a top-level label or a macro.
fn domain_spec(text: &str, pos: usize, mech: &'static str) -> Result<MacroString, ParseError> {
    if text.is_empty() {
        return Err(error(pos, ParseErrorKind::EmptyDomain(mech)));
    }
    let spec = parse_macro_string(text, pos, Place::Term)?;
    let ends_well = match spec.parts.last() {
        Some(MacroPart::Literal(tail)) => {
            let tail = tail.strip_suffix('.').unwrap_or(tail);
            tail.rsplit_once('.')
                .is_some_and(|(_, top)| is_toplabel(top))
        }
        Some(_) => true,
        None => false,
    };
    if !ends_well {
        return Err(error(pos, ParseErrorKind::BadDomainEnd(text.to_string())));
    }
    Ok(spec)
}

/// `toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )`
fn is_toplabel(label: &str) -> bool {
    let b = label.as_bytes();
    if b.is_empty() {
        return false;
    }
    if b.iter().all(u8::is_ascii_alphanumeric) {
        return b.iter().any(u8::is_ascii_alphabetic);
    }
    b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ParseErrorKind as K;

    fn lit(s: &str) -> MacroString {
        MacroString {
            parts: vec![MacroPart::Literal(s.into())],
        }
    }

    fn mech(record: &str) -> MechanismKind {
        let r = parse(record).unwrap_or_else(|e| panic!("{record}: {e}"));
        match &r.terms[0].kind {
            TermKind::Mechanism(m) => m.kind.clone(),
            other => panic!("{record}: {other:?}"),
        }
    }

    #[test]
    fn version() {
        assert!(is_spf_record("v=spf1"));
        assert!(is_spf_record("V=SpF1 -all"));
        assert!(!is_spf_record("v=spf10"));
        assert!(!is_spf_record("v=spf1-all"));
        assert!(!is_spf_record("spf2.0/pra"));
        assert_eq!(parse("v=spf10").unwrap_err().kind, K::NotSpf);
        assert!(parse("v=spf1").unwrap().terms.is_empty());
        assert_eq!(parse("v=spf1  a   -all ").unwrap().terms.len(), 2);
    }

    #[test]
    fn mechanisms() {
        let v4: Ipv4Addr = "192.0.2.0".parse().unwrap();
        let cases = [
            ("v=spf1 all", MechanismKind::All),
            (
                "v=spf1 include:_spf.example.com",
                MechanismKind::Include {
                    domain: lit("_spf.example.com"),
                },
            ),
            (
                "v=spf1 a",
                MechanismKind::A {
                    domain: None,
                    cidr: DualCidr::default(),
                },
            ),
            (
                "v=spf1 a/24//64",
                MechanismKind::A {
                    domain: None,
                    cidr: DualCidr { v4: 24, v6: 64 },
                },
            ),
            (
                "v=spf1 a//0",
                MechanismKind::A {
                    domain: None,
                    cidr: DualCidr { v4: 32, v6: 0 },
                },
            ),
            (
                "v=spf1 mx:mail.example.com/28",
                MechanismKind::Mx {
                    domain: Some(lit("mail.example.com")),
                    cidr: DualCidr { v4: 28, v6: 128 },
                },
            ),
            (
                "v=spf1 a:foo:bar/baz.example.com",
                MechanismKind::A {
                    domain: Some(lit("foo:bar/baz.example.com")),
                    cidr: DualCidr::default(),
                },
            ),
            (
                "v=spf1 ptr:example.com",
                MechanismKind::Ptr {
                    domain: Some(lit("example.com")),
                },
            ),
            (
                "v=spf1 ip4:192.0.2.0/24",
                MechanismKind::Ip4 {
                    network: v4,
                    prefix: 24,
                },
            ),
            (
                "v=spf1 IP6:2001:DB8::/32",
                MechanismKind::Ip6 {
                    network: "2001:db8::".parse().unwrap(),
                    prefix: 32,
                },
            ),
            (
                "v=spf1 ip6:::1.1.1.1/0",
                MechanismKind::Ip6 {
                    network: "::1.1.1.1".parse().unwrap(),
                    prefix: 0,
                },
            ),
            (
                "v=spf1 a:foo.example.xn--zckzah",
                MechanismKind::A {
                    domain: Some(lit("foo.example.xn--zckzah")),
                    cidr: DualCidr::default(),
                },
            ),
        ];
        for (record, want) in cases {
            assert_eq!(mech(record), want, "{record}");
        }
        let r = parse("v=spf1 ~mx ?a -include:x.example +all").unwrap();
        let q: Vec<char> = r.mechanisms().map(|(_, m)| m.qualifier.symbol()).collect();
        assert_eq!(q, ['~', '?', '-', '+']);
    }

    #[test]
    fn modifiers() {
        let r =
            parse("v=spf1 -all exp=explain.%{d} moo.cow-far_out=man:dog/cat redirect=x.example")
                .unwrap();
        assert!(r.explanation().is_some());
        assert_eq!(r.redirect(), Some(&lit("x.example")));
        assert!(matches!(
            &r.terms[2].kind,
            TermKind::Modifier(Modifier::Unknown { name, .. }) if name == "moo.cow-far_out"
        ));
        assert_eq!(r.all().map(|(_, q)| q), Some(Qualifier::Fail));
        // default=+ is an unknown modifier and changes nothing.
        assert!(parse("v=spf1 default=+").is_ok());
    }

    /// Every error names the byte where the record stops making sense.
    #[test]
    fn errors_with_positions() {
        let cases: &[(&str, usize, ParseErrorKind)] = &[
            (
                "v=spf1 ip4:1.2.3.4 -all moo",
                24,
                K::UnknownMechanism("moo".into()),
            ),
            (
                "v=spf1 moo.cow/far_out=man:dog/cat",
                7,
                K::UnknownMechanism("moo.cow/far_out=man:dog/cat".into()),
            ),
            (
                "v=spf1 ip4:1.2.3.4 redirect:t2.example.com",
                19,
                K::UnknownMechanism("redirect:t2.example.com".into()),
            ),
            ("v=spf1 1up=foo", 7, K::UnknownMechanism("1up=foo".into())),
            ("v=spf1 =all", 7, K::UnknownMechanism("=all".into())),
            (
                "v=spf1 a:foo-bar -all",
                9,
                K::BadDomainEnd("foo-bar".into()),
            ),
            ("v=spf1 a:museum.", 9, K::BadDomainEnd("museum.".into())),
            ("v=spf1 a:abc.123", 9, K::BadDomainEnd("abc.123".into())),
            (
                "v=spf1 a:111.222.33.44",
                9,
                K::BadDomainEnd("111.222.33.44".into()),
            ),
            (
                "v=spf1 a:example.-com",
                9,
                K::BadDomainEnd("example.-com".into()),
            ),
            (
                "v=spf1 a:example.com:8080",
                9,
                K::BadDomainEnd("example.com:8080".into()),
            ),
            ("v=spf1 a:", 9, K::EmptyDomain("a")),
            ("v=spf1 include", 14, K::MissingArgument("include")),
            ("v=spf1 include: -all", 15, K::EmptyDomain("include")),
            (
                "v=spf1 include:ip5.example.com/24",
                15,
                K::BadDomainEnd("ip5.example.com/24".into()),
            ),
            (
                "v=spf1 exists:mail.example.com/24",
                14,
                K::BadDomainEnd("mail.example.com/24".into()),
            ),
            ("v=spf1 -all.", 7, K::UnknownMechanism("-all.".into())),
            (
                "v=spf1 -all:foobar",
                11,
                K::UnexpectedArgument("all", ":foobar".into()),
            ),
            (
                "v=spf1 -all/8",
                11,
                K::UnexpectedArgument("all", "/8".into()),
            ),
            (
                "v=spf1 ptr/0 -all",
                10,
                K::UnexpectedArgument("ptr", "/0".into()),
            ),
            ("v=spf1 a/33 -all", 9, K::CidrTooLong(33, 32)),
            ("v=spf1 a//129", 10, K::CidrTooLong(129, 128)),
            ("v=spf1 a/24/64 -all", 12, K::CidrTooLong(64, 32)),
            (
                "v=spf1 a/24/16 -all",
                8,
                K::UnexpectedArgument("a", "/24".into()),
            ),
            ("v=spf1 ip4:1.2.3.4/032", 19, K::BadCidr("/032".into())),
            ("v=spf1 ip4:1.2.3.4/33", 19, K::CidrTooLong(33, 32)),
            ("v=spf1 ip4:1.2.3.4//32", 19, K::BadCidr("//32".into())),
            ("v=spf1 ip4", 10, K::MissingArgument("ip4")),
            ("v=spf1 ip4:1.2.3", 11, K::BadIp4("1.2.3".into())),
            (
                "v=spf1 ip4:1.2.3.4:8080",
                11,
                K::BadIp4("1.2.3.4:8080".into()),
            ),
            ("v=spf1 ip4:01.2.3.4", 11, K::BadIp4("01.2.3.4".into())),
            (
                "v=spf1 ip6::CAFE::BABE",
                11,
                K::BadIp6(":CAFE::BABE".into()),
            ),
            ("v=spf1 ip6:::1.1.1.1//33", 21, K::BadCidr("//33".into())),
            (
                "v=spf1 a:ctrl.example.com\rptr -all",
                25,
                K::InvalidCharacter(b'\r'),
            ),
            (
                "v=spf1 ip4:192.0.2.5\n include:x.example",
                20,
                K::InvalidCharacter(b'\n'),
            ),
            ("v=spf1 a:foo.example.com\0", 24, K::InvalidCharacter(0)),
            (
                "v=spf1 a:\u{feff}garbage.example.net -all",
                9,
                K::NonAscii('\u{feff}'),
            ),
            (
                "v=spf1 -exists:%(ir).sbl.example.com ?all",
                15,
                K::LonePercent,
            ),
            ("v=spf1 exists:foo%.sbl.example.com", 17, K::LonePercent),
            ("v=spf1 a:%{a}.example.com", 11, K::UnknownMacroLetter('a')),
            (
                "v=spf1 -all exp=%{r}.example.com",
                18,
                K::ExplanationOnlyMacro('r'),
            ),
            ("v=spf1 -all foo=%abc", 16, K::LonePercent),
            ("v=spf1 exp= -all", 11, K::EmptyDomain("exp")),
            ("v=spf1 exp=-all", 11, K::BadDomainEnd("-all".into())),
            ("v=spf1 ?all redirect=", 21, K::EmptyDomain("redirect")),
            (
                "v=spf1 exp=a.example -all exp=b.example",
                26,
                K::DuplicateModifier("exp"),
            ),
            (
                "v=spf1 redirect=a.example redirect=b.example",
                26,
                K::DuplicateModifier("redirect"),
            ),
        ];
        for (record, at, kind) in cases {
            let got = parse(record).expect_err(record);
            assert_eq!((got.position, &got.kind), (*at, kind), "{record:?}");
        }
    }

    #[test]
    fn domain_specs_ending_in_macros_are_fine() {
        for record in [
            "v=spf1 a:%{H} -all",
            "v=spf1 exists:%{i}.%{l2r-}.user.%{d2}",
            "v=spf1 redirect=%{d}.d.spf.example.com.",
            "v=spf1 a:macro%%percent%_%_space%-url-space.example.com -all",
            "v=spf1 include:o.spf.example.com. ~all",
        ] {
            assert!(parse(record).is_ok(), "{record}");
        }
    }

    #[test]
    fn large_records_parse_linearly() {
        let mut record = String::from("v=spf1");
        for i in 0..5000 {
            record.push_str(&format!(" ip4:10.{}.{}.0/24", i / 256, i % 256));
        }
        record.push_str(" -all");
        assert_eq!(parse(&record).unwrap().terms.len(), 5001);
    }
}
