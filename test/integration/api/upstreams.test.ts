import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decryptSecret } from "../../../src/core/crypto.js";
import { queryRows } from "../../../src/db/client.js";
import { upstreams } from "../../../src/db/schema.js";
import {
  type ApiHarness,
  errorPaths,
  type PageJson,
  problemOf,
  type RouteJson,
  startApi,
  type UpstreamJson,
  upstreamBody,
} from "./harness.js";

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.close();
});

async function create(overrides: Record<string, unknown> = {}): Promise<UpstreamJson> {
  const response = await api.call("POST", "/admin/upstreams", { json: upstreamBody(overrides) });
  expect(response.status).toBe(201);
  return response.json<UpstreamJson>();
}

describe("POST /admin/upstreams", () => {
  it("creates with the documented defaults, shows password_set, and starts the sessions", async () => {
    const response = await api.call("POST", "/admin/upstreams", {
      json: {
        name: "primary",
        host: "smsc.example.net",
        port: 2775,
        system_id: "bridge",
        password: "pw12345",
      },
    });
    expect(response.status).toBe(201);
    const body = await response.json<UpstreamJson>();
    expect(body).toEqual({
      id: expect.stringMatching(/^ups_[0-9a-z]{26}$/),
      name: "primary",
      host: "smsc.example.net",
      port: 2775,
      tls: false,
      tls_ca: null,
      tls_servername: null,
      tls_insecure: false,
      system_id: "bridge",
      password_set: true,
      system_type: "",
      bind_mode: "transceiver",
      sessions: 1,
      window: 10,
      max_tps: null,
      enquire_link_interval: 30,
      response_timeout: 10,
      source_ton: null,
      source_npi: null,
      dest_ton: null,
      dest_npi: null,
      dcs0_charset: "gsm7",
      long_message_mode: "udh8",
      message_id_format: "auto",
      enabled: true,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      updated_at: expect.any(String),
    });
    expect(api.runtime.calls).toContain(`apply ${body.id}`);
    expect(api.runtime.configs.get(body.id)).toMatchObject({ password: "pw12345", host: "smsc.example.net" });
  });

  it("takes every optional field", async () => {
    const body = await create({
      tls: true,
      tls_ca: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
      tls_servername: "smsc.internal",
      tls_insecure: false,
      system_type: "VMA",
      bind_mode: "transmitter",
      sessions: 64,
      window: 1000,
      max_tps: 250,
      enquire_link_interval: 15,
      response_timeout: 5,
      source_ton: 5,
      source_npi: 0,
      dest_ton: 1,
      dest_npi: 1,
      dcs0_charset: "latin1",
      long_message_mode: "sar",
      message_id_format: "hex",
      enabled: false,
      host: "::1",
      port: 65535,
    });
    expect(body).toMatchObject({
      tls: true,
      tls_servername: "smsc.internal",
      sessions: 64,
      window: 1000,
      max_tps: 250,
    });
    expect(body).toMatchObject({
      source_ton: 5,
      dcs0_charset: "latin1",
      long_message_mode: "sar",
      enabled: false,
    });
    expect(api.runtime.configs.get(body.id)).toMatchObject({
      enabled: false,
      tls: true,
      bind_mode: "transmitter",
    });
  });

  it("never returns the password and stores it only encrypted", async () => {
    const password = "Pl41nTxt";
    const response = await api.call("POST", "/admin/upstreams", { json: upstreamBody({ password }) });
    const text = await response.text();
    expect(text).not.toContain(password);
    const { id } = JSON.parse(text) as UpstreamJson;
    for (const path of [`/admin/upstreams/${id}`, "/admin/upstreams?limit=100"]) {
      expect(await (await api.call("GET", path)).text()).not.toContain(password);
    }
    const [row] = await queryRows<Record<string, unknown>>(
      api.database.db,
      // Every column as text: the plaintext must be in none of them.
      sql`SELECT to_jsonb(u)::text AS json FROM upstreams u WHERE id = ${id}`,
    );
    expect(String(row?.json)).not.toContain(password);
    const [stored] = await api.database.db.select().from(upstreams).where(eq(upstreams.id, id));
    expect(stored?.passwordEnc).toMatch(/^v1\./);
    expect(decryptSecret(stored?.passwordEnc ?? "", api.secretKey, `upstream.password:${id}`)).toBe(password);
  });

  it("rejects each invalid field with its path", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ name: "" }, "name"],
      [{ name: "x".repeat(65) }, "name"],
      [{ host: "not a host" }, "host"],
      [{ host: "" }, "host"],
      [{ port: 0 }, "port"],
      [{ port: 65536 }, "port"],
      [{ port: "2775" }, "port"],
      [{ port: 27.5 }, "port"],
      [{ tls: "yes" }, "tls"],
      [{ tls_ca: "not pem" }, "tls_ca"],
      [{ tls_servername: "bad name!" }, "tls_servername"],
      [{ system_id: "" }, "system_id"],
      [{ system_id: "x".repeat(16) }, "system_id"],
      [{ password: "123456789" }, "password"],
      [{ password: "pässwd" }, "password"],
      [{ system_type: "x".repeat(13) }, "system_type"],
      [{ bind_mode: "both" }, "bind_mode"],
      [{ sessions: 0 }, "sessions"],
      [{ sessions: 65 }, "sessions"],
      [{ window: 0 }, "window"],
      [{ window: 1001 }, "window"],
      [{ max_tps: 0 }, "max_tps"],
      [{ enquire_link_interval: 0 }, "enquire_link_interval"],
      [{ response_timeout: 301 }, "response_timeout"],
      [{ source_ton: 256 }, "source_ton"],
      [{ source_npi: -1 }, "source_npi"],
      [{ dest_ton: 1.5 }, "dest_ton"],
      [{ dest_npi: "1" }, "dest_npi"],
      [{ dcs0_charset: "utf8" }, "dcs0_charset"],
      [{ long_message_mode: "udh32" }, "long_message_mode"],
      [{ message_id_format: "base64" }, "message_id_format"],
      [{ enabled: 1 }, "enabled"],
      [{ unknown_field: true }, "unknown_field"],
    ];
    for (const [overrides, path] of cases) {
      const response = await api.call("POST", "/admin/upstreams", { json: upstreamBody(overrides) });
      expect(response.status, JSON.stringify(overrides)).toBe(422);
      expect(await errorPaths(response), JSON.stringify(overrides)).toEqual([path]);
    }
  });

  it("requires name, host, port, system_id and password", async () => {
    const response = await api.call("POST", "/admin/upstreams", { json: {} });
    expect(response.status).toBe(422);
    expect(await errorPaths(response)).toEqual(["host", "name", "password", "port", "system_id"]);
  });

  it("refuses a second upstream with the same name (409)", async () => {
    await create({ name: "twin" });
    const before = api.runtime.calls.length;
    const response = await api.call("POST", "/admin/upstreams", { json: upstreamBody({ name: "twin" }) });
    expect(response.status).toBe(409);
    expect((await problemOf(response)).detail).toContain('"twin"');
    expect(api.runtime.calls.length).toBe(before);
  });
});

describe("GET /admin/upstreams", () => {
  it("pages newest first with a cursor until next_cursor is null", async () => {
    const made = [await create(), await create(), await create()].map((u) => u.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`;
      const response = await api.call("GET", `/admin/upstreams?limit=2${query}`);
      expect(response.status).toBe(200);
      const page = await response.json<PageJson<UpstreamJson>>();
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((u) => u.id));
      cursor = page.next_cursor;
      pages++;
    } while (cursor !== null && pages < 50);
    expect(seen).toEqual([...seen].sort().reverse());
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.slice(0, 3)).toEqual([...made].reverse());
  });

  it("defaults to 50 and rejects a limit outside 1–100 or a foreign cursor (422)", async () => {
    expect((await api.call("GET", "/admin/upstreams")).status).toBe(200);
    for (const query of ["limit=0", "limit=101", "limit=abc", "limit=1.5", "limit=", "cursor=garbage"]) {
      const response = await api.call("GET", `/admin/upstreams?${query}`);
      expect(response.status, query).toBe(422);
      expect(await errorPaths(response), query).toEqual([query.split("=")[0]]);
    }
  });
});

describe("GET /admin/upstreams/{id}", () => {
  it("returns the upstream, and 404 for an unknown id", async () => {
    const made = await create();
    const response = await api.call("GET", `/admin/upstreams/${made.id}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(made);
    for (const id of ["ups_00000000000000000000000000", "nope"]) {
      const missing = await api.call("GET", `/admin/upstreams/${id}`);
      expect(missing.status).toBe(404);
      expect((await problemOf(missing)).detail).toContain(id);
    }
  });
});

describe("PATCH /admin/upstreams/{id}", () => {
  it("changes only the given fields and rebinds with the result", async () => {
    const made = await create({ window: 5 });
    const response = await api.call("PATCH", `/admin/upstreams/${made.id}`, {
      json: { port: 2776, max_tps: 10, password: "newpass" },
    });
    expect(response.status).toBe(200);
    const body = await response.json<UpstreamJson>();
    expect(body).toMatchObject({ port: 2776, max_tps: 10, window: 5, name: made.name, password_set: true });
    expect(JSON.stringify(body)).not.toContain("newpass");
    expect(api.runtime.calls.filter((call) => call === `apply ${made.id}`)).toHaveLength(2);
    expect(api.runtime.configs.get(made.id)).toMatchObject({ port: 2776, password: "newpass", window: 5 });

    const cleared = await (
      await api.call("PATCH", `/admin/upstreams/${made.id}`, { json: { max_tps: null } })
    ).json<UpstreamJson>();
    expect(cleared.max_tps).toBeNull();
  });

  it("validates like create, refuses a taken name (409), and 404s an unknown id", async () => {
    const a = await create();
    const b = await create();
    const invalid = await api.call("PATCH", `/admin/upstreams/${a.id}`, { json: { window: 0, host: "a b" } });
    expect(invalid.status).toBe(422);
    expect(await errorPaths(invalid)).toEqual(["host", "window"]);
    const taken = await api.call("PATCH", `/admin/upstreams/${a.id}`, { json: { name: b.name } });
    expect(taken.status).toBe(409);
    const missing = await api.call("PATCH", "/admin/upstreams/ups_00000000000000000000000000", {
      json: { port: 1 },
    });
    expect(missing.status).toBe(404);
  });
});

describe("DELETE /admin/upstreams/{id}", () => {
  it("deletes and stops the sessions; then it is gone", async () => {
    const made = await create();
    expect((await api.call("DELETE", `/admin/upstreams/${made.id}`)).status).toBe(204);
    expect(api.runtime.calls.at(-1)).toBe(`remove ${made.id}`);
    expect((await api.call("GET", `/admin/upstreams/${made.id}`)).status).toBe(404);
    expect((await api.call("DELETE", `/admin/upstreams/${made.id}`)).status).toBe(404);
  });

  it("refuses while a route uses it (409 naming the route), then allows once the route is gone", async () => {
    const made = await create();
    const route = await (
      await api.call("POST", "/admin/routes", { json: { prefix: "4477", upstream_ids: [made.id] } })
    ).json<RouteJson>();
    const refused = await api.call("DELETE", `/admin/upstreams/${made.id}`);
    expect(refused.status).toBe(409);
    expect((await problemOf(refused)).detail).toContain(route.id);
    expect(api.runtime.calls).not.toContain(`remove ${made.id}`);
    expect((await api.call("DELETE", `/admin/routes/${route.id}`)).status).toBe(204);
    expect((await api.call("DELETE", `/admin/upstreams/${made.id}`)).status).toBe(204);
  });
});

describe("GET /admin/upstreams/{id}/sessions", () => {
  it("shows the runtime's live sessions, and 404s an unknown upstream", async () => {
    const made = await create({ sessions: 3 });
    const response = await api.call("GET", `/admin/upstreams/${made.id}/sessions`);
    expect(response.status).toBe(200);
    const { data, next_cursor } = await response.json<{ data: unknown[]; next_cursor: unknown }>();
    expect(next_cursor).toBeNull(); // every list has one (DESIGN §4), though this one is never paged
    expect(data).toHaveLength(3);
    expect(data[0]).toEqual({
      id: `${made.id}#1`,
      state: "connecting",
      local_address: null,
      remote_address: "127.0.0.1:2775",
      bound_at: null,
      in_flight: 0,
      send_rate_limit: null,
      submitted: 0,
      received: 0,
      last_error: null,
    });
    expect((await api.call("GET", "/admin/upstreams/ups_00000000000000000000000000/sessions")).status).toBe(
      404,
    );
  });
});

describe("PDU log", () => {
  it("PUT switches the trace on the runtime and remembers it; GET returns the newest entries", async () => {
    const made = await create();
    const on = await api.call("PUT", `/admin/upstreams/${made.id}/pdu-log`, { json: { enabled: true } });
    expect(on.status).toBe(200);
    expect(await on.json()).toEqual({ enabled: true });
    expect(api.runtime.pduLogSwitch.get(made.id)).toBe(true);
    const entries = [3, 2, 1].map((sequence) => ({
      at: new Date(Date.UTC(2025, 0, 1, 0, 0, sequence)).toISOString(),
      session_id: `${made.id}#1`,
      direction: "tx" as const,
      command: "enquire_link",
      sequence,
      command_status: 0,
      hex: `00000010000000150000000000000000${sequence}`,
    }));
    api.runtime.seedPduLog(made.id, entries);
    const response = await api.call("GET", `/admin/upstreams/${made.id}/pdu-log?limit=2`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ enabled: true, data: entries.slice(0, 2), next_cursor: null });

    await api.call("PUT", `/admin/upstreams/${made.id}/pdu-log`, { json: { enabled: false } });
    expect(api.runtime.pduLogSwitch.get(made.id)).toBe(false);
    expect(
      (await (await api.call("GET", `/admin/upstreams/${made.id}/pdu-log`)).json<{ enabled: boolean }>())
        .enabled,
    ).toBe(false);
  });

  it("validates the switch and the limit, and 404s an unknown upstream", async () => {
    const made = await create();
    const bad = await api.call("PUT", `/admin/upstreams/${made.id}/pdu-log`, { json: { enabled: "on" } });
    expect(bad.status).toBe(422);
    expect(await errorPaths(bad)).toEqual(["enabled"]);
    expect((await api.call("GET", `/admin/upstreams/${made.id}/pdu-log?limit=0`)).status).toBe(422);
    const unknown = "/admin/upstreams/ups_00000000000000000000000000/pdu-log";
    expect((await api.call("PUT", unknown, { json: { enabled: true } })).status).toBe(404);
    expect((await api.call("GET", unknown)).status).toBe(404);
  });
});
