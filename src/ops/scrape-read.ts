/**
 * A database read behind a scrape-time gauge. A scrape must stay cheap, and must answer even when the
 * database does not: a value is reused for `ttlMs`; only one read runs at a time, so a slow database
 * does not gather one more query per scrape; a scrape waits for a read at most `waitMs`; and when a
 * read fails or is slow the last value read is served (undefined before the first one: the gauge is
 * left out rather than shown as 0, which would read as "all clear").
 */

export interface ScrapeReadOptions {
  /** How long a value read is served before the next scrape reads again; ms. */
  ttlMs: number;
  /** Longest a scrape waits for a read in progress before it serves the last value; ms. */
  waitMs: number;
  /** Hears each failed read (the next scrape tries again). Default: nothing. */
  onError?: ((error: unknown) => void) | undefined;
  /** Monotonic clock, ms. Default `performance.now`. */
  now?: (() => number) | undefined;
}

export function scrapeRead<T>(
  read: () => Promise<T>,
  options: ScrapeReadOptions,
): () => Promise<T | undefined> {
  const now = options.now ?? (() => performance.now());
  let last: T | undefined;
  let readAt = Number.NEGATIVE_INFINITY;
  let running: Promise<void> | undefined;
  return async () => {
    if (running === undefined && now() - readAt >= options.ttlMs) {
      running = read()
        .then(
          (value) => {
            last = value;
            readAt = now();
          },
          (error: unknown) => options.onError?.(error),
        )
        .finally(() => {
          running = undefined;
        });
    }
    if (running !== undefined) await within(running, options.waitMs);
    return last;
  };
}

async function within(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
