/**
 * When a failed delivery is tried again: the retry schedule as data (WEBHOOK_RETRY_SCHEDULE, one delay
 * per retry), spread by ±jitter so a receiver that was down is not hit by every delivery at once, and
 * stretched when the receiver asked for more time with `Retry-After` (up to a bound). Pure.
 */

export interface RetryPolicy {
  /** Delay before retry n (index n − 1), in milliseconds. Its length is the number of retries. */
  scheduleMs: readonly number[];
  /** Relative spread of each delay, 0–1: 0.2 gives ±20 %. */
  jitter: number;
  /** Most a `Retry-After` can push a retry out, in milliseconds. */
  retryAfterMaxMs: number;
}

/**
 * Milliseconds until the next attempt after `attemptsMade` attempts (this failure included), or null
 * when the schedule is used up and the delivery is dead. `retryAfterMs` is the receiver's
 * `Retry-After`: honoured when it asks for longer than the schedule, within the bound; never shortens.
 */
export function nextRetryDelay(
  attemptsMade: number,
  policy: RetryPolicy,
  retryAfterMs: number | null,
  random: () => number = Math.random,
): number | null {
  const base = policy.scheduleMs[attemptsMade - 1];
  if (base === undefined) return null;
  const delay = Math.round(base * (1 + policy.jitter * (2 * random() - 1)));
  if (retryAfterMs === null) return Math.max(0, delay);
  return Math.max(0, delay, Math.min(retryAfterMs, policy.retryAfterMaxMs));
}

/** A `Retry-After` value (delay-seconds or an HTTP date) in milliseconds from `now`; null if unusable. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | null {
  if (value === undefined) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP date names its day and month; Date.parse alone takes "-5". Recipients must read all three
  // forms (RFC 9110 §5.6.7): "Fri, 31 Jan 2025 12:00:00 GMT", the obsolete "Friday, 31-Jan-25 12:00:00
  // GMT", and asctime's "Fri Jan 31 12:00:00 2025", which is UTC but says no zone (Date.parse would
  // read it as local time).
  let at: number;
  if (/^[A-Za-z]{3,9}, /.test(text)) at = Date.parse(text);
  else if (/^[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/.test(text))
    at = Date.parse(`${text} GMT`);
  else return null;
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}
