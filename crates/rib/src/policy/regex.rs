//! FRR's regular expressions, translated for `regex-lite`.
//!
//! bgpd compiles AS-path and community regexes as POSIX extended regexes after one
//! substitution: `_` stands for any delimiter of the AS path text, i.e. the beginning or end
//! of the string, a space, a comma, `{`, `}`, `(` or `)` (FRR user guide, "AS Path Regular
//! Expression"). We make the same substitution and compile once with `regex-lite`, whose
//! syntax agrees with POSIX ERE on what policy configurations use: anchors, `.`, bracket
//! expressions including `[[:digit:]]`, `* + ?`, `{m,n}`, alternation and groups.
//!
//! Two deliberate differences from FRR's textual substitution: an `_` inside a bracket
//! expression stays a literal underscore (FRR would splice a group into the brackets, which
//! cannot have been meant), and `\_` is a literal underscore. Like FRR's, our `_` does not
//! cover the `[` `]` around an AS_CONFED_SET.
//!
//! regex-lite has no DFA and no literal prefilter: about a microsecond per AS path. Most
//! policies only use literals, `_`, the anchors and `.*` (`_65002_`, `^65001_`, `_65003$`,
//! `^$`), so patterns made of those alone run on a small matcher of their own; a property
//! test checks that it agrees with regex-lite.

use core::fmt;

use super::PolicyError;

/// What FRR's `_` becomes: a non-capturing group of every AS-path delimiter.
const UNDERSCORE: &str = "(?:^|[,{}() ]|$)";

/// The delimiters FRR's `_` consumes (besides matching the start and end).
const DELIMITERS: &[u8] = b",{}() ";

/// A piece of a pattern simple enough to match without a regex engine.
#[derive(Clone, Debug)]
enum Piece {
    /// Literal text.
    Lit(Box<[u8]>),
    /// FRR's `_`.
    Delim,
    /// `.*`.
    AnyStar,
    /// `.+`.
    AnyPlus,
    /// `$` at the end of the pattern.
    End,
}

/// A pattern of [`Piece`]s, optionally anchored at the start.
#[derive(Clone, Debug)]
struct Simple {
    anchored: bool,
    pieces: Vec<Piece>,
}

impl Simple {
    /// The simple form of `src`, when it has one: literal letters, digits, `:`, `-`, `,` and
    /// spaces, `_`, at most two of `.*` / `.+`, `^` first and `$` last.
    fn new(src: &str) -> Option<Simple> {
        let (anchored, body) = match src.strip_prefix('^') {
            Some(rest) => (true, rest),
            None => (false, src),
        };
        let (body, end) = match body.strip_suffix('$') {
            Some(rest) => (rest, true),
            None => (body, false),
        };
        let mut pieces = Vec::new();
        let mut lit = Vec::new();
        let mut wildcards = 0;
        let mut bytes = body.bytes().peekable();
        while let Some(b) = bytes.next() {
            let piece = match b {
                b'_' => Piece::Delim,
                b'.' => {
                    wildcards += 1;
                    match bytes.next() {
                        Some(b'*') => Piece::AnyStar,
                        Some(b'+') => Piece::AnyPlus,
                        _ => return None,
                    }
                }
                b if b.is_ascii_alphanumeric() || matches!(b, b':' | b'-' | b',' | b' ') => {
                    lit.push(b);
                    continue;
                }
                _ => return None,
            };
            if !lit.is_empty() {
                pieces.push(Piece::Lit(core::mem::take(&mut lit).into()));
            }
            pieces.push(piece);
        }
        if !lit.is_empty() {
            pieces.push(Piece::Lit(lit.into()));
        }
        if end {
            pieces.push(Piece::End);
        }
        (wildcards <= 2).then_some(Simple { anchored, pieces })
    }

    fn is_match(&self, text: &[u8]) -> bool {
        if self.anchored {
            return matches_at(&self.pieces, text, 0);
        }
        (0..=text.len()).any(|start| matches_at(&self.pieces, text, start))
    }
}

/// True when `pieces` match `text` from position `at` on (backtracking over the few
/// choices: `_` at either end of the text, and the length of `.*` / `.+`).
fn matches_at(pieces: &[Piece], text: &[u8], at: usize) -> bool {
    let Some((first, rest)) = pieces.split_first() else { return true };
    let len = text.len();
    match first {
        Piece::Lit(l) => {
            text.get(at..).is_some_and(|t| t.starts_with(l)) && matches_at(rest, text, at + l.len())
        }
        Piece::Delim => {
            ((at == 0 || at == len) && matches_at(rest, text, at))
                || (text.get(at).is_some_and(|b| DELIMITERS.contains(b))
                    && matches_at(rest, text, at + 1))
        }
        Piece::End => at == len && matches_at(rest, text, at),
        Piece::AnyStar | Piece::AnyPlus => {
            // `.` does not match a newline.
            let stop = text.get(at..).and_then(|t| t.iter().position(|&b| b == b'\n'));
            let last = stop.map_or(len, |i| at + i);
            let from = if matches!(first, Piece::AnyPlus) { at + 1 } else { at };
            (from..=last).any(|q| matches_at(rest, text, q))
        }
    }
}

/// A regex written in FRR's dialect, compiled once.
#[derive(Clone)]
pub struct FrrRegex {
    source: String,
    re: regex_lite::Regex,
    simple: Option<Simple>,
}

impl FrrRegex {
    /// Translates and compiles `source`; the error names the regex (line 0: the parser sets
    /// the line).
    pub fn new(source: &str) -> Result<FrrRegex, PolicyError> {
        let translated = translate(source);
        let re = regex_lite::Regex::new(&translated)
            .map_err(|e| PolicyError::new(0, format!("bad regex '{source}': {e}")))?;
        Ok(FrrRegex { source: source.to_owned(), re, simple: Simple::new(source) })
    }

    /// The regex as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// True when the regex matches anywhere in `text` (POSIX `regexec` is unanchored too).
    pub fn is_match(&self, text: &str) -> bool {
        match &self.simple {
            Some(simple) => simple.is_match(text.as_bytes()),
            None => self.re.is_match(text),
        }
    }
}

impl fmt::Debug for FrrRegex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FrrRegex({:?})", self.source)
    }
}

impl PartialEq for FrrRegex {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Eq for FrrRegex {}

/// Rewrites FRR's `_` outside bracket expressions; everything else is copied.
pub(crate) fn translate(src: &str) -> String {
    let mut out = String::with_capacity(src.len() + 16);
    let mut chars = src.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('_') => out.push('_'),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            },
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    chars.next();
                    out.push('^');
                }
                // POSIX: a `]` right after the opening bracket is a literal.
                if chars.peek() == Some(&']') {
                    chars.next();
                    out.push_str("\\]");
                }
            }
            '[' => {
                // A POSIX class such as `[:digit:]` is copied whole; any other `[` inside a
                // bracket expression is a literal.
                if chars.peek() == Some(&':') {
                    out.push('[');
                    for n in chars.by_ref() {
                        out.push(n);
                        if n == ']' {
                            break;
                        }
                    }
                } else {
                    out.push_str("\\[");
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '_' if !in_class => out.push_str(UNDERSCORE),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn re(s: &str) -> FrrRegex {
        FrrRegex::new(s).unwrap()
    }

    /// FRR user guide, "AS Path Regular Expression": `_` matches space, comma, the AS set
    /// delimiters `{` `}`, the confederation delimiters `(` `)`, and the beginning and end of
    /// the line, so `_7675_` finds AS 7675 anywhere as a whole number.
    #[test]
    fn underscore_matches_every_delimiter() {
        let r = re("_7675_");
        for text in [
            "7675",
            "1 7675",
            "7675 2",
            "1 7675 2",
            "1 {7675,3}",
            "{3,7675}",
            "(7675 1) 2",
            "1 (2 7675)",
        ] {
            assert!(r.is_match(text), "{text}");
        }
        for text in ["17675", "76751", "1 27675 3", ""] {
            assert!(!r.is_match(text), "{text}");
        }
    }

    #[test]
    fn table_of_frr_idioms() {
        // (regex, text, matches)
        let cases = [
            ("^$", "", true),
            ("^$", "65001", false),
            ("^65001_", "65001 65002", true),
            ("^65001_", "650011 65002", false),
            ("_65002$", "65001 65002", true),
            ("^65001$", "65001", true),
            ("^[0-9]+$", "65001", true),
            ("^[[:digit:]]+_[[:digit:]]+$", "1 2", true),
            ("^(65001_)+$", "65001 65001 65001", true),
            ("^6500[1-3]_", "65003 1", true),
            ("\\{65003,65004\\}", "65001 {65003,65004}", true),
            ("^[_]", "_x", true),
            ("a\\_b", "a_b", true),
            (".*", "", true),
        ];
        for (r, text, want) in cases {
            assert_eq!(re(r).is_match(text), want, "{r} on {text:?}");
        }
    }

    #[test]
    fn bad_regex_names_itself() {
        let e = FrrRegex::new("(65001").unwrap_err();
        assert_eq!(e.line, 0);
        assert!(e.reason.contains("'(65001'"), "{}", e.reason);
    }

    #[test]
    fn simple_forms() {
        for src in [
            "_65002_",
            "^65001_",
            "_65003$",
            "^$",
            "^65001 65002$",
            ".*",
            "^no-export$",
            "_1_.*_2_",
        ] {
            assert!(Simple::new(src).is_some(), "{src}");
        }
        for src in ["^6500[1-3]_", "(65001|65002)", "65001+", "\\{", "._", ".*.*.*", "a^b", "a$b"] {
            assert!(Simple::new(src).is_none(), "{src}");
        }
    }

    fn arb_pattern() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("_"),
            Just(".*"),
            Just(".+"),
            Just("1"),
            Just("2"),
            Just("12"),
            Just(" "),
            Just(","),
            Just(":"),
        ];
        (any::<bool>(), proptest::collection::vec(piece, 0..6), any::<bool>()).prop_map(
            |(start, pieces, end)| {
                let mut s = String::new();
                if start {
                    s.push('^');
                }
                pieces.iter().for_each(|p| s.push_str(p));
                if end {
                    s.push('$');
                }
                s
            },
        )
    }

    fn arb_text() -> impl Strategy<Value = String> {
        let c = prop_oneof![
            Just('1'),
            Just('2'),
            Just(' '),
            Just(','),
            Just('{'),
            Just('}'),
            Just('('),
            Just(')'),
            Just('['),
            Just(']'),
            Just(':'),
            Just('\n'),
        ];
        proptest::collection::vec(c, 0..12).prop_map(|v| v.into_iter().collect())
    }

    proptest! {
        /// The small matcher agrees with regex-lite on the patterns it takes.
        #[test]
        fn simple_matcher_agrees_with_regex(src in arb_pattern(), texts in proptest::collection::vec(arb_text(), 1..8)) {
            let re = regex_lite::Regex::new(&translate(&src)).unwrap();
            if let Some(simple) = Simple::new(&src) {
                for t in texts {
                    prop_assert_eq!(simple.is_match(t.as_bytes()), re.is_match(&t), "{:?} on {:?}", src, t);
                }
            }
        }
    }

    #[test]
    fn translation_is_textual() {
        assert_eq!(translate("_1_"), "(?:^|[,{}() ]|$)1(?:^|[,{}() ]|$)");
        assert_eq!(translate("[]a]"), "[\\]a]");
        assert_eq!(translate("[^_]"), "[^_]");
    }
}
