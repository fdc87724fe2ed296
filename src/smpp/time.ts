/**
 * SMPP time (v3.4 §7.1): absolute `YYMMDDhhmmsstnnp` (t tenths of a second, nn the offset from UTC in
 * quarter hours, p `+` ahead of / `-` behind UTC) and relative `YYMMDDhhmmss000R`. The empty string is
 * SMPP NULL: "now" for schedule_delivery_time, the SMSC default for validity_period.
 *
 * Relative years and months have no calendar in the spec; we count them as 365 and 30 days, both ways.
 */

/** A time field that is not SMPP time. */
export class SmppTimeError extends Error {
  override readonly name = "SmppTimeError";
  readonly code = "MALFORMED_SMPP_TIME";
}

/** A parsed time field. `date` of a relative time is `now` plus `seconds`. */
export type SmppTime = { kind: "absolute"; date: Date } | { kind: "relative"; seconds: number; date: Date };

const DAY = 86_400;
const MONTH = 30 * DAY;
const YEAR = 365 * DAY;

/**
 * `date` as absolute SMPP time. `utcOffsetMinutes` (default 0, a multiple of 15 within ±720) picks the
 * local time written. Throws `SmppTimeError` for an invalid date, a year outside 2000–2099 or a bad offset.
 */
export function formatAbsolute(date: Date, utcOffsetMinutes = 0): string {
  const ms = date.getTime();
  if (!Number.isFinite(ms)) throw new SmppTimeError("invalid date");
  if (
    !Number.isInteger(utcOffsetMinutes) ||
    utcOffsetMinutes % 15 !== 0 ||
    Math.abs(utcOffsetMinutes) > 720
  ) {
    throw new SmppTimeError(`UTC offset ${utcOffsetMinutes} min is not a quarter hour within ±12 h`);
  }
  const local = new Date(ms + utcOffsetMinutes * 60_000);
  const year = local.getUTCFullYear();
  if (year < 2000 || year > 2099) throw new SmppTimeError(`year ${year} cannot be written as YY`);
  const quarters = Math.abs(utcOffsetMinutes) / 15;
  return (
    two(year - 2000) +
    two(local.getUTCMonth() + 1) +
    two(local.getUTCDate()) +
    two(local.getUTCHours()) +
    two(local.getUTCMinutes()) +
    two(local.getUTCSeconds()) +
    String(Math.floor(local.getUTCMilliseconds() / 100)) +
    two(quarters) +
    (utcOffsetMinutes < 0 ? "-" : "+")
  );
}

/**
 * A duration in whole seconds as relative SMPP time. Up to 99 days only days, hours, minutes and seconds
 * are used (`000007000000000R` is a week); beyond, years of 365 and months of 30 days. Throws
 * `SmppTimeError` for negative or fractional seconds and for 100 years or more.
 */
export function formatRelative(seconds: number): string {
  if (!Number.isSafeInteger(seconds) || seconds < 0) {
    throw new SmppTimeError(`relative time must be whole non-negative seconds, got ${seconds}`);
  }
  let rest = seconds;
  let years = 0;
  let months = 0;
  if (rest >= 100 * DAY) {
    years = Math.floor(rest / YEAR);
    rest -= years * YEAR;
    months = Math.floor(rest / MONTH);
    rest -= months * MONTH;
  }
  if (years > 99) throw new SmppTimeError(`${seconds} s is 100 years or more`);
  const days = Math.floor(rest / DAY);
  rest -= days * DAY;
  const hours = Math.floor(rest / 3600);
  rest -= hours * 3600;
  const minutes = Math.floor(rest / 60);
  return `${two(years)}${two(months)}${two(days)}${two(hours)}${two(minutes)}${two(rest - minutes * 60)}000R`;
}

const SHAPE = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d)(\d{2})([+\-R])$/;

/**
 * Parses an SMPP time field; null for the empty string (SMPP NULL). `now` anchors relative times.
 * Throws `SmppTimeError` for anything that is not 16 characters of valid absolute or relative time.
 */
export function parseSmppTime(value: string, now: Date): SmppTime | null {
  if (value === "") return null;
  const m = SHAPE.exec(value);
  if (m === null)
    throw new SmppTimeError(`${JSON.stringify(value)} is not YYMMDDhhmmsstnn followed by +, - or R`);
  const [yy, mo, dd, hh, mi, ss, t, nn] = m.slice(1, 9).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (m[9] === "R") {
    const seconds = yy * YEAR + mo * MONTH + dd * DAY + hh * 3600 + mi * 60 + ss;
    return { kind: "relative", seconds, date: new Date(now.getTime() + seconds * 1000) };
  }
  const year = 2000 + yy;
  const daysInMonth = new Date(Date.UTC(year, mo, 0)).getUTCDate();
  if (mo < 1 || mo > 12 || dd < 1 || dd > daysInMonth || hh > 23 || mi > 59 || ss > 59 || nn > 48) {
    throw new SmppTimeError(`${JSON.stringify(value)} is not a valid date, time and quarter-hour offset`);
  }
  const offsetMs = (m[9] === "-" ? -1 : 1) * nn * 15 * 60_000;
  return { kind: "absolute", date: new Date(Date.UTC(year, mo - 1, dd, hh, mi, ss, t * 100) - offsetMs) };
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
