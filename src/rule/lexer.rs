//! The lexer of the stop-rule language.

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    Num(String),
    Ident(String),
    LParen,
    RParen,
    Comma,
    Plus,
    Minus,
    Star,
    Slash,
    Caret,
    /// A character that starts no token.
    Bad(char),
    End,
}

impl Tok {
    pub(super) fn describe(&self) -> String {
        match self {
            Tok::Num(s) => format!("number `{s}`"),
            Tok::Ident(s) => format!("`{s}`"),
            Tok::LParen => "`(`".into(),
            Tok::RParen => "`)`".into(),
            Tok::Comma => "`,`".into(),
            Tok::Plus => "`+`".into(),
            Tok::Minus => "`-`".into(),
            Tok::Star => "`*`".into(),
            Tok::Slash => "`/`".into(),
            Tok::Caret => "`^`".into(),
            Tok::Bad(c) => format!("character {c:?}"),
            Tok::End => "end of expression".into(),
        }
    }
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_ident_continue(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Splits `chars` into tokens with their character offsets. Lexing stops at
/// the first character that starts no token (emitted as [`Tok::Bad`]); the
/// list always ends with [`Tok::End`] or [`Tok::Bad`].
pub(super) fn lex(chars: &[char]) -> Vec<(Tok, usize)> {
    let mut out = Vec::new();
    let n = chars.len();
    let mut i = 0;
    let digit_at = |j: usize| j < n && chars[j].is_ascii_digit();
    while i < n {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let tok = match c {
            '(' => Tok::LParen,
            ')' => Tok::RParen,
            ',' => Tok::Comma,
            '+' => Tok::Plus,
            '-' => Tok::Minus,
            '*' => Tok::Star,
            '/' => Tok::Slash,
            '^' => Tok::Caret,
            _ if c.is_ascii_digit() || (c == '.' && digit_at(i + 1)) => {
                while digit_at(i) {
                    i += 1;
                }
                if i < n && chars[i] == '.' {
                    i += 1;
                    while digit_at(i) {
                        i += 1;
                    }
                }
                if i < n && (chars[i] == 'e' || chars[i] == 'E') {
                    let sign = i + 1 < n && (chars[i + 1] == '+' || chars[i + 1] == '-');
                    let first = if sign { i + 2 } else { i + 1 };
                    if digit_at(first) {
                        i = first;
                        while digit_at(i) {
                            i += 1;
                        }
                    }
                }
                out.push((Tok::Num(chars[start..i].iter().collect()), start));
                continue;
            }
            _ if is_ident_start(c) => {
                while i < n && is_ident_continue(chars[i]) {
                    i += 1;
                }
                out.push((Tok::Ident(chars[start..i].iter().collect()), start));
                continue;
            }
            _ => {
                out.push((Tok::Bad(c), start));
                return out;
            }
        };
        out.push((tok, start));
        i += 1;
    }
    out.push((Tok::End, n));
    out
}
