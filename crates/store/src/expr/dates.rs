//! Date expressions: the parts (`$year` ... `$isoWeek`), `$dateToString`, `$dateFromString`,
//! `$dateFromParts`, `$dateToParts`, `$dateAdd`, `$dateSubtract`, `$dateDiff` and `$dateTrunc`
//! (bins counted from 2000-01-01, as MongoDB counts them), on the proleptic Gregorian calendar in UTC, a fixed offset (`"+05:30"`) or a
//! named IANA zone (`"Europe/Paris"`, with its daylight saving rules, from `chrono-tz`).

use bson::{Bson, DateTime, Document};

use crate::{
    error::{StoreError, bad},
    order::as_f64,
};

use super::{Outcome, Scope, convert::type_name, object};

const DAY_MS: i64 = 86_400_000;

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month, day) of a day number since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

fn days_in_month(y: i64, m: i64) -> i64 {
    days_from_civil(y + (m / 12), m % 12 + 1, 1) - days_from_civil(y, m, 1)
}

/// A moment broken into its calendar parts, in some offset.
struct Parts {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    milli: i64,
    /// Days since 1970-01-01 (a Thursday).
    days: i64,
}

impl Parts {
    fn of(local_ms: i64) -> Self {
        let days = local_ms.div_euclid(DAY_MS);
        let ms = local_ms.rem_euclid(DAY_MS);
        let (year, month, day) = civil_from_days(days);
        Parts {
            year,
            month,
            day,
            hour: ms / 3_600_000,
            minute: ms / 60_000 % 60,
            second: ms / 1000 % 60,
            milli: ms % 1000,
            days,
        }
    }

    /// 1 (Sunday) to 7 (Saturday).
    fn day_of_week(&self) -> i64 {
        (self.days + 4).rem_euclid(7) + 1
    }

    /// 1 (Monday) to 7 (Sunday).
    fn iso_day_of_week(&self) -> i64 {
        (self.days + 3).rem_euclid(7) + 1
    }

    fn day_of_year(&self) -> i64 {
        self.days - days_from_civil(self.year, 1, 1) + 1
    }

    /// Weeks starting on Sundays; days before the year's first Sunday are week 0.
    fn week(&self) -> i64 {
        (self.day_of_year() - 1 + 7 - (self.day_of_week() - 1)) / 7
    }

    /// The ISO 8601 week-numbering year and week.
    fn iso_week(&self) -> (i64, i64) {
        let thursday = self.days - (self.iso_day_of_week() - 1) + 3;
        let (year, _, _) = civil_from_days(thursday);
        (year, (thursday - days_from_civil(year, 1, 1)) / 7 + 1)
    }
}

/// A time zone: a fixed offset east of UTC in milliseconds, or a named IANA zone.
#[derive(Clone, Copy)]
enum Zone {
    Fixed(i64),
    Named(chrono_tz::Tz),
}

impl Zone {
    /// The zone's offset east of UTC, in milliseconds, at the instant `ms`.
    fn offset_at(self, ms: i64) -> i64 {
        use chrono::{Offset, TimeZone};
        match self {
            Zone::Fixed(o) => o,
            Zone::Named(tz) => chrono::DateTime::from_timestamp_millis(ms).map_or(0, |t| {
                i64::from(
                    tz.offset_from_utc_datetime(&t.naive_utc())
                        .fix()
                        .local_minus_utc(),
                ) * 1000
            }),
        }
    }

    /// The wall-clock time of the instant `ms` in this zone, as milliseconds since 1970.
    fn local(self, ms: i64) -> i64 {
        ms.saturating_add(self.offset_at(ms))
    }

    /// The instant whose wall-clock time here is `local`: the earlier one when the clock
    /// repeats, and by the offset before the change when the clock skips it.
    fn utc(self, local: i64) -> i64 {
        use chrono::{LocalResult, Offset, TimeZone};
        let Zone::Named(tz) = self else {
            return local.saturating_sub(self.offset_at(local));
        };
        let Some(naive) = chrono::DateTime::from_timestamp_millis(local).map(|t| t.naive_utc()) else {
            return local;
        };
        let offset = match tz.offset_from_local_datetime(&naive) {
            LocalResult::Single(o) | LocalResult::Ambiguous(o, _) => {
                i64::from(o.fix().local_minus_utc()) * 1000
            }
            LocalResult::None => self.offset_at(local.saturating_sub(DAY_MS)),
        };
        local.saturating_sub(offset)
    }
}

/// The zone named by a `timezone` argument: `"UTC"`, an offset (`"+05:30"`, `"-0800"`, `"+03"`)
/// or an IANA name (`"America/New_York"`).
fn zone(tz: Option<Bson>) -> Result<Zone, StoreError> {
    let text = match tz {
        None | Some(Bson::Null) => return Ok(Zone::Fixed(0)),
        Some(Bson::String(t)) => t,
        other => {
            return Err(bad(format!(
                "timezone must be a string, found: {}",
                type_name(&other)
            )));
        }
    };
    if matches!(text.as_str(), "UTC" | "GMT" | "Z") {
        return Ok(Zone::Fixed(0));
    }
    if let Some(o) = offset(&text) {
        return Ok(Zone::Fixed(o));
    }
    text.parse::<chrono_tz::Tz>()
        .map(Zone::Named)
        .map_err(|_| bad(format!("unrecognized time zone identifier: \"{text}\"")))
}

/// `+hh:mm`, `+hhmm` or `+hh` (or `-`) in milliseconds.
fn offset(text: &str) -> Option<i64> {
    let sign = match text.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = text[1..].chars().filter(|c| *c != ':').collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) || !matches!(digits.len(), 2 | 4) || text[1..].len() > 5 {
        return None;
    }
    let h: i64 = digits[..2].parse().ok()?;
    let m: i64 = if digits.len() == 4 {
        digits[2..].parse().ok()?
    } else {
        0
    };
    (h <= 23 && m <= 59).then_some(sign * (h * 3_600_000 + m * 60_000))
}

/// The moment of a date-like value: a date, a timestamp or an ObjectId.
fn moment(v: Option<Bson>, op: &str) -> Result<Option<i64>, StoreError> {
    match v {
        None | Some(Bson::Null) | Some(Bson::Undefined) => Ok(None),
        Some(Bson::DateTime(d)) => Ok(Some(d.timestamp_millis())),
        Some(Bson::Timestamp(t)) => Ok(Some(i64::from(t.time) * 1000)),
        Some(Bson::ObjectId(o)) => Ok(Some(o.timestamp().timestamp_millis())),
        other => Err(bad(format!(
            "{op} can't convert from BSON type {} to Date",
            type_name(&other)
        ))),
    }
}

/// `date` as MongoDB writes it by default: `2024-01-31T09:05:00.000Z`.
pub(crate) fn iso(date: DateTime) -> String {
    format(date.timestamp_millis(), Zone::Fixed(0), "%Y-%m-%dT%H:%M:%S.%LZ").unwrap_or_default()
}

/// Evaluates the date operator `op`, if it is one.
pub(super) fn op(s: &mut Scope<'_>, op: &str, spec: &Bson) -> Outcome {
    let v = match op {
        "$year" | "$month" | "$dayOfMonth" | "$hour" | "$minute" | "$second" | "$millisecond"
        | "$dayOfWeek" | "$dayOfYear" | "$week" | "$isoWeek" | "$isoWeekYear" | "$isoDayOfWeek" => {
            part(s, op, spec)?
        }
        "$dateToString" => to_string(s, spec)?,
        "$dateFromString" => from_string(s, spec)?,
        "$dateFromParts" => from_parts(s, spec)?,
        "$dateToParts" => to_parts(s, spec)?,
        "$dateAdd" | "$dateSubtract" => add(s, op, spec)?,
        "$dateDiff" => diff(s, spec)?,
        "$dateTrunc" => trunc(s, spec)?,
        _ => return Ok(None),
    };
    Ok(Some(Some(v)))
}

fn part(s: &mut Scope<'_>, op: &str, spec: &Bson) -> Result<Bson, StoreError> {
    let (date, tz) = match spec {
        Bson::Document(d) if d.contains_key("date") => {
            let d = object(op, spec, &["date", "timezone"])?;
            (s.arg(d, "date")?, s.arg(d, "timezone")?)
        }
        Bson::Array(a) if a.len() == 1 => (s.eval(&a[0])?, None),
        other => (s.eval(other)?, None),
    };
    let tz = zone(tz)?;
    let Some(ms) = moment(date, op)? else {
        return Ok(Bson::Null);
    };
    let p = Parts::of(tz.local(ms));
    Ok(Bson::Int32(match op {
        "$year" => p.year,
        "$month" => p.month,
        "$dayOfMonth" => p.day,
        "$hour" => p.hour,
        "$minute" => p.minute,
        "$second" => p.second,
        "$millisecond" => p.milli,
        "$dayOfWeek" => p.day_of_week(),
        "$dayOfYear" => p.day_of_year(),
        "$week" => p.week(),
        "$isoWeek" => p.iso_week().1,
        "$isoWeekYear" => p.iso_week().0,
        _ => p.iso_day_of_week(),
    } as i32))
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The instant `ms` written in `fmt`, in the zone `tz`.
fn format(ms: i64, tz: Zone, fmt: &str) -> Result<String, StoreError> {
    let offset = tz.offset_at(ms);
    let p = Parts::of(ms.saturating_add(offset));
    let mut out = String::with_capacity(fmt.len() + 16);
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let (iso_year, iso_week) = p.iso_week();
        let minutes = offset / 60_000;
        match chars.next() {
            Some('Y') => out.push_str(&format!("{:04}", p.year)),
            Some('m') => out.push_str(&format!("{:02}", p.month)),
            Some('d') => out.push_str(&format!("{:02}", p.day)),
            Some('H') => out.push_str(&format!("{:02}", p.hour)),
            Some('M') => out.push_str(&format!("{:02}", p.minute)),
            Some('S') => out.push_str(&format!("{:02}", p.second)),
            Some('L') => out.push_str(&format!("{:03}", p.milli)),
            Some('j') => out.push_str(&format!("{:03}", p.day_of_year())),
            Some('w') => out.push_str(&p.day_of_week().to_string()),
            Some('u') => out.push_str(&p.iso_day_of_week().to_string()),
            Some('U') => out.push_str(&format!("{:02}", p.week())),
            Some('V') => out.push_str(&format!("{iso_week:02}")),
            Some('G') => out.push_str(&format!("{iso_year:04}")),
            Some('b') => out.push_str(&MONTHS[p.month as usize - 1][..3]),
            Some('B') => out.push_str(MONTHS[p.month as usize - 1]),
            Some('z') => {
                let sign = if minutes < 0 { '-' } else { '+' };
                out.push_str(&format!(
                    "{sign}{:02}{:02}",
                    minutes.abs() / 60,
                    minutes.abs() % 60
                ));
            }
            Some('Z') => out.push_str(&format!(
                "{}{}",
                if minutes < 0 { "-" } else { "+" },
                minutes.abs()
            )),
            Some('%') => out.push('%'),
            other => {
                return Err(bad(format!(
                    "Invalid format character '%{}' in format string",
                    other.map(String::from).unwrap_or_default()
                )));
            }
        }
    }
    Ok(out)
}

fn to_string(s: &mut Scope<'_>, spec: &Bson) -> Result<Bson, StoreError> {
    let spec = object("$dateToString", spec, &["date", "format", "timezone", "onNull"])?;
    let tz_given = spec.contains_key("timezone");
    let tz = zone(s.arg(spec, "timezone")?)?;
    let fmt = match s.arg(spec, "format")? {
        Some(Bson::String(f)) => f,
        None if tz_given => "%Y-%m-%dT%H:%M:%S.%L".into(),
        None => "%Y-%m-%dT%H:%M:%S.%LZ".into(),
        Some(other) => {
            return Err(bad(format!(
                "$dateToString requires that 'format' be a string, found: {other}"
            )));
        }
    };
    match moment(s.arg(spec, "date")?, "$dateToString")? {
        Some(ms) => Ok(Bson::String(format(ms, tz, &fmt)?)),
        None => Ok(match spec.get("onNull") {
            Some(e) => s.eval(e)?.unwrap_or(Bson::Null),
            None => Bson::Null,
        }),
    }
}

/// An ISO 8601 date: `2024-01-31`, then optionally `T` or a space, `09:05`, `:07`, `.123`, and
/// `Z` or an offset.
pub(crate) fn parse(text: &str) -> Option<DateTime> {
    parse_with(text, "%Y-%m-%d", true)
}

/// Reads `text` by `fmt` (`%Y %m %d %H %M %S %L %z %%`, and literal characters); `iso` also
/// takes an optional ISO 8601 time and offset after the date.
fn parse_with(text: &str, fmt: &str, iso: bool) -> Option<DateTime> {
    let (mut y, mut mo, mut d, mut h, mut mi, mut sec, mut ms, mut tz) = (1970, 1, 1, 0, 0, 0, 0, 0);
    let mut rest = text;
    let take = |rest: &mut &str, n: usize| -> Option<i64> {
        let len = rest.chars().take(n).take_while(char::is_ascii_digit).count();
        if len == 0 {
            return None;
        }
        let v = rest[..len].parse().ok();
        *rest = &rest[len..];
        v
    };
    let mut f = fmt.chars();
    while let Some(c) = f.next() {
        if c != '%' {
            rest = rest.strip_prefix(c)?;
            continue;
        }
        match f.next()? {
            'Y' => y = take(&mut rest, 4)?,
            'm' => mo = take(&mut rest, 2)?,
            'd' => d = take(&mut rest, 2)?,
            'H' => h = take(&mut rest, 2)?,
            'M' => mi = take(&mut rest, 2)?,
            'S' => sec = take(&mut rest, 2)?,
            'L' => ms = take(&mut rest, 3)?,
            'z' => {
                let len = rest
                    .find(|c: char| !(c.is_ascii_digit() || "+-:".contains(c)))
                    .unwrap_or(rest.len());
                tz = offset(&rest[..len])?;
                rest = &rest[len..];
            }
            '%' => rest = rest.strip_prefix('%')?,
            _ => return None,
        }
    }
    if iso && !rest.is_empty() {
        rest = rest.strip_prefix(['T', ' '])?;
        h = take(&mut rest, 2)?;
        rest = rest.strip_prefix(':')?;
        mi = take(&mut rest, 2)?;
        if let Some(r) = rest.strip_prefix(':') {
            rest = r;
            sec = take(&mut rest, 2)?;
            if let Some(r) = rest.strip_prefix('.') {
                rest = r;
                let digits = rest.chars().take_while(char::is_ascii_digit).count();
                let frac: String = rest[..digits].chars().chain("000".chars()).take(3).collect();
                ms = frac.parse().ok()?;
                rest = &rest[digits..];
            }
        }
        match rest {
            "" | "Z" => {}
            zone => tz = offset(zone)?,
        }
        rest = "";
    }
    let valid = rest.is_empty()
        && (1..=12).contains(&mo)
        && (1..=days_in_month(y, mo)).contains(&d)
        && h <= 23
        && mi <= 59
        && sec <= 59;
    valid.then(|| {
        DateTime::from_millis(
            days_from_civil(y, mo, d) * DAY_MS + h * 3_600_000 + mi * 60_000 + sec * 1000 + ms - tz,
        )
    })
}

fn from_string(s: &mut Scope<'_>, spec: &Bson) -> Result<Bson, StoreError> {
    let spec = object(
        "$dateFromString",
        spec,
        &["dateString", "format", "timezone", "onError", "onNull"],
    )?;
    let tz = zone(s.arg(spec, "timezone")?)?;
    let fmt = match s.arg(spec, "format")? {
        None | Some(Bson::Null) => None,
        Some(Bson::String(f)) => Some(f),
        Some(other) => {
            return Err(bad(format!(
                "$dateFromString requires that 'format' be a string, found: {other}"
            )));
        }
    };
    let text = match s.arg(spec, "dateString")? {
        None | Some(Bson::Null) => {
            return Ok(match spec.get("onNull") {
                Some(e) => s.eval(e)?.unwrap_or(Bson::Null),
                None => Bson::Null,
            });
        }
        Some(Bson::String(t)) => t,
        Some(other) => {
            return Err(StoreError::Conversion(format!(
                "$dateFromString requires that 'dateString' be a string, found: {}",
                type_name(&Some(other))
            )));
        }
    };
    let zoned = text.ends_with('Z') || text.get(10..).is_some_and(|t| t.contains(['+', '-']));
    let parsed = match &fmt {
        Some(f) => parse_with(&text, f, false),
        None => parse(&text),
    };
    // A string without its own offset is read in `timezone`.
    let own_offset = zoned || fmt.as_deref().is_some_and(|f| f.contains("%z"));
    match parsed {
        Some(d) if own_offset => Ok(Bson::DateTime(d)),
        Some(d) => Ok(Bson::DateTime(DateTime::from_millis(
            tz.utc(d.timestamp_millis()),
        ))),
        None => match spec.get("onError") {
            Some(e) => Ok(s.eval(e)?.unwrap_or(Bson::Null)),
            None => Err(StoreError::Conversion(format!(
                "Error parsing date string '{text}'"
            ))),
        },
    }
}

/// A whole number field of a date operator's object, `default` when absent.
fn whole(s: &mut Scope<'_>, spec: &Document, key: &str, default: i64) -> Result<Option<i64>, StoreError> {
    match s.arg(spec, key)? {
        None if !spec.contains_key(key) => Ok(Some(default)),
        None | Some(Bson::Null) => Ok(None),
        Some(v) => match as_f64(&v) {
            Some(n) if n.fract() == 0.0 && n.abs() < 1e15 => Ok(Some(n as i64)),
            _ => Err(bad(format!(
                "'{key}' must evaluate to a whole number, found: {}",
                type_name(&Some(v))
            ))),
        },
    }
}

fn from_parts(s: &mut Scope<'_>, spec: &Bson) -> Result<Bson, StoreError> {
    let fields = [
        "year",
        "month",
        "day",
        "hour",
        "minute",
        "second",
        "millisecond",
        "timezone",
    ];
    if let Bson::Document(d) = spec
        && d.contains_key("isoWeekYear")
    {
        return Err(StoreError::Unsupported("$dateFromParts with isoWeekYear".into()));
    }
    let spec = object("$dateFromParts", spec, &fields)?;
    if !spec.contains_key("year") {
        return Err(bad("$dateFromParts requires either 'year' or 'isoWeekYear'"));
    }
    let mut v = [0i64; 7];
    for (i, (key, default)) in fields[..7].iter().zip([1970, 1, 1, 0, 0, 0, 0]).enumerate() {
        match whole(s, spec, key, default)? {
            Some(n) => v[i] = n,
            None => return Ok(Bson::Null),
        }
    }
    let tz = zone(s.arg(spec, "timezone")?)?;
    let months = v[0] * 12 + v[1] - 1;
    let days = days_from_civil(months.div_euclid(12), months.rem_euclid(12) + 1, 1) + v[2] - 1;
    let ms = i128::from(days) * i128::from(DAY_MS)
        + i128::from(v[3]) * 3_600_000
        + i128::from(v[4]) * 60_000
        + i128::from(v[5]) * 1000
        + i128::from(v[6]);
    i64::try_from(ms)
        .map(|local| Bson::DateTime(DateTime::from_millis(tz.utc(local))))
        .map_err(|_| bad("$dateFromParts: the date is out of range"))
}

fn to_parts(s: &mut Scope<'_>, spec: &Bson) -> Result<Bson, StoreError> {
    let spec = object("$dateToParts", spec, &["date", "timezone", "iso8601"])?;
    let tz = zone(s.arg(spec, "timezone")?)?;
    let iso = crate::expr::truthy(&s.arg(spec, "iso8601")?);
    let Some(ms) = moment(s.arg(spec, "date")?, "$dateToParts")? else {
        return Ok(Bson::Null);
    };
    let p = Parts::of(tz.local(ms));
    let mut out = if iso {
        let (y, w) = p.iso_week();
        bson::doc! { "isoWeekYear": y as i32, "isoWeek": w as i32, "isoDayOfWeek": p.iso_day_of_week() as i32 }
    } else {
        bson::doc! { "year": p.year as i32, "month": p.month as i32, "day": p.day as i32 }
    };
    for (k, v) in [
        ("hour", p.hour),
        ("minute", p.minute),
        ("second", p.second),
        ("millisecond", p.milli),
    ] {
        out.insert(k, v as i32);
    }
    Ok(Bson::Document(out))
}

/// A unit's fixed length in milliseconds; `None` for the calendar units.
fn unit_ms(unit: &str) -> Result<Option<i64>, StoreError> {
    Ok(match unit {
        "millisecond" => Some(1),
        "second" => Some(1000),
        "minute" => Some(60_000),
        "hour" => Some(3_600_000),
        "day" => Some(DAY_MS),
        "week" => Some(7 * DAY_MS),
        "month" | "quarter" | "year" => None,
        other => return Err(bad(format!("unknown time unit value: {other}"))),
    })
}

fn unit(s: &mut Scope<'_>, spec: &Document) -> Result<String, StoreError> {
    match s.arg(spec, "unit")? {
        Some(Bson::String(u)) => Ok(u),
        other => Err(bad(format!(
            "'unit' must be a string naming a time unit, found: {}",
            type_name(&other)
        ))),
    }
}

/// `ms` moved by `months` calendar months in the zone `tz`, the day kept or cut to the month's end.
fn add_months(ms: i64, tz: Zone, months: i64) -> Option<i64> {
    let local = tz.local(ms);
    let p = Parts::of(local);
    let total = (p.year * 12 + p.month - 1).checked_add(months)?;
    let (y, m) = (total.div_euclid(12), total.rem_euclid(12) + 1);
    let day = p.day.min(days_in_month(y, m));
    let moved = days_from_civil(y, m, day)
        .checked_mul(DAY_MS)?
        .checked_add(local.rem_euclid(DAY_MS))?;
    Some(tz.utc(moved))
}

fn add(s: &mut Scope<'_>, op: &str, spec: &Bson) -> Result<Bson, StoreError> {
    let spec = object(op, spec, &["startDate", "unit", "amount", "timezone"])?;
    let tz = zone(s.arg(spec, "timezone")?)?;
    let unit = unit(s, spec)?;
    let Some(start) = moment(s.arg(spec, "startDate")?, op)? else {
        return Ok(Bson::Null);
    };
    let Some(mut amount) = whole(s, spec, "amount", 0)? else {
        return Ok(Bson::Null);
    };
    if op == "$dateSubtract" {
        amount = -amount;
    }
    let ms = match (unit_ms(&unit)?, unit.as_str()) {
        // Days and weeks are calendar days where the clock changes (the same local time).
        (Some(len), "day" | "week") => amount
            .checked_mul(len)
            .and_then(|d| tz.local(start).checked_add(d))
            .map(|local| tz.utc(local)),
        (Some(len), _) => amount.checked_mul(len).and_then(|d| start.checked_add(d)),
        (None, "month") => add_months(start, tz, amount),
        (None, "quarter") => add_months(start, tz, amount * 3),
        _ => add_months(start, tz, amount * 12),
    };
    ms.map(|ms| Bson::DateTime(DateTime::from_millis(ms)))
        .ok_or_else(|| bad(format!("{op}: the date is out of range")))
}

/// The first day of the week as a day-of-week number (1 Sunday .. 7 Saturday).
fn week_start(s: &mut Scope<'_>, spec: &Document) -> Result<i64, StoreError> {
    let name = match s.arg(spec, "startOfWeek")? {
        None | Some(Bson::Null) => return Ok(1),
        Some(Bson::String(n)) => n.to_ascii_lowercase(),
        other => {
            return Err(bad(format!(
                "'startOfWeek' must be a string, found: {}",
                type_name(&other)
            )));
        }
    };
    let days = [
        "sunday",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
    ];
    days.iter()
        .position(|d| *d == name || d[..3] == name)
        .map(|i| i as i64 + 1)
        .ok_or_else(|| bad(format!("unknown day of week: {name}")))
}

/// The number of whole weeks (starting on `start`) from 1970-01-01's week to `days`'.
fn week_index(days: i64, start: i64) -> i64 {
    // 1970-01-01 was a Thursday (day of week 5).
    (days + 5 - start).div_euclid(7)
}

fn diff(s: &mut Scope<'_>, spec: &Bson) -> Result<Bson, StoreError> {
    let spec = object(
        "$dateDiff",
        spec,
        &["startDate", "endDate", "unit", "timezone", "startOfWeek"],
    )?;
    let tz = zone(s.arg(spec, "timezone")?)?;
    let unit = unit(s, spec)?;
    let start_of_week = week_start(s, spec)?;
    let (Some(a), Some(b)) = (
        moment(s.arg(spec, "startDate")?, "$dateDiff")?,
        moment(s.arg(spec, "endDate")?, "$dateDiff")?,
    ) else {
        return Ok(Bson::Null);
    };
    let (a, b) = (tz.local(a), tz.local(b));
    let (pa, pb) = (Parts::of(a), Parts::of(b));
    let n = match unit.as_str() {
        "year" => pb.year - pa.year,
        "quarter" => (pb.year * 4 + (pb.month - 1) / 3) - (pa.year * 4 + (pa.month - 1) / 3),
        "month" => (pb.year * 12 + pb.month) - (pa.year * 12 + pa.month),
        "week" => week_index(pb.days, start_of_week) - week_index(pa.days, start_of_week),
        u => {
            let len = unit_ms(u)?.unwrap_or(1);
            b.div_euclid(len) - a.div_euclid(len)
        }
    };
    Ok(Bson::Int64(n))
}

fn trunc(s: &mut Scope<'_>, spec: &Bson) -> Result<Bson, StoreError> {
    let spec = object(
        "$dateTrunc",
        spec,
        &["date", "unit", "binSize", "timezone", "startOfWeek"],
    )?;
    let tz = zone(s.arg(spec, "timezone")?)?;
    let unit = unit(s, spec)?;
    let start_of_week = week_start(s, spec)?;
    let bin = match whole(s, spec, "binSize", 1)? {
        Some(n) if n >= 1 => n,
        None => return Ok(Bson::Null),
        Some(_) => return Err(bad("$dateTrunc requires 'binSize' to be a positive whole number")),
    };
    let Some(ms) = moment(s.arg(spec, "date")?, "$dateTrunc")? else {
        return Ok(Bson::Null);
    };
    let local = tz.local(ms);
    let p = Parts::of(local);
    let day = |days: i64| days.saturating_mul(DAY_MS);
    // Bins count from 2000-01-01 (weeks: from the first start of a week on or after it).
    let out_of_range = || bad("$dateTrunc: the date is out of range");
    let truncated = match unit.as_str() {
        "year" | "quarter" | "month" => {
            let per = [("year", 12), ("quarter", 3), ("month", 1)]
                .iter()
                .find(|(u, _)| *u == unit)
                .map_or(1, |(_, m)| *m);
            let per = bin.checked_mul(per).ok_or_else(out_of_range)?;
            let months = (p.year - 2000) * 12 + p.month - 1;
            let start = months.div_euclid(per) * per;
            day(days_from_civil(
                2000 + start.div_euclid(12),
                start.rem_euclid(12) + 1,
                1,
            ))
        }
        "week" => {
            let first = days_from_civil(2000, 1, 1);
            // 2000-01-01 was a Saturday (day of week 7).
            let reference = first + (start_of_week - 7).rem_euclid(7);
            let span = bin.checked_mul(7).ok_or_else(out_of_range)?;
            day(reference + (p.days - reference).div_euclid(span) * span)
        }
        u => {
            let len = unit_ms(u)?
                .unwrap_or(1)
                .checked_mul(bin)
                .ok_or_else(out_of_range)?;
            let reference = days_from_civil(2000, 1, 1) * DAY_MS;
            // Saturating: a date may be any 64-bit number of milliseconds.
            let bins = local.saturating_sub(reference).div_euclid(len);
            reference.saturating_add(bins.saturating_mul(len))
        }
    };
    Ok(Bson::DateTime(DateTime::from_millis(tz.utc(truncated))))
}
