//! The date strings V8 reads beyond ECMAScript's own format: `Date.parse` and `new Date(s)`
//! fall back to this when Boa's parser gives up. Functions parse what users, forms and other
//! services send (`2024-03-10 10:00:05`, `03/10/2024`, `March 7, 2024`, RFC 2822 with
//! `+0000`, ISO with microseconds or `+0100`), and Node (V8) reads them all; Boa reads the
//! ISO format and little else. This follows V8's `DateParser` (src/date/dateparser*.{h,cc}):
//! its tokens, its keyword table and its rules for combining numbers into a date.

/// A missing value.
const NONE: i64 = i64::MAX;
/// Digits of a numeral that count; the rest are skipped.
const MAX_DIGITS: usize = 9;
/// The largest time value (ECMAScript's ±8.64e15 ms).
const MAX_TIME: f64 = 8.64e15;
/// How far past it a local time may be before its offset is applied (V8's ten days).
const MAX_BEFORE_UTC: f64 = MAX_TIME + 864e6;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Keyword {
    Invalid,
    Month,
    Zone,
    TimeSeparator,
    AmPm,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Token {
    Unknown,
    Space,
    End,
    Number { value: i64, len: usize },
    Symbol(char),
    Word { kind: Keyword, value: i64, len: usize },
}

impl Token {
    fn number(self) -> Option<i64> {
        match self {
            Token::Number { value, .. } => Some(value),
            _ => None,
        }
    }
    fn fixed(self, n: usize) -> Option<i64> {
        match self {
            Token::Number { value, len } if len == n => Some(value),
            _ => None,
        }
    }
    fn is(self, c: char) -> bool {
        self == Token::Symbol(c)
    }
    fn sign(self) -> Option<i64> {
        match self {
            Token::Symbol('+') => Some(1),
            Token::Symbol('-') => Some(-1),
            _ => None,
        }
    }
    fn is_z(self) -> bool {
        matches!(
            self,
            Token::Word {
                kind: Keyword::Zone,
                value: 0,
                len: 1
            }
        )
    }
}

/// Month names (any word starting with their first three letters), AM/PM, the time zones V8
/// knows by name, and ISO's `T`; `\0` marks a word shorter than three letters.
const KEYWORDS: [([u8; 3], Keyword, i64); 27] = [
    (*b"jan", Keyword::Month, 1),
    (*b"feb", Keyword::Month, 2),
    (*b"mar", Keyword::Month, 3),
    (*b"apr", Keyword::Month, 4),
    (*b"may", Keyword::Month, 5),
    (*b"jun", Keyword::Month, 6),
    (*b"jul", Keyword::Month, 7),
    (*b"aug", Keyword::Month, 8),
    (*b"sep", Keyword::Month, 9),
    (*b"oct", Keyword::Month, 10),
    (*b"nov", Keyword::Month, 11),
    (*b"dec", Keyword::Month, 12),
    (*b"am\0", Keyword::AmPm, 0),
    (*b"pm\0", Keyword::AmPm, 12),
    (*b"ut\0", Keyword::Zone, 0),
    (*b"utc", Keyword::Zone, 0),
    (*b"z\0\0", Keyword::Zone, 0),
    (*b"gmt", Keyword::Zone, 0),
    (*b"cdt", Keyword::Zone, -5),
    (*b"cst", Keyword::Zone, -6),
    (*b"edt", Keyword::Zone, -4),
    (*b"est", Keyword::Zone, -5),
    (*b"mdt", Keyword::Zone, -6),
    (*b"mst", Keyword::Zone, -7),
    (*b"pdt", Keyword::Zone, -7),
    (*b"pst", Keyword::Zone, -8),
    (*b"t\0\0", Keyword::TimeSeparator, 0),
];

fn lookup(prefix: [u32; 3], len: usize) -> (Keyword, i64) {
    KEYWORDS
        .iter()
        .find(|(word, kind, _)| {
            word.iter().zip(prefix).all(|(w, p)| u32::from(*w) == p) && (len <= 3 || *kind == Keyword::Month)
        })
        .map_or((Keyword::Invalid, 0), |(_, kind, value)| (*kind, *value))
}

/// The characters and the tokenizer over them (one token of lookahead, as V8's).
struct Scanner<'a> {
    chars: &'a [u16],
    at: usize,
    next: Token,
}

impl<'a> Scanner<'a> {
    fn new(chars: &'a [u16]) -> Self {
        let mut s = Self {
            chars,
            at: 0,
            next: Token::End,
        };
        s.next = s.scan();
        s
    }

    /// The character at hand; V8 reads the string as C text, so a NUL ends it.
    fn ch(&self) -> u32 {
        self.chars.get(self.at).map_or(0, |&c| u32::from(c))
    }

    fn digit(&self) -> bool {
        (u32::from(b'0')..=u32::from(b'9')).contains(&self.ch())
    }

    fn scan(&mut self) -> Token {
        let start = self.at;
        let c = self.ch();
        if c == 0 {
            return Token::End;
        }
        if self.digit() {
            let mut value = 0i64;
            while self.digit() {
                if self.at - start < MAX_DIGITS {
                    value = value * 10 + i64::from(self.ch() - u32::from(b'0'));
                }
                self.at += 1;
            }
            return Token::Number {
                value,
                len: self.at - start,
            };
        }
        if let Some(symbol) = char::from_u32(c).filter(|c| ":-+.)".contains(*c)) {
            self.at += 1;
            return Token::Symbol(symbol);
        }
        if c >= u32::from(b'A') && !space(c) {
            let mut prefix = [0u32; 3];
            let mut len = 0;
            while self.ch() >= u32::from(b'A') && !space(self.ch()) {
                if len < 3 {
                    let c = self.ch();
                    prefix[len] = if (u32::from(b'A')..=u32::from(b'Z')).contains(&c) {
                        c | 0x20
                    } else {
                        c
                    };
                }
                len += 1;
                self.at += 1;
            }
            let (kind, value) = lookup(prefix, len);
            return Token::Word { kind, value, len };
        }
        if space(c) {
            self.at += 1;
            return Token::Space;
        }
        if c == u32::from(b'(') {
            let mut balance = 0;
            loop {
                match self.ch() {
                    0x29 => balance -= 1,
                    0x28 => balance += 1,
                    _ => {}
                }
                self.at += 1;
                if balance <= 0 || self.ch() == 0 {
                    break;
                }
            }
            return Token::Unknown;
        }
        self.at += 1;
        Token::Unknown
    }

    fn next(&mut self) -> Token {
        let token = self.next;
        self.next = self.scan();
        token
    }

    fn peek(&self) -> Token {
        self.next
    }

    fn skip(&mut self, symbol: char) -> bool {
        if self.next.is(symbol) {
            self.next = self.scan();
            true
        } else {
            false
        }
    }
}

/// JavaScript's white space and line terminators.
fn space(c: u32) -> bool {
    matches!(
        c,
        0x09..=0x0d | 0x20 | 0xa0 | 0x1680 | 0x2000..=0x200a | 0x2028 | 0x2029 | 0x202f | 0x205f | 0x3000 | 0xfeff
    )
}

fn between(x: i64, lo: i64, hi: i64) -> bool {
    (lo..=hi).contains(&x)
}
fn is_month(x: i64) -> bool {
    between(x, 1, 12)
}
fn is_day(x: i64) -> bool {
    between(x, 1, 31)
}
fn is_hour(x: i64) -> bool {
    between(x, 0, 23)
}
fn is_minute(x: i64) -> bool {
    between(x, 0, 59)
}

#[derive(Default)]
struct Day {
    comp: Vec<i64>,
    named_month: Option<i64>,
    iso: bool,
}

impl Day {
    fn add(&mut self, n: i64) -> bool {
        self.comp.len() < 3 && {
            self.comp.push(n);
            true
        }
    }

    /// Year, month (1-12) and day.
    fn write(&self) -> Option<(i64, i64, i64)> {
        if self.comp.is_empty() {
            return None;
        }
        let mut c = self.comp.clone();
        // Day and month default to 1; V8 pads first, so every form below sees three.
        c.resize(3, 1);
        let (mut year, month, day) = match self.named_month {
            None if self.iso || !is_day(c[0]) => (c[0], c[1], c[2]),
            None => (c[2], c[0], c[1]),
            Some(month) if !is_day(c[0]) => (c[0], month, c[1]),
            Some(month) => (c[1], month, c[0]),
        };
        if !self.iso {
            if between(year, 0, 49) {
                year += 2000;
            } else if between(year, 50, 99) {
                year += 1900;
            }
        }
        (is_month(month) && is_day(day)).then_some((year, month, day))
    }
}

#[derive(Default)]
struct Time {
    comp: Vec<i64>,
    hour_offset: Option<i64>,
}

impl Time {
    fn is_empty(&self) -> bool {
        self.comp.is_empty()
    }
    fn expecting(&self, n: i64) -> bool {
        match self.comp.len() {
            1 | 2 => is_minute(n),
            3 => between(n, 0, 999),
            _ => false,
        }
    }
    fn add(&mut self, n: i64) -> bool {
        self.comp.len() < 4 && {
            self.comp.push(n);
            true
        }
    }
    fn add_final(&mut self, n: i64) -> bool {
        self.add(n) && {
            self.comp.resize(4, 0);
            true
        }
    }

    /// Hour, minute, second and millisecond.
    fn write(&self) -> Option<[i64; 4]> {
        let mut c = self.comp.clone();
        c.resize(4, 0);
        let [mut hour, minute, second, ms] = [c[0], c[1], c[2], c[3]];
        if let Some(offset) = self.hour_offset {
            if !between(hour, 0, 12) {
                return None;
            }
            hour = hour % 12 + offset;
        }
        let valid = is_hour(hour) && is_minute(minute) && is_minute(second) && between(ms, 0, 999);
        (valid || (hour == 24 && minute == 0 && second == 0 && ms == 0)).then_some([hour, minute, second, ms])
    }
}

struct Zone {
    sign: i64,
    hour: i64,
    minute: i64,
}

impl Default for Zone {
    fn default() -> Self {
        Self {
            sign: NONE,
            hour: NONE,
            minute: NONE,
        }
    }
}

impl Zone {
    fn set(&mut self, hours: i64) {
        self.sign = if hours < 0 { -1 } else { 1 };
        self.hour = hours.abs();
        self.minute = 0;
    }
    fn expecting(&self, n: i64) -> bool {
        self.hour != NONE && self.minute == NONE && is_minute(n)
    }
    fn is_utc(&self) -> bool {
        self.hour == 0 && self.minute == 0
    }
    fn is_empty(&self) -> bool {
        self.hour == NONE
    }

    /// The offset from UTC in seconds, if the text named one.
    fn write(&self) -> Option<Option<i64>> {
        if self.sign == NONE {
            return Some(None);
        }
        let hour = if self.hour == NONE { 0 } else { self.hour };
        let minute = if self.minute == NONE { 0 } else { self.minute };
        let total = hour.checked_mul(3600)?.checked_add(minute.checked_mul(60)?)?;
        (total <= i64::from(i32::MAX >> 1)).then_some(Some(total * self.sign))
    }
}

/// The first three significant digits of a fraction, as milliseconds.
fn milliseconds(token: Token) -> i64 {
    let Token::Number { value, len } = token else {
        return 0;
    };
    match len {
        1 => value * 100,
        2 => value * 10,
        3 => value,
        _ => value / 10i64.pow(len.min(MAX_DIGITS) as u32 - 3),
    }
}

/// V8's `ParseES5DateTime`: reads as much of the ISO format as is there. `Some(End)` when it
/// read it all, `None` when the text cannot be a date, else the token the legacy rules go on
/// with.
fn iso(s: &mut Scanner, day: &mut Day, time: &mut Time, tz: &mut Zone) -> Option<Token> {
    if let Some(sign) = s.peek().sign() {
        let sign_token = s.next();
        let Some(year) = s.peek().fixed(6) else {
            return Some(sign_token);
        };
        if sign < 0 && year == 0 {
            return Some(sign_token);
        }
        s.next();
        day.add(sign * year);
    } else if let Some(year) = s.peek().fixed(4) {
        s.next();
        day.add(year);
    } else {
        return Some(s.next());
    }
    if s.skip('-') {
        match s.peek().fixed(2) {
            Some(m) if is_month(m) => day.add(s.next().number().unwrap_or(0)),
            _ => return Some(s.next()),
        };
        if s.skip('-') {
            match s.peek().fixed(2) {
                Some(d) if is_day(d) => day.add(s.next().number().unwrap_or(0)),
                _ => return Some(s.next()),
            };
        }
    }
    if !matches!(
        s.peek(),
        Token::Word {
            kind: Keyword::TimeSeparator,
            ..
        }
    ) {
        if s.peek() != Token::End {
            return Some(s.next());
        }
    } else {
        s.next();
        let hour = s.peek().fixed(2).filter(|h| between(*h, 0, 24))?;
        let is_24 = hour == 24;
        time.add(s.next().number().unwrap_or(0));
        if !s.skip(':') {
            return None;
        }
        s.peek()
            .fixed(2)
            .filter(|m| is_minute(*m) && !(is_24 && *m > 0))?;
        time.add(s.next().number().unwrap_or(0));
        if s.skip(':') {
            s.peek()
                .fixed(2)
                .filter(|m| is_minute(*m) && !(is_24 && *m > 0))?;
            time.add(s.next().number().unwrap_or(0));
            if s.skip('.') {
                s.peek().number().filter(|n| !(is_24 && *n > 0))?;
                time.add(milliseconds(s.next()));
            }
        }
        if s.peek().is_z() {
            s.next();
            tz.set(0);
        } else if let Some(sign) = s.peek().sign() {
            s.next();
            tz.sign = sign;
            if let Some(hhmm) = s.peek().fixed(4) {
                s.next();
                let (hour, minute) = (hhmm / 100, hhmm % 100);
                if !is_hour(hour) || !is_minute(minute) {
                    return None;
                }
                tz.hour = hour;
                tz.minute = minute;
            } else {
                tz.hour = s.peek().fixed(2).filter(|h| is_hour(*h))?;
                s.next();
                if !s.skip(':') {
                    return None;
                }
                tz.minute = s.peek().fixed(2).filter(|m| is_minute(*m))?;
                s.next();
            }
        }
        if s.peek() != Token::End {
            return None;
        }
    }
    // Date-only forms are UTC; date-time forms without an offset are local time.
    if tz.is_empty() && time.is_empty() {
        tz.set(0);
    }
    day.iso = true;
    Some(Token::End)
}

/// What a date string says: year, month (1-12), day, hour, minute, second, millisecond, and
/// the offset from UTC in seconds if it names one. `None` where V8 reads no date.
fn fields(text: &[u16]) -> Option<([i64; 7], Option<i64>)> {
    let mut s = Scanner::new(text);
    let (mut day, mut time, mut tz) = (Day::default(), Time::default(), Zone::default());
    let mut token = iso(&mut s, &mut day, &mut time, &mut tz)?;
    let mut has_number = !day.comp.is_empty();
    while token != Token::End {
        match token {
            Token::Number { value: n, .. } => {
                has_number = true;
                if s.skip(':') {
                    if s.skip(':') {
                        if !time.is_empty() {
                            return None;
                        }
                        time.add(n);
                        time.add(0);
                    } else {
                        if !time.add(n) {
                            return None;
                        }
                        if s.peek().is('.') {
                            s.next();
                        }
                    }
                } else if s.skip('.') && time.expecting(n) {
                    // (V8 skips the '.' even when the number is not a time's.)
                    time.add(n);
                    s.peek().number()?;
                    time.add_final(milliseconds(s.next()));
                } else if tz.expecting(n) {
                    tz.minute = n;
                } else if time.expecting(n) {
                    time.add_final(n);
                    let peek = s.peek();
                    if !matches!(peek, Token::End | Token::Space) && !peek.is_z() && peek.sign().is_none() {
                        return None;
                    }
                } else {
                    if !day.add(n) {
                        return None;
                    }
                    s.skip('-');
                }
            }
            Token::Word { kind, value, .. } => {
                if kind == Keyword::AmPm && !time.is_empty() {
                    time.hour_offset = Some(value);
                } else if kind == Keyword::Month {
                    day.named_month = Some(value);
                    s.skip('-');
                } else if kind == Keyword::Zone && has_number {
                    tz.set(value);
                } else {
                    // A word that means nothing is allowed only before the first number, and
                    // apart from it.
                    if has_number || s.peek().number().is_some() {
                        return None;
                    }
                }
            }
            Token::Symbol(c @ ('+' | '-')) if tz.is_utc() || !time.is_empty() => {
                tz.sign = if c == '+' { 1 } else { -1 };
                let (mut n, mut len) = (0, 0);
                if let Token::Number { value, len: l } = s.peek() {
                    s.next();
                    (n, len) = (value, l);
                }
                has_number = true;
                if s.peek().is(':') {
                    tz.hour = n;
                    tz.minute = NONE;
                } else if len == 1 || len == 2 {
                    tz.hour = n;
                    tz.minute = 0;
                } else if len == 3 || len == 4 {
                    tz.hour = n / 100;
                    tz.minute = n % 100;
                } else {
                    return None;
                }
            }
            Token::Symbol('+' | '-' | ')') if has_number => return None,
            _ => {}
        }
        token = s.next();
    }
    let (year, month, date) = day.write()?;
    let [hour, minute, second, ms] = time.write()?;
    let offset = tz.write()?;
    Some(([year, month, date, hour, minute, second, ms], offset))
}

/// Days from 1970-01-01 to the first of `month` (1-12) in `year`.
fn days_to_month(year: i64, month: i64) -> i64 {
    // Howard Hinnant's days_from_civil.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The time value V8 gives `text` (milliseconds since the epoch), or `None` where it gives
/// NaN. `local_offset` is the local time zone's offset from UTC in seconds at a given time.
pub fn parse(text: &[u16], local_offset: impl Fn(i64) -> i64) -> Option<f64> {
    let ([year, month, day, hour, minute, second, ms], offset) = fields(text)?;
    // Years beyond any valid time are NaN anyway; keep the arithmetic in range.
    if year.abs() > 1_000_000 {
        return None;
    }
    let days = days_to_month(year, month) + day - 1;
    let time = ((hour * 60 + minute) * 60 + second) * 1000 + ms;
    let mut date = (days * 86_400_000 + time) as f64;
    match offset {
        Some(seconds) => {
            date -= (seconds * 1000) as f64;
            if date.abs() > MAX_BEFORE_UTC {
                return None;
            }
        }
        None => {
            if date.abs() > MAX_BEFORE_UTC {
                return None;
            }
            date -= (local_offset(date as i64 / 1000) * 1000) as f64;
        }
    }
    (date.abs() <= MAX_TIME).then(|| date.trunc())
}

#[cfg(test)]
mod tests {
    use super::{days_to_month, parse};

    /// What V8 gives `text`, as the milliseconds of an ISO text like Node's `toISOString()`.
    fn ms(text: &str) -> Option<f64> {
        let units: Vec<u16> = text.encode_utf16().collect();
        parse(&units, |_| 0)
    }

    /// The milliseconds of `YYYY-MM-DDTHH:MM:SS.mmmZ` (or `+YYYYYY-...`).
    fn iso(text: &str) -> Option<f64> {
        if text == "NaN" {
            return None;
        }
        let rest = text.trim_start_matches('+');
        let n: Vec<i64> = rest
            .split(|c: char| !c.is_ascii_digit())
            .filter(|p| !p.is_empty())
            .map(|p| p.parse().expect("number"))
            .collect();
        let days = days_to_month(n[0], n[1]) + n[2] - 1;
        Some((days * 86_400_000 + ((n[3] * 60 + n[4]) * 60 + n[5]) * 1000 + n[6]) as f64)
    }

    #[test]
    fn reads_what_v8_reads() {
        // Each expectation is Node 20's `new Date(text).toISOString()` with TZ=UTC ("NaN" for
        // an invalid date).
        for (text, expected) in [
            ("2024-03-10 10:00", "2024-03-10T10:00:00.000Z"),
            ("2024-03-10 10:00:05.123", "2024-03-10T10:00:05.123Z"),
            ("2024/03/10 10:00", "2024-03-10T10:00:00.000Z"),
            ("03/10/2024", "2024-03-10T00:00:00.000Z"),
            ("3/10/2024 10:00 AM", "2024-03-10T10:00:00.000Z"),
            ("3/10/2024 12:30 AM", "2024-03-10T00:30:00.000Z"),
            ("March 7, 2024", "2024-03-07T00:00:00.000Z"),
            ("7 March 2024", "2024-03-07T00:00:00.000Z"),
            ("Thu Mar 07 2024", "2024-03-07T00:00:00.000Z"),
            ("Mar 7, 2024 10:00 PM", "2024-03-07T22:00:00.000Z"),
            (
                "Thu Mar 07 2024 10:00:00 GMT+0100 (Central European Standard Time)",
                "2024-03-07T09:00:00.000Z",
            ),
            ("2024-03-07T10:00:00+0100", "2024-03-07T09:00:00.000Z"),
            ("2024-03-07T10:00:00.123456Z", "2024-03-07T10:00:00.123Z"),
            ("2024-3-7", "2024-03-07T00:00:00.000Z"),
            ("Thu, 07 Mar 2024 10:00:00 +0000", "2024-03-07T10:00:00.000Z"),
            ("07 Mar 2024 10:00 UTC", "2024-03-07T10:00:00.000Z"),
            ("2024-03-07 10:00:00 UTC", "2024-03-07T10:00:00.000Z"),
            ("2024-03-07 10:00:00Z", "2024-03-07T10:00:00.000Z"),
            ("12/31/1999 23:59:59", "1999-12-31T23:59:59.000Z"),
            ("1 January 2000 00:00 GMT", "2000-01-01T00:00:00.000Z"),
            ("January 2000", "2000-01-01T00:00:00.000Z"),
            ("March 7", "2001-03-07T00:00:00.000Z"),
            ("Mon, 25 Dec 95 13:30:00 EST", "1995-12-25T18:30:00.000Z"),
            ("2024-03-07T10:00:00-05:30", "2024-03-07T15:30:00.000Z"),
            ("2024-03-07", "2024-03-07T00:00:00.000Z"),
            ("2024-13-01", "NaN"),
            ("2024-02-30 10:00", "2024-03-01T10:00:00.000Z"),
            ("2024-03-07T25:00", "NaN"),
            ("3/10/2024 13:00 PM", "NaN"),
            ("foo", "NaN"),
            ("", "NaN"),
            ("2024 foo", "NaN"),
            ("foo2024", "NaN"),
            ("+275760-09-13T00:00:00Z", "+275760-09-13T00:00:00.000Z"),
            ("+275760-09-13T00:00:00.001Z", "NaN"),
        ] {
            assert_eq!(ms(text), iso(expected), "{text:?}");
        }
    }
}
