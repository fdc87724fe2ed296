/**
 * Which upstream a message goes to (DESIGN.md §4 routes): the account's own routes first, longest
 * matching prefix; only when none of them matches, the shared routes the same way. A route lists
 * upstreams in failover order and an upstream with no bound session is skipped.
 *
 * The routes table is small and read on every dispatch, so it lives in memory: loaded once, reloaded on
 * `invalidate()` (the admin API changed a route) and every `refreshMs` (another instance did).
 */
import type { Database } from "../db/client.js";
import { routes } from "../db/schema.js";

/** What routing needs to know about upstreams right now. */
export interface UpstreamAvailability {
  /** Whether the upstream has at least one bound session able to send. */
  isBound(upstreamId: string): boolean;
}

export interface RouteTableOptions {
  /** Reload period, so routes changed through another instance are seen; ms. Default 30000. */
  refreshMs?: number;
}

/** The outcome of routing one message. */
export type RouteChoice =
  /** No route matches the destination. */
  | { kind: "no_route" }
  /**
   * `upstreamId`: the first bound upstream in failover order, or the first of the list when none is
   * bound (the pool then waits for a bind). `routeId` for diagnosis.
   */
  | { kind: "upstream"; upstreamId: string; routeId: string; bound: boolean };

interface CompiledRoute {
  id: string;
  prefix: string;
  upstreamIds: string[];
}

interface Snapshot {
  /** Account routes by account id, longest prefix first. */
  byAccount: Map<string, CompiledRoute[]>;
  /** Shared routes, longest prefix first. */
  shared: CompiledRoute[];
}

const EMPTY: Snapshot = { byAccount: new Map(), shared: [] };

export class RouteTable {
  private snapshot: Snapshot = EMPTY;
  private loading: Promise<void> | undefined;
  private stale = true;
  private timer: NodeJS.Timeout | undefined;
  private readonly refreshMs: number;

  constructor(
    private readonly db: Database,
    private readonly upstreams: UpstreamAvailability,
    options: RouteTableOptions = {},
  ) {
    this.refreshMs = options.refreshMs ?? 30_000;
  }

  /** Loads the routes and starts the periodic reload. */
  async start(): Promise<void> {
    await this.ready();
    if (this.timer === undefined && this.refreshMs > 0) {
      this.timer = setInterval(() => this.invalidate(), this.refreshMs);
      this.timer.unref();
    }
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Marks the table out of date; the next {@link ready} reloads it. Call after any route change. */
  invalidate(): void {
    this.stale = true;
  }

  /**
   * Resolves once the table is current. Cheap when it is; a reload failure keeps the previous table
   * (a database hiccup must not stop routing) and is retried on the next call.
   */
  async ready(): Promise<void> {
    if (!this.stale) return;
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    await this.loading;
  }

  /** Chooses the upstream for a destination (E.164, `+` optional) of an account. */
  resolve(accountId: string, to: string): RouteChoice {
    const digits = to.startsWith("+") ? to.slice(1) : to;
    const route =
      longestMatch(this.snapshot.byAccount.get(accountId), digits) ??
      longestMatch(this.snapshot.shared, digits);
    if (route === undefined) return { kind: "no_route" };
    for (const upstreamId of route.upstreamIds) {
      if (this.upstreams.isBound(upstreamId))
        return { kind: "upstream", upstreamId, routeId: route.id, bound: true };
    }
    const first = route.upstreamIds[0];
    if (first === undefined) return { kind: "no_route" };
    return { kind: "upstream", upstreamId: first, routeId: route.id, bound: false };
  }

  private async load(): Promise<void> {
    // Cleared before the read: an invalidate() arriving while it runs must cause another load.
    this.stale = false;
    try {
      const rows = await this.db.select().from(routes);
      const byAccount = new Map<string, CompiledRoute[]>();
      const shared: CompiledRoute[] = [];
      for (const row of rows) {
        const route = { id: row.id, prefix: row.prefix, upstreamIds: row.upstreamIds };
        if (row.accountId === null) {
          shared.push(route);
          continue;
        }
        const list = byAccount.get(row.accountId);
        if (list === undefined) byAccount.set(row.accountId, [route]);
        else list.push(route);
      }
      const longestFirst = (a: CompiledRoute, b: CompiledRoute) => b.prefix.length - a.prefix.length;
      shared.sort(longestFirst);
      for (const list of byAccount.values()) list.sort(longestFirst);
      this.snapshot = { byAccount, shared };
    } catch (error) {
      this.stale = true;
      if (this.snapshot === EMPTY) throw error;
    }
  }
}

function longestMatch(list: CompiledRoute[] | undefined, digits: string): CompiledRoute | undefined {
  if (list === undefined) return undefined;
  // Sorted longest first, so the first match is the longest.
  for (const route of list) if (digits.startsWith(route.prefix)) return route;
  return undefined;
}
